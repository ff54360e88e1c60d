package engine

import (
	"errors"
	"io"

	"github.com/tlsmon/tlsmon"
	"github.com/tlsmon/tlsmon/capture"
	"github.com/tlsmon/tlsmon/detect"
	"github.com/tlsmon/tlsmon/flow"
	"github.com/tlsmon/tlsmon/packet"
	"github.com/tlsmon/tlsmon/stream"
)

// Zeek's caps on data buffered without acknowledgements (init-bare.zeek).
const (
	maxAboveHoleWithoutAcks = 16384    // tcp_max_above_hole_without_any_acks
	maxExcessiveData        = 10 << 20 // tcp_excessive_data_without_further_acks
)

// Engine runs the analysis. It is not safe for concurrent use; see docs/SCALING.md.
type Engine struct {
	opts    Options
	handler tlsmon.Handler
	dec     *packet.Decoder
	table   *flow.Table
	reg     *detect.Registry
	pool    stream.Pool
	pkt     packet.Packet
	now     int64
	stats   Stats
	weird   tlsmon.Weird // reused: handlers must not retain events
}

type nopHandler struct{}

func (nopHandler) HandleEvent(tlsmon.Event) {}

// New returns an engine.
func New(opts Options) *Engine {
	opts.Limits.defaults()
	if opts.Analyzers == nil {
		opts.Analyzers = DefaultAnalyzers()
	}
	e := &Engine{opts: opts, handler: opts.Handler}
	if e.handler == nil {
		e.handler = nopHandler{}
	}
	e.dec = packet.NewDecoder(packet.Config{
		MaxFragmentBytes:        opts.Limits.MaxFragmentBytes,
		MaxFragmentsPerDatagram: opts.Limits.MaxFragmentsPerDatagram,
	})
	e.table = flow.NewTable(flow.Config{
		TCPInactivity: opts.TCPInactivityTimeout.Microseconds(),
		UDPInactivity: opts.UDPInactivityTimeout.Microseconds(),
		MaxConns:      opts.Limits.MaxConnections,
		UIDSeed:       opts.UIDSeed,
	}, (*hooks)(e))
	e.reg = detect.NewRegistry(opts.Analyzers)
	e.pool.Max = opts.Limits.ReassemblyGlobal
	e.stats.CapHits = map[string]uint64{}
	return e
}

// Stats returns the counters.
func (e *Engine) Stats() Stats {
	s := e.stats
	s.CapHits = make(map[string]uint64, len(e.stats.CapHits)+3)
	for k, v := range e.stats.CapHits {
		s.CapHits[k] = v
	}
	ts := e.table.Stats()
	s.Connections, s.Active = ts.Connections, ts.Active
	if ts.ConnCapHits > 0 {
		s.CapHits["max_connections"] = ts.ConnCapHits
	}
	ds := e.dec.Stats()
	if ds.FragBytesCapHits > 0 {
		s.CapHits["frag_bytes"] = ds.FragBytesCapHits
	}
	if ds.FragCountCapHits > 0 {
		s.CapHits["frag_count"] = ds.FragCountCapHits
	}
	return s
}

// Run processes every frame of r. At the end of input (or at a capture error) it removes
// every connection, raising their ConnectionStateRemove events, and returns the first fatal
// capture error, or nil at a clean end.
func (e *Engine) Run(r capture.Reader) error {
	var f capture.Frame
	var err error
	for {
		if err = r.Next(&f); err != nil {
			break
		}
		e.Frame(&f)
	}
	e.Flush()
	if errors.Is(err, io.EOF) {
		return nil
	}
	return err
}

// Frame processes one frame.
func (e *Engine) Frame(f *capture.Frame) {
	e.stats.Packets++
	e.stats.Bytes += uint64(len(f.Data))
	st, err := e.dec.DecodeLen(f.LinkType, f.Ts, f.Data, f.WireLen, &e.pkt)
	if f.Ts > e.now {
		e.now = f.Ts
	}
	switch st {
	case packet.OK:
		e.stats.IPPackets++
		e.Packet(&e.pkt)
	case packet.Skip:
		e.stats.Skipped++
		e.table.Advance(e.now)
	case packet.Fragment:
		e.stats.Fragments++
		e.table.Advance(e.now)
	case packet.Malformed:
		e.stats.DecodeErrors++
		e.table.Advance(e.now)
		var de *packet.DecodeError
		if !errors.As(err, &de) {
			break
		}
		var conn *tlsmon.Conn
		if de.Conn {
			if c, isNew := e.table.Touch(&e.pkt); c != nil {
				if isNew {
					e.newConnState(c)
				}
				conn = &c.Info
			}
		}
		if de.Weird != "" {
			e.raiseWeird(conn, de.Weird, de.Detail, "capture")
		}
	}
}

// Flush removes every connection (end of input).
func (e *Engine) Flush() { e.table.Flush(e.now) }

// Packet processes one decoded packet.
func (e *Engine) Packet(p *packet.Packet) {
	if p.Ts > e.now {
		e.now = p.Ts
	}
	res, ok := e.table.Packet(p)
	if !ok {
		e.table.Advance(e.now)
		return
	}
	c := res.Conn
	var cs *connState
	if res.IsNew {
		cs = e.newConnState(c)
	} else {
		cs = c.User.(*connState)
	}
	switch p.Proto {
	case 6:
		e.tcp(cs, &res, p)
	case 17:
		e.udp(cs, res.IsOrig(), p)
	}
}

func (e *Engine) newConnState(c *flow.Conn) *connState {
	cs := &connState{e: e, c: c}
	cs.budget.Max = e.opts.Limits.ReassemblyPerConnection
	for s := range cs.r {
		cs.r[s].Init(&cs.budget, &e.pool)
		cs.sinks[s] = sideSink{cs: cs, side: uint8(s)}
	}
	c.User = cs
	ev := tlsmon.NewConnection{Meta: tlsmon.Meta{Ts: e.now, Conn: &c.Info}}
	e.handler.HandleEvent(&ev)
	e.reg.Start(&cs.det, &c.Info.ID, cs.env)
	return cs
}

func (e *Engine) tcp(cs *connState, res *flow.Result, p *packet.Packet) {
	c, s := cs.c, res.Side
	t := res.TCP
	peer := s ^ 1
	if t.PeerAck && !(t.Ack <= 2 && c.IsPartial()) {
		cs.r[peer].AckReceived(p.Ts, t.Ack, &cs.sinks[peer])
		cs.checkEOF(peer, p.Ts)
	}
	if t.Deliver {
		r := &cs.r[s]
		data := p.Payload[:p.PayloadLen]
		switch r.DataSent(p.Ts, t.DataSeq, data, t.SelfAcked, &cs.sinks[s]) {
		case stream.CapConnection:
			e.capHit(c, "reassembly_conn", "reassembly_per_connection_cap")
		case stream.CapGlobal:
			e.capHit(c, "reassembly_global", "reassembly_global_cap")
		case stream.CapBlocks:
			e.capHit(c, "reassembly_blocks", "reassembly_block_cap")
		}
		if !r.Skipping() {
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
	}
	cs.checkEOF(s, p.Ts)
	if t.Close {
		e.table.CloseTCP(c, s, t)
	}
}

func (e *Engine) udp(cs *connState, isOrig bool, p *packet.Packet) {
	data := p.Payload
	n := len(cs.det.Slots)
	for _, sl := range cs.det.Slots[:n] {
		if !sl.Detached {
			sl.A.DeliverPacket(p.Ts, isOrig, data)
		}
	}
	if !cs.det.Stopped() {
		for _, sl := range e.reg.Packet(&cs.det, isOrig, data, cs.env) {
			cs.det.ReplayPackets(sl, p.Ts)
		}
		cs.det.Settle()
	}
}

func (e *Engine) capHit(c *flow.Conn, counter, weird string) {
	e.stats.CapHits[counter]++
	e.raiseWeird(&c.Info, weird, "", "tlsmon")
}

func (e *Engine) raiseWeird(c *tlsmon.Conn, name, addl, source string) {
	e.weird = tlsmon.Weird{Meta: tlsmon.Meta{Ts: e.now, Conn: c}, WeirdName: name, Addl: addl, Source: source}
	e.handler.HandleEvent(&e.weird)
}

// hooks receives the connection table's notifications.
type hooks Engine

func (h *hooks) Weird(c *flow.Conn, name string) {
	(*Engine)(h).raiseWeird(&c.Info, name, "", "TCP")
}

func (h *hooks) Removed(c *flow.Conn, ts int64) {
	e := (*Engine)(h)
	cs, _ := c.User.(*connState)
	if cs != nil {
		cs.done(ts)
	}
	ev := tlsmon.ConnectionStateRemove{Meta: tlsmon.Meta{Ts: ts, Conn: &c.Info}, Stats: c.Stats()}
	if cs != nil {
		ev.Stats.Service = cs.service
	}
	e.handler.HandleEvent(&ev)
	c.User = nil
}
