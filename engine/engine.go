package engine

import (
	"errors"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

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
	res     flow.Result // the current packet's (reused)
	now     int64
	stats   Stats
	// lastLinkType is the link type of the previous frame (checked only when it changes).
	lastLinkType uint32
	weird        tlsmon.Weird // reused, as the two below: handlers must not retain events
	newConn      tlsmon.NewConnection
	removed      tlsmon.ConnectionStateRemove
	cur          *connState // the connection being processed (for sinks and env)
	sinks        [2]sideSink
	envFn        detect.Env
	// freeAtt is the free list of attachments (conn.go), nFreeAtt its length.
	freeAtt  *attachment
	nFreeAtt int
	// freeConns are connection states released by the table, for reuse (conn.go).
	freeConns []*connState
	// services are the conn.log service names seen, serviceOne each as a one-name list.
	services   []string
	serviceOne [][]string
	tun        tunnels          // decapsulation (tunnel.go)
	recovery   *stream.Recovery // nil unless Options.Recover.Enabled (recover.go)
}

// minNetworkTime is the lowest network time Zeek reports (µs): its network time is the
// largest packet timestamp seen so far, but never below its timer manager's initial 1.0 s.
// Events carry network time; conn.log start times stay the packets' own.
const minNetworkTime = 1_000_000

type nopHandler struct{}

func (nopHandler) HandleEvent(tlsmon.Event) {}

// New returns an engine.
func New(opts Options) *Engine {
	opts.Limits.defaults()
	opts.Analyzer.Recover = opts.Recover.Enabled
	if opts.Analyzers == nil {
		opts.Analyzers = DefaultAnalyzers()
	}
	e := &Engine{opts: opts, handler: opts.Handler, now: minNetworkTime}
	if e.handler == nil {
		e.handler = nopHandler{}
	}
	e.dec = packet.NewDecoder(packet.Config{
		MaxFragmentBytes:        opts.Limits.MaxFragmentBytes,
		MaxFragmentsPerDatagram: opts.Limits.MaxFragmentsPerDatagram,
		VerifyChecksums:         opts.VerifyChecksums,
	})
	e.table = flow.NewTable(flow.Config{
		TCPInactivity: opts.TCPInactivityTimeout.Microseconds(),
		UDPInactivity: opts.UDPInactivityTimeout.Microseconds(),
		MaxConns:      opts.Limits.MaxConnections,
		UIDSeed:       opts.UIDSeed,
		NewConn:       e.newConnAlloc,
	}, (*hooks)(e))
	e.sinks = [2]sideSink{{e: e, side: 0}, {e: e, side: 1}}
	e.envFn = e.env
	e.reg = detect.NewRegistry(opts.Analyzers)
	e.pool.Max = opts.Limits.ReassemblyGlobal
	e.recovery = e.opts.Recover.recovery()
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
	if f.LinkType != e.lastLinkType {
		e.linkType(f.LinkType)
	}
	if f.Ts < 0 {
		// A 32-bit pcap time past 2038 read as signed: Zeek's packet source drops the
		// packet with this weird, at the current network time.
		e.stats.Skipped++
		e.raiseWeird(nil, "negative_packet_timestamp", "", "")
		return
	}
	st, err := e.dec.DecodeLen(f.LinkType, f.Ts, f.Data, f.WireLen, &e.pkt)
	if f.Ts > e.now {
		e.now = f.Ts
	}
	e.tun.slack = -1
	if f.WireLen >= 0 {
		e.tun.slack = f.WireLen - len(f.Data)
	}
	e.decoded(st, err, &e.pkt)
}

// linkType notes a change of link type; the first frame of a link type Zeek does not
// dispatch raises the weird unknown_link_type (once per link type), and the type is listed
// in Stats.UnknownLinkTypes for the command to warn about.
func (e *Engine) linkType(lt uint32) {
	e.lastLinkType = lt
	if packet.KnownLinkType(lt) || slices.Contains(e.stats.UnknownLinkTypes, lt) {
		return
	}
	e.stats.UnknownLinkTypes = append(e.stats.UnknownLinkTypes, lt)
	e.raiseWeird(nil, "unknown_link_type", strconv.FormatUint(uint64(lt), 10), "capture")
}

// decoded processes the outcome of decoding a frame (or a frame found inside a tunnel).
func (e *Engine) decoded(st packet.Status, err error, p *packet.Packet) {
	if len(p.Weirds) > 0 {
		e.table.Advance(e.now) // timers due before this packet fire before its weirds
		for _, w := range p.Weirds {
			e.raiseWeird(nil, w, "", packetWeirdSource(w))
		}
	}
	switch st {
	case packet.OK:
		e.stats.IPPackets++
		e.Packet(p)
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
			if c, isNew := e.table.Touch(p); c != nil {
				if isNew {
					e.newConnState(stateOf(c))
				}
				if e.tun.depth > 0 || stateOf(c).tunneled {
					e.checkEncap(stateOf(c), isNew)
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
	if w := flow.ICMPTruncated(p.Proto, p.PayloadLen, len(p.Payload)); w != "" {
		e.table.Advance(e.now)
		e.raiseWeird(nil, w, "", "ICMP")
		return
	}
	switch p.Proto {
	case 4, 41, 47: // IP-in-IP, GRE
		e.table.Advance(e.now)
		e.ipTunnel(p)
		return
	}
	if e.opts.VerifyChecksums && !p.TransportChecksumOK() {
		e.badChecksum(p)
		return
	}
	res := &e.res
	if !e.table.Packet(p, res) {
		e.table.Advance(e.now)
		return
	}
	cs := stateOf(res.Conn)
	if res.IsNew {
		e.newConnState(cs)
	}
	if e.tun.depth > 0 || cs.tunneled {
		e.checkEncap(cs, res.IsNew)
	}
	switch p.Proto {
	case 6:
		e.tcp(cs, res, p)
	case 17:
		if int(p.UDPLen) != p.PayloadLen+8 {
			e.raiseWeird(&cs.Info, "UDP_datagram_length_mismatch",
				strconv.Itoa(int(p.UDPLen))+" != "+strconv.Itoa(p.PayloadLen+8), "UDP")
		}
		isOrig := res.IsOrig()
		e.udpTunnel(cs, isOrig, p)
		e.udp(cs, isOrig, p)
	}
}

// packetWeirdSource is the weird.log source of a packet-level weird from the decoder: IP
// fragment reassembly reports none, the IP analyzer "IP".
func packetWeirdSource(name string) string {
	if strings.HasPrefix(name, "fragment_") || strings.HasPrefix(name, "excessively_") {
		return ""
	}
	return "IP"
}

func (e *Engine) newConnState(cs *connState) {
	cs.budget.Max = int32(min(e.opts.Limits.ReassemblyPerConnection, math.MaxInt32))
	for s := range cs.r {
		cs.r[s].Init(&cs.budget, &e.pool)
	}
	if e.recovery != nil {
		stream.SetRecovery(e.recovery, &cs.r[0], &cs.r[1]) // recover.go
	}
	e.newConn = tlsmon.NewConnection{Meta: tlsmon.Meta{Ts: e.now, Conn: &cs.Info}}
	e.handler.HandleEvent(&e.newConn)
	e.cur = cs
	e.reg.Start(&cs.det, &cs.Info.ID, e.envFn)
}

func (e *Engine) tcp(cs *connState, res *flow.Result, p *packet.Packet) {
	c, s := &cs.Conn, res.Side
	e.cur = cs
	t := res.TCP
	peer := s ^ 1
	if t.PeerAck {
		before := cs.r[peer].Next()
		// A partial connection's first ACK may point just past the faked initial sequence:
		// Zeek reports no gap for it (TCP_Reassembler::Undelivered).
		partialStart := t.Ack <= 2 && c.IsPartial()
		if !partialStart {
			cs.r[peer].AckReceived(e.now, t.Ack, &e.sinks[peer])
		}
		cs.noteAck(peer, before, t.Ack)
		if !partialStart {
			cs.checkEOF(e, peer, e.now)
		}
	}
	if t.Deliver {
		r := &cs.r[s]
		if !r.DataDropped() && cs.idle() {
			// Nothing reads this connection's bytes any more: reassembly keeps sequence
			// ranges only (gaps and missed_bytes stay exact), no data is copied or delivered.
			cs.r[0].DropData()
			cs.r[1].DropData()
		}
		data := p.Payload[:p.PayloadLen]
		var capped int
		before, peerBefore := r.Next(), cs.r[peer].Next()
		if e.recovery != nil && t.PeerAck && t.Ack > cs.r[peer].Next() && cs.r[peer].Holding() {
			capped = e.holdData(cs, s, t.DataSeq, data, t.Ack) // recover.go
			cs.noteDelivered(peer, peerBefore)
		} else {
			capped = r.DataSent(e.now, t.DataSeq, data, t.SelfAcked, &e.sinks[s])
		}
		cs.noteDelivered(s, before)
		switch capped {
		case stream.CapConnection:
			e.capHit(c, "reassembly_conn", "reassembly_per_connection_cap")
		case stream.CapGlobal:
			e.capHit(c, "reassembly_global", "reassembly_global_cap")
		case stream.CapBlocks:
			e.capHit(c, "reassembly_blocks", "reassembly_block_cap")
		case stream.CapHold:
			e.capHit(c, "reassembly_hold", "reassembly_hold_cap")
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
	if e.recovery != nil {
		e.releaseHeld(cs, e.now)
	}
	cs.checkEOF(e, s, e.now)
	cs.endDetached(e.now)
	if t.Close {
		// Zeek's ConnectionClosed: with data pending, the close waits for the end of data.
		if cs.dataPending(s) {
			cs.state |= csCloseDeferred
		} else {
			cs.state &^= csCloseDeferred
			e.table.CloseTCP(c, s, t)
		}
	}
}

func (e *Engine) udp(cs *connState, isOrig bool, p *packet.Packet) {
	e.cur = cs
	data := p.Payload
	slots := cs.det.Slots()
	n := len(slots)
	for _, sl := range slots[:n] {
		if !sl.Detached {
			sl.A.DeliverPacket(e.now, isOrig, data)
		}
	}
	if !cs.det.Stopped() {
		for _, sl := range e.reg.Packet(&cs.det, isOrig, data, e.envFn) {
			cs.det.ReplayPackets(sl, e.now)
		}
		cs.det.Settle()
	}
	cs.endDetached(e.now)
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
	cs := stateOf(c)
	e.done(cs, ts)
	ev := &e.removed
	*ev = tlsmon.ConnectionStateRemove{Meta: tlsmon.Meta{Ts: ts, Conn: &c.Info}, Stats: c.Stats()}
	ev.Stats.Service = e.serviceList(cs.service)
	ev.Stats.TunnelParents = e.tunnelParents(cs)
	e.handler.HandleEvent(ev)
	e.dropTunState(cs)
	e.releaseAttachments(cs)
	e.cur = nil
}
