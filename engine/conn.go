package engine

import (
	"math"
	mbits "math/bits"
	"strings"

	"github.com/tlsmon/tlsmon"
	"github.com/tlsmon/tlsmon/analyzer"
	"github.com/tlsmon/tlsmon/detect"
	"github.com/tlsmon/tlsmon/flow"
	"github.com/tlsmon/tlsmon/packet"
	"github.com/tlsmon/tlsmon/stream"
)

// connState owns one connection: its flow table entry (the embedded flow.Conn, whose
// Owner is the connState), both reassemblers each with its own sink, the analyzer tree
// (detect.Conn), the conn.log services and the tunnel state. Everything the per-packet
// path changes for a connection is here; what it shares (handler, counters, table,
// budgets, free lists) belongs to its engine, e.
type connState struct {
	flow.Conn
	e       *Engine
	r       [2]stream.Reassembler // by physical side
	budget  stream.Budget
	det     detect.Conn
	att     *attachment // the environments of the attached analyzers (recycled on removal)
	service uint32      // bit i: Engine.services[i] confirmed (conn.log service)
	eof     [2]bool
	// state holds the cs* bits below (one byte, so that the struct keeps its size class).
	state uint8
	tun   *connTunnel // tunnel state (tunnel.go), nil until the connection is seen in a tunnel
}

// connState.state bits.
const (
	csClosing       = 1 << iota // the connection is being removed
	csCloseDeferred             // a FIN or RST came while data was pending (Zeek's close_deferred): the close is made at the next end of a side's data
	csUnacked                   // (shifted by the physical side) data delivered on the side since the peer last acknowledged all of it: see noteDelivered

	csDetachPending = csUnacked << 2 // an analyzer detached since the last endDetached (past both csUnacked bits)
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
	// Split so that this test inlines: most calls deliver nothing (an ACK-only packet).
	if cs.r[side].Next() != before {
		cs.noteMoved(side)
	}
}

// noteMoved is noteDelivered once side's stream has moved on.
func (cs *connState) noteMoved(side uint8) {
	r := &cs.r[side]
	if r.Next() <= r.Acked() || cs.Endpoint(side).NoDataAcked() && cs.Size(side) > maxInitialWindow {
		cs.state &^= csUnacked << side
	} else {
		cs.state |= csUnacked << side
	}
}

// newConnAlloc gives the flow table a connection's memory: a released connState when
// there is one (warm in cache, no fresh pages to fault in), else a new one.
func (e *Engine) newConnAlloc() *flow.Conn {
	if n := len(e.freeConns); n > 0 {
		cs := e.freeConns[n-1]
		e.freeConns = e.freeConns[:n-1]
		*cs = connState{e: e}
		cs.SetOwner(cs)
		return &cs.Conn
	}
	cs := &connState{e: e}
	cs.SetOwner(cs)
	return &cs.Conn
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

// stateOf returns the connState owning c (every connection of the engine's table has one).
func stateOf(c *flow.Conn) *connState { return c.Owner().(*connState) }

// The reassemblers' sinks: sink0 and sink1 are the connState seen as the sink of side 0
// and of side 1 (a pointer conversion, no allocation, no lookup).
type (
	sink0 connState
	sink1 connState
)

// sink returns the sink of a side's reassembler.
func (cs *connState) sink(side uint8) stream.Sink {
	if side == 0 {
		return (*sink0)(cs)
	}
	return (*sink1)(cs)
}

func (s *sink0) Deliver(ts int64, data []byte) {
	(*connState)(s).deliver((*connState)(s).IsOrigSide(0), ts, data)
}
func (s *sink0) Gap(ts int64, n uint64) { (*connState)(s).gap(0, ts, n) }
func (s *sink1) Deliver(ts int64, data []byte) {
	(*connState)(s).deliver((*connState)(s).IsOrigSide(1), ts, data)
}
func (s *sink1) Gap(ts int64, n uint64) { (*connState)(s).gap(1, ts, n) }

// deliver gives a direction's reassembled bytes to the analyzer tree. (It takes the
// direction rather than the side so that it inlines into the sinks: one call fewer per
// delivery.)
func (cs *connState) deliver(isOrig bool, ts int64, data []byte) {
	cs.e.reg.DeliverStream(&cs.det, ts, isOrig, data, cs)
}

func (cs *connState) gap(side uint8, ts int64, n uint64) {
	if cs.state&csClosing == 0 {
		cs.e.table.AddGap(&cs.Conn, side, n)
	}
	cs.det.DeliverGap(ts, cs.IsOrigSide(side), n)
}

// idle reports whether no analyzer and no content matching needs the stream any more.
func (cs *connState) idle() bool { return cs.det.Idle() }

// start sets up a new connection: its reassemblers, its NewConnection event, and the
// analyzers attached by port.
func (cs *connState) start() {
	e := cs.e
	cs.budget.Max = int32(min(e.opts.Limits.ReassemblyPerConnection, math.MaxInt32))
	for s := range cs.r {
		cs.r[s].Init(&cs.budget, &e.pool)
	}
	if e.recovery != nil {
		stream.SetRecovery(e.recovery, &cs.r[0], &cs.r[1]) // recover.go
	}
	e.newConn = tlsmon.NewConnection{Meta: tlsmon.Meta{Ts: e.now, Conn: &cs.Info}}
	e.handler.HandleEvent(&e.newConn)
	e.reg.Start(&cs.det, &cs.Info.ID, cs)
}

// tcp processes a TCP packet of the connection. What few packets need (caps, the end of
// a side, recovery) is in calls, so that the common packet keeps its values in registers.
func (cs *connState) tcp(res *flow.Result, p *packet.Packet) {
	e := cs.e
	t := &res.TCP
	s := res.Side & 1 // (no bounds checks below)
	peer := s ^ 1
	if t.PeerAck {
		pr := &cs.r[peer]
		before := pr.Next()
		// A partial connection's first ACK may point just past the faked initial sequence:
		// Zeek reports no gap for it (TCP_Reassembler::Undelivered).
		partialStart := t.Ack <= 2 && cs.IsPartial()
		if !partialStart {
			// Zeek's gap statistics (capture_loss.log): an ACK that moves the peer's acknowledged
			// position forward while both endpoints are established counts; one past a hole, a gap.
			var gap uint64
			if t.Ack > before || e.recovery != nil { // AckMatters, the Recovery known here (recover.go)
				gap = pr.AckReceived(e.now, t.Ack, cs.sink(peer))
			}
			if t.AckAdvanced && t.Ack > 1 { // 1: the SYN alone
				cs.countAck(peer, gap)
			}
		}
		// The peer's acknowledgement (relative, as Zeek's AckReceived gets it: RSTs included,
		// capped below the side's FIN when the FIN was seen) of its stream, whose Next was
		// before. Zeek trims the reassembler's blocks to the highest acknowledgement seen (its
		// trim_seq, which never goes back: an ACK of a FIN that came before the FIN stays in
		// force once the FIN is seen); the side holds no delivered data once the trim point
		// reaches the delivery point (which a gap moves up to the acknowledgement at once).
		// Written here rather than called: every ACK comes through.
		if next := pr.Next(); next <= t.Ack {
			cs.state &^= csUnacked << peer
		} else if next != before {
			cs.noteMoved(peer)
		}
		if !partialStart && t.Ended && cs.Endpoint(peer).Ended() { // the tests of checkEOF that inline
			cs.checkEOF(peer, e.now)
		}
	}
	if t.Deliver {
		r := &cs.r[s]
		if !r.DataDropped() && cs.idle() {
			cs.dropData()
		}
		data := p.Payload[:p.PayloadLen]
		var capped int
		before := r.Next()
		if e.recovery != nil && t.PeerAck && t.Ack > cs.r[peer].Next() && cs.r[peer].Holding() {
			peerBefore := cs.r[peer].Next()
			capped = cs.holdData(s, t.DataSeq, data, t.Ack) // recover.go
			cs.noteDelivered(peer, peerBefore)
		} else if !r.RangeInOrder(t.DataSeq, len(data), t.SelfAcked) {
			capped = r.DataSent(e.now, t.DataSeq, data, t.SelfAcked, cs.sink(s))
		}
		if r.Next() != before {
			// noteMoved's usual outcome, without the call: without a Recovery nothing was
			// acknowledged before its delivery, and once some of the side's data was
			// acknowledged the initial window no longer matters (SelfAcked > 1 is
			// !NoDataAcked: its acknowledgement, relative to its initial sequence).
			if e.recovery == nil && t.SelfAcked > 1 {
				cs.state |= csUnacked << s
			} else {
				cs.noteMoved(s)
			}
		}
		if capped != stream.CapNone {
			cs.capped(capped)
		}
		if r.Exceeds(maxAboveHoleWithoutAcks, maxExcessiveData) && !r.Skipping() {
			cs.checkBuffered(s)
		}
	}
	if e.recovery != nil {
		cs.releaseHeld(e.now)
	}
	if t.Ended && cs.Endpoint(s).Ended() { // the tests of checkEOF that inline
		cs.checkEOF(s, e.now)
	}
	cs.endDetached(e.now)
	if t.Close {
		cs.closeTCP(s, t)
	}
}

// countAck counts an acknowledgement that moved the peer's acknowledged position forward in
// Zeek's gap statistics, if both endpoints are established; gap is what it reported.
func (cs *connState) countAck(peer uint8, gap uint64) {
	if cs.r[peer&1].Skipping() ||
		cs.Endpoint(0).State != flow.TCPEstablished || cs.Endpoint(1).State != flow.TCPEstablished {
		return
	}
	cs.e.stats.AckEvents++
	if gap > 0 {
		cs.e.stats.GapEvents++
	}
}

// dropData makes both directions keep sequence ranges only: nothing reads this
// connection's bytes any more (gaps and missed_bytes stay exact, no data is copied or
// delivered).
func (cs *connState) dropData() {
	cs.r[0].DropData()
	cs.r[1].DropData()
}

// capped reports a cap that stopped the reassembly of a segment (a stream.Cap* value).
func (cs *connState) capped(capped int) {
	c, e := &cs.Conn, cs.e
	switch capped {
	case stream.CapConnection:
		e.capHit(c, "reassembly_conn", "reassembly_per_connection_cap")
	case stream.CapGlobal:
		e.capHit(c, "reassembly_global", "reassembly_global_cap")
	case stream.CapBlocks:
		e.capHit(c, "reassembly_blocks", "reassembly_block_cap")
	case stream.CapHold:
		e.capHit(c, "reassembly_hold", "reassembly_hold_cap")
	case stream.CapBudget:
		e.capReport(&c.Info, capMemory, weirdMemoryBudget, "refused reassembly", false)
	}
}

// checkBuffered applies Zeek's caps on data buffered without acknowledgements to side s,
// which holds more than one of them allows.
func (cs *connState) checkBuffered(s uint8) {
	c, e, r := &cs.Conn, cs.e, &cs.r[s&1]
	if c.Endpoint(s).NoDataAcked() && r.Undelivered() > maxAboveHoleWithoutAcks {
		e.stats.CapHits["above_hole"]++
		e.raiseWeird(&c.Info, "above_hole_data_without_any_acks", "", "TCP")
		r.SkipAll()
	} else if r.Buffered() > maxExcessiveData {
		e.stats.CapHits["excessive_data"]++
		e.raiseWeird(&c.Info, "excessive_data_without_further_acks", "", "TCP")
		r.SkipAll()
	}
}

// closeTCP is Zeek's ConnectionClosed for side s: with data pending, the close waits for
// the end of data.
func (cs *connState) closeTCP(s uint8, t *flow.TCPResult) {
	if cs.dataPending(s) {
		cs.state |= csCloseDeferred
	} else {
		cs.state &^= csCloseDeferred
		cs.e.table.CloseTCP(&cs.Conn, s, *t)
	}
}

// udp processes a UDP datagram of the connection.
func (cs *connState) udp(isOrig bool, p *packet.Packet) {
	e := cs.e
	e.reg.DeliverPacket(&cs.det, e.now, isOrig, p.Payload, cs)
	cs.endDetached(e.now)
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
func (cs *connState) checkEOF(side uint8, ts int64) {
	if cs.eof[side] {
		return
	}
	if !cs.Endpoint(side).Ended() {
		return
	}
	if cs.dataPending(side) {
		return
	}
	cs.eof[side] = true
	cs.det.EndOfData(ts, cs.IsOrigSide(side))
	if cs.state&csCloseDeferred != 0 {
		cs.state &^= csCloseDeferred
		cs.e.table.CloseTCP(&cs.Conn, side, flow.TCPResult{})
	}
}

// done ends the connection's analysis.
func (cs *connState) done(ts int64) {
	if cs.e.recovery != nil {
		cs.releaseHeld(ts)
		for s := range cs.r {
			cs.r[s].EndHold(ts, cs.sink(uint8(s)))
		}
		cs.releaseHeld(ts)
		for s := range cs.r {
			cs.r[s].OpenGates()
			cs.r[s].Release(ts, cs.sink(uint8(s)))
		}
		for s := range cs.r {
			cs.checkEOF(uint8(s), ts) // a side that ended with data held ends now
		}
	}
	cs.state |= csClosing
	for s := range cs.r {
		cs.r[s].Close(ts, cs.sink(uint8(s)))
	}
	cs.e.reg.Done(&cs.det, ts)
}

// attachment is an attached analyzer's environment and event forwarder, allocated together.
// Attachments are recycled through the engine's free list once their connection is
// removed (every analyzer's Done has run by then); detach and partial are method values
// made once per attachment (partial on its first TCP use), so a recycled one builds its
// Env without allocating.
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

func (a *attachment) detachSlot() {
	a.slot.Detach()
	a.ev.cs.state |= csDetachPending
}

// endDetached is detect.Conn.EndDetached, made only when an analyzer detached: it runs
// after every packet, and scanning the slots each time is measurable.
func (cs *connState) endDetached(ts int64) {
	if cs.state&csDetachPending != 0 {
		cs.state &^= csDetachPending
		cs.det.EndDetached(ts)
	}
}

func (a *attachment) isPartial() bool { return a.ev.cs.IsPartial() }

// Env implements detect.Env: it builds the environment of an analyzer attached to the
// connection.
func (cs *connState) Env(spec *analyzer.Spec, slot *detect.Slot) *analyzer.Env {
	e := cs.e
	a := e.freeAtt
	if a != nil {
		e.freeAtt, e.nFreeAtt = a.next, e.nFreeAtt-1
	} else {
		a = new(attachment)
		a.detach = a.detachSlot
	}
	a.ev = connEvents{e: e, cs: cs}
	a.slot = slot
	a.next, cs.att = cs.att, a
	a.env = analyzer.Env{
		Conn:    &cs.Info,
		Events:  &a.ev,
		Detach:  a.detach,
		Options: e.opts.Analyzer,
		SSL:     e.sslNew,
	}
	if cs.Info.ID.Proto == tlsmon.ProtoTCP { // nil for UDP (analyzer.Env): no closure per datagram flow
		if a.partial == nil {
			a.partial = a.isPartial
		}
		a.env.Partial = a.partial
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
		e.capReport(nil, capServices, weirdServicesCap, analyzer, false)
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

var (
	_ stream.Sink = (*sink0)(nil)
	_ stream.Sink = (*sink1)(nil)
	_ detect.Env  = (*connState)(nil)
)
