package engine

import (
	"errors"
	"io"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"

	"github.com/tlsmon/tlsmon"
	"github.com/tlsmon/tlsmon/analyzer"
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
	// freeAtt is the free list of attachments (conn.go), nFreeAtt its length.
	freeAtt  *attachment
	nFreeAtt int
	// freeConns are connection states released by the table, for reuse (conn.go).
	freeConns []*connState
	// services are the conn.log service names seen, serviceOne each as a one-name list.
	services   []string
	serviceOne [][]string
	tun        tunnels          // decapsulation (tunnel.go)
	phase      uint8            // of the current frame (order.go)
	frame      uint64           // index of the current frame, from 1 (order.go)
	recovery   *stream.Recovery // nil unless Options.Recover.Enabled (recover.go)
	// sslNew is the SSL spec's factory of Options.Analyzers, for the analyzers that start
	// TLS inside their stream (analyzer.Env.SSL); nil without one.
	sslNew analyzer.Factory
	// capSamples is each cap's weird sampling; seen* are the decoder's and the table's cap
	// counters already reported (capweird.go).
	capSamples                                      map[string]*capSample
	seenFragBytesCap, seenFragCountCap, seenConnCap uint64
	seenTunFragCaps                                 [maxTunnelDepth][2]uint64
	// mem is the memory budget (budget.go).
	mem memState
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
	e := &Engine{opts: opts, handler: opts.Handler, now: minNetworkTime}
	if e.handler == nil {
		e.handler = nopHandler{}
	}
	e.initBudget(opts.MaxMemory) // budget.go
	mem := e.memBudget()
	if opts.Analyzers == nil && opts.SSL.Budget == nil {
		opts.SSL.Budget = mem
	}
	if opts.Analyzers == nil {
		opts.Analyzers = DefaultAnalyzersConfig(opts.SSL, opts.DTLS, opts.QUIC)
	}
	e.opts.Analyzers = opts.Analyzers
	e.sslNew = sslFactory(opts.Analyzers)
	e.dec = packet.NewDecoder(packet.Config{
		MaxFragmentBytes:        opts.Limits.MaxFragmentBytes,
		MaxFragmentsPerDatagram: opts.Limits.MaxFragmentsPerDatagram,
		VerifyChecksums:         opts.VerifyChecksums,
		Budget:                  mem,
	})
	tc := flow.Config{
		TCPInactivity: opts.TCPInactivityTimeout.Microseconds(),
		UDPInactivity: opts.UDPInactivityTimeout.Microseconds(),
		MaxConns:      opts.Limits.MaxConnections,
		UIDSeed:       opts.UIDSeed,
		NewConn:       e.newConnAlloc,
	}
	if mem != nil {
		tc.Admit = e.admit
	}
	e.table = flow.NewTable(tc, (*hooks)(e))
	e.reg = detect.NewRegistry(opts.Analyzers)
	e.pool.Max = opts.Limits.ReassemblyGlobal
	e.pool.Mem = mem
	e.recovery = e.opts.Recover.recovery()
	e.stats.CapHits = map[string]uint64{}
	e.capSamples = map[string]*capSample{}
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
		s.CapHits["frag_bytes"] += ds.FragBytesCapHits // tunnels' decoders counted already
	}
	if ds.FragCountCapHits > 0 {
		s.CapHits["frag_count"] += ds.FragCountCapHits
	}
	return s
}

// Run processes every frame of r. At the end of input (or at a capture error) it removes
// every connection, raising their ConnectionStateRemove events, and returns the first fatal
// capture error, or nil at a clean end.
//
// A mapped capture truncated while it is read (capture.OpenMapped) ends the run with an
// error wrapping capture.ErrMappedFault instead of the process: the connections are
// flushed if the fault came from the reader, not if it came while a frame was processed
// (the engine's state is then incomplete).
func (e *Engine) Run(r capture.Reader) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	inFrame := false
	defer func() {
		if v := recover(); v != nil {
			ferr, ok := capture.FaultError(v)
			if !ok {
				panic(v)
			}
			if !inFrame {
				e.Flush()
			}
			err = ferr
		}
	}()
	var f capture.Frame
	for {
		if err = r.Next(&f); err != nil {
			break
		}
		inFrame = true
		e.Frame(&f)
		inFrame = false
	}
	e.Flush()
	if errors.Is(err, io.EOF) {
		return nil
	}
	return err
}

// Frame processes one frame, the one after the previous (FrameAt's index + 1).
func (e *Engine) Frame(f *capture.Frame) { e.FrameAt(e.frame+1, f) }

// FrameAt processes frame number i of a capture (numbered from 1; i must exceed the index
// of every frame or Tick given before): for an engine that processes some of a capture's
// frames and is told of the others by Tick, as a shard (docs/SCALING.md, order.go).
func (e *Engine) FrameAt(i uint64, f *capture.Frame) {
	e.frame = i
	e.stats.Packets++
	e.stats.Bytes += uint64(len(f.Data))
	e.table.SetFrame(i) // timer ties and uids follow frame indices (docs/SCALING.md)
	e.phase = PhaseFrame
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
	// negative when the wire length is unknown (-1)
	e.tun.slack = f.WireLen - len(f.Data)
	if st == packet.OK && len(e.pkt.Weirds) == 0 { // decoded's common case, without the call
		e.stats.IPPackets++
		if e.pkt.Proto == 6 && !e.opts.VerifyChecksums {
			// Packet's tests that cannot apply: network time is the frame's already, and a
			// TCP packet is neither ICMP nor a tunnel
			e.phase = PhasePacket
			e.connPacket(&e.pkt)
			return
		}
		e.Packet(&e.pkt)
		return
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
		if e.tun.depth == 0 {
			e.phase = PhaseDecode
		}
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
		if e.tun.depth == 0 {
			e.phase = PhaseDecode
			e.checkDecoderCaps()
		} else {
			e.checkTunnelDecoderCaps(e.tun.depth - 1)
		}
		var de *packet.DecodeError
		if !errors.As(err, &de) {
			break
		}
		var conn *tlsmon.Conn
		if de.Conn {
			c, isNew := e.table.Touch(p)
			if c == nil {
				e.checkTableCap()
			} else {
				e.phase = PhasePacket
				if isNew {
					stateOf(c).start()
				}
				if e.tun.depth > 0 || stateOf(c).tun != nil {
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

// Advance moves network time forward to now (µs) without a packet and fires the timers
// due by then: a live source calls it with the wall clock when no packet arrives, so idle
// connections expire on time on a quiet link, as in Zeek's live mode. Time never goes back.
func (e *Engine) Advance(now int64) {
	e.phase = PhaseTimer
	if now > e.now {
		e.now = now
	}
	e.table.Advance(e.now)
}

// Flush removes every connection (end of input).
func (e *Engine) Flush() { e.table.Flush(e.now) }

// Packet processes one decoded packet.
func (e *Engine) Packet(p *packet.Packet) {
	if p.Ts > e.now {
		e.now = p.Ts
	}
	e.phase = PhasePacket
	if p.Proto != 6 && p.Proto != 17 { // (TCP and UDP, most packets, skip both tests)
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
	}
	if e.opts.VerifyChecksums && !p.TransportChecksumOK() {
		e.badChecksum(p)
		return
	}
	e.connPacket(p)
}

// connPacket is Packet for a TCP or UDP packet once its checks passed: the connection's
// part.
func (e *Engine) connPacket(p *packet.Packet) {
	res := &e.res
	if !e.table.Packet(p, res) {
		e.table.Advance(e.now)
		e.checkTableCap()
		return
	}
	cs := stateOf(res.Conn)
	if res.IsNew {
		cs.start()
	}
	if e.tun.depth > 0 || cs.tun != nil {
		e.checkEncap(cs, res.IsNew)
	}
	switch p.Proto {
	case 6:
		cs.tcp(res, p)
	case 17:
		if int(p.UDPLen) != p.PayloadLen+8 {
			e.raiseWeird(&cs.Info, "UDP_datagram_length_mismatch",
				strconv.Itoa(int(p.UDPLen))+" != "+strconv.Itoa(p.PayloadLen+8), "UDP")
		}
		isOrig := res.IsOrig()
		e.udpTunnel(cs, isOrig, p)
		cs.udp(isOrig, p)
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

func (e *Engine) capHit(c *flow.Conn, counter, weird string) {
	e.capReport(&c.Info, counter, weird, "", false)
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
	if e.mem.on {
		e.connRemoved(cs)
	}
	cs.done(ts)
	ev := &e.removed
	*ev = tlsmon.ConnectionStateRemove{Meta: tlsmon.Meta{Ts: ts, Conn: &c.Info}}
	e.table.ConnStats(c, &ev.Stats)
	ev.Stats.Service = e.serviceList(cs.service)
	ev.Stats.TunnelParents = cs.tunnelParents()
	e.handler.HandleEvent(ev)
	e.releaseAttachments(cs)
}
