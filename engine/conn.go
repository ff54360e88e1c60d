package engine

import (
	mbits "math/bits"
	"strings"
	"unsafe"

	"github.com/tlsmon/tlsmon"
	"github.com/tlsmon/tlsmon/analyzer"
	"github.com/tlsmon/tlsmon/detect"
	"github.com/tlsmon/tlsmon/flow"
	"github.com/tlsmon/tlsmon/stream"
)

// connState is the pipeline's per-connection state. The flow table allocates it (through
// flow.Config.NewConn) with the flow.Conn as its first field, so that one allocation holds
// a connection's whole state and no pointer links the two.
type connState struct {
	flow.Conn
	r       [2]stream.Reassembler // by physical side
	budget  stream.Budget
	det     detect.Conn
	att     *attachment // the environments of the attached analyzers (recycled on removal)
	service uint32      // bit i: Engine.services[i] confirmed (conn.log service)
	eof     [2]bool
	// state holds the cs* bits below (one byte, so that the struct keeps its size class).
	state uint8
	// tunneled: the engine holds tunnel state for this connection (Engine.tun.conns); a bool
	// in the padding keeps the non-tunnel connection's size unchanged.
	tunneled bool
}

// connState.state bits.
const (
	csClosing       = 1 << iota // the connection is being removed
	csCloseDeferred             // a FIN or RST came while data was pending (Zeek's close_deferred): the close is made at the next end of a side's data
	csUnacked                   // (shifted by the physical side) data delivered on the side since the peer last acknowledged all of it: see noteDelivered
)

// noteDelivered records that side's stream may have moved on from sequence before (its
// Next before a call into its reassembler): data delivered past what the peer acknowledged
// is what Zeek's reassembler keeps as blocks until an acknowledgement trims them
// (HasUndeliveredData), unless none of the side's data was acknowledged and it sent more
// than tcp_max_initial_window: then the peer's ACKs are presumably not being seen, and
// Zeek trims what it delivered at once (TCP_Reassembler::BlockInserted).
//
// Under --recover, data can be delivered after its acknowledgement came (it was held): such
// data is acknowledged already.
func (cs *connState) noteDelivered(side uint8, before uint64) {
	r := &cs.r[side]
	if r.Next() == before {
		return
	}
	if r.Next() <= r.Acked() || cs.Endpoint(side).NoDataAcked() && cs.Size(side) > maxInitialWindow {
		cs.state &^= csUnacked << side
	} else {
		cs.state |= csUnacked << side
	}
}

// noteAck records the peer's acknowledgement ack (relative, as Zeek's AckReceived gets it:
// RSTs included, capped below the side's FIN when the FIN was seen) of side's stream, whose
// Next was before. Zeek trims the reassembler's blocks to the highest acknowledgement seen
// (its trim_seq, which never goes back: an ACK of a FIN that came before the FIN stays in
// force once the FIN is seen); the side holds no delivered data once the trim point reaches
// the delivery point (which a gap moves up to the acknowledgement at once).
func (cs *connState) noteAck(side uint8, before, ack uint64) {
	cs.noteDelivered(side, before)
	if cs.r[side].Next() <= ack {
		cs.state &^= csUnacked << side
	}
}

// newConnAlloc gives the flow table a connection's memory: a released connState when
// there is one (warm in cache, no fresh pages to fault in), else a new one.
func (e *Engine) newConnAlloc() *flow.Conn {
	if n := len(e.freeConns); n > 0 {
		cs := e.freeConns[n-1]
		e.freeConns = e.freeConns[:n-1]
		*cs = connState{}
		return &cs.Conn
	}
	return &new(connState).Conn
}

// maxFreeConns bounds the free list of connection states (≈ 0.5 kB each).
const maxFreeConns = 4096

// Released implements flow.Releaser: the removed connection's state is referenced by
// nothing any more (its Removed hook ran, its analyzers are done, no timer points to it),
// so it is kept for the next new connection.
func (h *hooks) Released(c *flow.Conn) {
	e := (*Engine)(h)
	if len(e.freeConns) < maxFreeConns {
		e.freeConns = append(e.freeConns, stateOf(c))
	}
}

// stateOf returns the connState holding c (every connection of the engine's table is one).
func stateOf(c *flow.Conn) *connState { return (*connState)(unsafe.Pointer(c)) }

// sideSink receives one side's reassembled stream for the engine's current connection
// (Engine.cur, set before every call into a reassembler).
type sideSink struct {
	e    *Engine
	side uint8
}

func (s *sideSink) Deliver(ts int64, data []byte) {
	e := s.e
	cs := e.cur
	isOrig := cs.IsOrigSide(s.side)
	slots := cs.det.Slots()
	n := len(slots)
	for _, sl := range slots[:n] {
		if !sl.Detached {
			sl.A.DeliverStream(ts, isOrig, data)
		}
	}
	if !cs.det.Stopped() {
		for _, sl := range e.reg.Stream(&cs.det, isOrig, data, e.envFn) {
			cs.det.ReplayStream(sl, ts)
		}
		cs.det.Settle()
	}
}

func (s *sideSink) Gap(ts int64, n uint64) {
	cs := s.e.cur
	if cs.state&csClosing == 0 {
		cs.AddGap(s.side, n)
	}
	isOrig := cs.IsOrigSide(s.side)
	for _, sl := range cs.det.Slots() {
		if !sl.Detached {
			sl.A.Gap(ts, isOrig, n)
		}
	}
	cs.det.Gap(isOrig, n)
}

// idle reports whether no analyzer and no content matching needs the stream any more.
func (cs *connState) idle() bool {
	if !cs.det.Stopped() {
		return false
	}
	for _, sl := range cs.det.Slots() {
		if !sl.Detached {
			return false
		}
	}
	return true
}

// maxInitialWindow is Zeek's tcp_max_initial_window: past this much data with none of it
// acknowledged, the reassembler stops holding delivered data for acknowledgements.
const maxInitialWindow = 16384

// dataPending is Zeek's TCP_Reassembler::DataPending for one side: data of the side not
// delivered yet, or, unless the side reset, delivered data of its peer not acknowledged yet.
func (cs *connState) dataPending(side uint8) bool {
	r := &cs.r[side]
	if r.Skipping() {
		return false
	}
	if r.Buffered() > 0 {
		return true
	}
	ep := cs.Endpoint(side)
	if last := ep.RelLastSeq(); r.Next()+1 < last && last < r.Next()+1<<31 {
		return true // data still expected
	}
	return ep.State != flow.TCPReset && cs.unacked(side^1)
}

// unacked is Zeek's TCP_Reassembler::HasUndeliveredData: the side's reassembler still holds
// blocks, out of order or delivered but not acknowledged by the peer.
func (cs *connState) unacked(side uint8) bool {
	r := &cs.r[side]
	if r.Skipping() {
		return false
	}
	if r.Buffered() > 0 {
		return true
	}
	return cs.state&(csUnacked<<side) != 0
}

// checkEOF raises EndOfData once a side that sent FIN/RST has had all its data delivered
// (TCP_Reassembler::CheckEOF), and makes a deferred close then (EndpointEOF).
func (cs *connState) checkEOF(e *Engine, side uint8, ts int64) {
	if cs.eof[side] {
		return
	}
	ep := cs.Endpoint(side)
	if !(ep.FINSeen() || ep.State == flow.TCPClosed || ep.State == flow.TCPReset) {
		return
	}
	if cs.dataPending(side) {
		return
	}
	cs.eof[side] = true
	isOrig := cs.IsOrigSide(side)
	for _, sl := range cs.det.Slots() {
		if !sl.Detached {
			sl.A.EndOfData(ts, isOrig)
		}
	}
	if cs.state&csCloseDeferred != 0 {
		cs.state &^= csCloseDeferred
		e.table.CloseTCP(&cs.Conn, side, flow.TCPResult{})
	}
}

// done ends the connection's analysis.
func (e *Engine) done(cs *connState, ts int64) {
	e.cur = cs
	if e.recovery != nil {
		e.releaseHeld(cs, ts)
		for s := range cs.r {
			cs.r[s].EndHold(ts, &e.sinks[s])
		}
		e.releaseHeld(cs, ts)
		for s := range cs.r {
			cs.r[s].OpenGates()
			cs.r[s].Release(ts, &e.sinks[s])
		}
		for s := range cs.r {
			cs.checkEOF(e, uint8(s), ts) // a side that ended with data held ends now
		}
	}
	cs.state |= csClosing
	for s := range cs.r {
		cs.r[s].Close(ts, &e.sinks[s])
	}
	for _, sl := range cs.det.Slots() {
		sl.Detached = true
		if !sl.Ended {
			sl.Ended = true
			sl.A.Done(ts)
		}
	}
	cs.det.Close()
}

// endDetached calls Done on the analyzers that detached since the last call, as Zeek calls
// Done on an analyzer when it is removed: their state is released (and recycled) now rather
// than when the connection ends. It runs between packets, never inside an analyzer's call.
func (cs *connState) endDetached(ts int64) {
	for _, sl := range cs.det.Slots() {
		if sl.Detached && !sl.Ended {
			sl.Ended = true
			sl.A.Done(ts)
		}
	}
}

// attachment is an attached analyzer's environment and event forwarder, allocated together.
// Attachments are recycled through the engine's free list once their connection is
// removed (every analyzer's Done has run by then); detach and partial are method values
// made once per attachment, so a recycled one builds its Env without allocating.
type attachment struct {
	env     analyzer.Env
	ev      connEvents
	slot    *detect.Slot
	next    *attachment // the connection's other attachments, or the free list
	detach  func()
	partial func() bool
}

// maxFreeAttachments bounds the engine's free list of attachments.
const maxFreeAttachments = 4096

func (a *attachment) detachSlot() { a.slot.Detach() }

func (a *attachment) isPartial() bool { return a.ev.cs.IsPartial() }

// env builds the environment of an analyzer attached to the current connection.
func (e *Engine) env(spec *analyzer.Spec, slot *detect.Slot) *analyzer.Env {
	cs := e.cur
	a := e.freeAtt
	if a != nil {
		e.freeAtt, e.nFreeAtt = a.next, e.nFreeAtt-1
	} else {
		a = new(attachment)
		a.detach, a.partial = a.detachSlot, a.isPartial
	}
	a.ev = connEvents{e: e, cs: cs}
	a.slot = slot
	a.next, cs.att = cs.att, a
	a.env = analyzer.Env{
		Conn:    &cs.Info,
		Events:  &a.ev,
		Detach:  a.detach,
		Options: e.opts.Analyzer,
		Partial: a.partial,
	}
	return &a.env
}

// releaseAttachments gives the attachments of a removed connection (whose analyzers are
// all done) back to the free list.
func (e *Engine) releaseAttachments(cs *connState) {
	for a := cs.att; a != nil; {
		next := a.next
		a.env, a.ev, a.slot, a.next = analyzer.Env{}, connEvents{}, nil, nil
		if e.nFreeAtt < maxFreeAttachments {
			a.next, e.freeAtt = e.freeAtt, a
			e.nFreeAtt++
		}
		a = next
	}
	cs.att = nil
}

// connEvents forwards an analyzer's events and keeps conn.log's service as Zeek's
// dpd.zeek does: a confirmation adds the analyzer's name, a violation that makes it fail
// (one DPD does not ignore) removes it again.
type connEvents struct {
	e  *Engine
	cs *connState
}

func (h *connEvents) HandleEvent(ev tlsmon.Event) {
	switch c := ev.(type) {
	case *tlsmon.AnalyzerConfirmation:
		h.cs.service |= h.e.serviceBit(c.Analyzer)
	case *tlsmon.AnalyzerViolation:
		if !c.Ignored && h.cs.service != 0 {
			h.cs.service &^= h.e.serviceBit(c.Analyzer)
		}
	}
	h.e.handler.HandleEvent(ev)
}

// maxServices bounds the distinct service names the engine tracks (one bit each).
const maxServices = 32

// serviceBit returns the bit of an analyzer's service name (lower case), interning it; 0
// once maxServices names are known (counted as the "services" cap).
func (e *Engine) serviceBit(analyzer string) uint32 {
	for i, s := range e.services {
		if strings.EqualFold(s, analyzer) {
			return 1 << i
		}
	}
	if len(e.services) == maxServices {
		e.stats.CapHits["services"]++
		return 0
	}
	name := strings.ToLower(analyzer)
	e.services = append(e.services, name)
	e.serviceOne = append(e.serviceOne, []string{name})
	return 1 << (len(e.services) - 1)
}

// serviceList returns the names of a service bit set (shared, read-only for one name).
func (e *Engine) serviceList(bits uint32) []string {
	if bits == 0 {
		return nil
	}
	if bits&(bits-1) == 0 {
		return e.serviceOne[mbits.TrailingZeros32(bits)]
	}
	var out []string
	for i, s := range e.services {
		if bits&(1<<i) != 0 {
			out = append(out, s)
		}
	}
	return out
}

var _ stream.Sink = (*sideSink)(nil)
