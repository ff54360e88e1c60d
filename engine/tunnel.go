package engine

import (
	"github.com/tlsmon/tlsmon"
	"github.com/tlsmon/tlsmon/packet"
)

// Zeek's tunnel settings (init-bare.zeek).
const (
	maxTunnelDepth       = 4                   // Tunnel::max_depth
	maxTunnelChanges     = 5                   // Tunnel::max_changes_per_connection
	ipTunnelTimeout      = 24 * 3600 * 1000000 // Tunnel::ip_tunnel_timeout (µs)
	maxIPTunnels         = 1 << 16             // tlsmon's cap on remembered IP tunnels
	maxTunnelParentsKept = maxTunnelChanges + 1
)

// tunnelLayer is one level of the current packet's encapsulation stack.
type tunnelLayer struct {
	uid  string // the encapsulating connection's (or IP tunnel's) uid
	kind uint8
	hash uint64 // identity of the stack up to and including this layer (never 0)
}

// tunnels is the engine's decapsulation state. Nothing in it is touched on the path of a
// packet that is not in a tunnel and carries none.
type tunnels struct {
	depth int
	stack [maxTunnelDepth]tunnelLayer
	dec   [maxTunnelDepth]*packet.Decoder // one per depth: each has its own reassembly buffer
	pkt   [maxTunnelDepth]packet.Packet
	slack int // the current frame's wire length minus its captured length (negative: unknown)
	ip    map[ipPair]*ipTunnel
}

// ipPair is an IP tunnel's endpoints, the lower address first.
type ipPair struct{ a, b [16]byte }

type ipTunnel struct {
	uid  string
	last int64
}

// connTunnel is a connection's tunnel state, allocated on first need.
type connTunnel struct {
	encap     uint64 // hash of the encapsulation it last arrived through (0: none)
	changes   uint8
	parents   []string // conn.log tunnel_parents, in order of appearance
	confirmed uint16   // bit per tunnel kind (packet.Tunnel*)
	violated  uint16
	teredo    [2]bool // valid Teredo seen from the originator, the responder
}

// tunState returns a connection's tunnel state, creating it.
func (cs *connState) tunState() *connTunnel {
	if cs.tun == nil {
		cs.tun = &connTunnel{}
	}
	return cs.tun
}

// tunnelParents returns the uids of the connections (or IP tunnels) that carried this one,
// as conn.log's tunnel_parents; nil when it never came through a tunnel.
func (cs *connState) tunnelParents() []string {
	if cs.tun == nil {
		return nil
	}
	return cs.tun.parents
}

func (t *connTunnel) addParent(uid string) {
	for _, p := range t.parents {
		if p == uid {
			return
		}
	}
	if len(t.parents) < maxTunnelParentsKept {
		t.parents = append(t.parents, uid)
	}
}

// encapHash is the identity of the current packet's encapsulation stack (0: none).
func (t *tunnels) encapHash() uint64 {
	if t.depth == 0 {
		return 0
	}
	return t.stack[t.depth-1].hash
}

// checkEncap notes the encapsulation a connection's packet arrived through, as Zeek's
// Connection::CheckEncapsulation and conn.log's tunnel_parents.
func (e *Engine) checkEncap(cs *connState, isNew bool) {
	cur := e.tun.encapHash()
	if isNew {
		if cur != 0 {
			t := cs.tunState()
			t.encap = cur
			t.addParent(e.tun.stack[e.tun.depth-1].uid)
		}
		return
	}
	var prev uint64
	if cs.tun != nil {
		prev = cs.tun.encap
	}
	if prev == cur {
		return
	}
	t := cs.tunState()
	t.encap = cur
	if t.changes >= maxTunnelChanges {
		e.stats.CapHits["tunnel_changes"]++
		e.raiseWeird(&cs.Info, "tunnel_max_changes_per_connection_exceeded", "5", "")
		cs.AnalyzerLimit()
		return
	}
	t.changes++
	if cur != 0 {
		t.addParent(e.tun.stack[e.tun.depth-1].uid)
	}
}

// analyzerTag is the name a tunnel's packet analyzer has in Zeek's analyzer events.
func analyzerTag(kind uint8) string {
	switch kind {
	case packet.TunnelAYIYA:
		return "AYIYA"
	case packet.TunnelTeredo:
		return "TEREDO"
	case packet.TunnelVXLAN:
		return "VXLAN"
	case packet.TunnelGeneve:
		return "GENEVE"
	case packet.TunnelGTPv1:
		return "GTPV1"
	case packet.TunnelGRE:
		return "GRE"
	}
	return "IPTUNNEL"
}

// udpTunnel hands a UDP datagram to the tunnel analyzer Zeek's UDP analyzer would pick: by
// the responder port, else by content (AYIYA, Teredo). Inner packets are analysed before
// the outer datagram goes to the connection's own analyzers, as in Zeek.
func (e *Engine) udpTunnel(cs *connState, isOrig bool, p *packet.Packet) {
	kind := packet.UDPTunnelByPort(cs.Info.ID.RespP)
	if kind == packet.TunnelNone {
		if kind = packet.UDPTunnelDetect(p.Payload); kind == packet.TunnelNone {
			return
		}
	}
	if kind == packet.TunnelGRE { // GRE in UDP: an IP tunnel between the outer addresses
		e.greTunnel(p, p.Payload)
		return
	}
	bit := uint16(1) << kind
	t := cs.tunState()
	if kind != packet.TunnelGTPv1 && t.violated&bit != 0 {
		return
	}
	if e.tun.depth >= maxTunnelDepth {
		e.stats.CapHits["tunnel_depth"]++
		if kind == packet.TunnelGTPv1 {
			e.raiseWeird(nil, "tunnel_depth", "", "GTPV1")
			return
		}
		cs.AnalyzerLimit()
		e.raiseWeird(&cs.Info, "exceeded_tunnel_max_depth", "", analyzerTag(kind))
		return
	}
	if kind == packet.TunnelGTPv1 && e.tun.depth > 0 && e.tun.stack[e.tun.depth-1].kind == packet.TunnelGTPv1 {
		e.tunnelViolation(cs, kind, "GTP-in-GTP", p.Payload)
		return
	}
	var in packet.Inner
	switch kind {
	case packet.TunnelVXLAN:
		in = packet.VXLAN(p.Payload)
	case packet.TunnelGeneve:
		in = packet.Geneve(p.Payload)
	case packet.TunnelGTPv1:
		in = packet.GTPv1(p.Payload)
	case packet.TunnelAYIYA:
		in = packet.AYIYA(p.Payload)
	case packet.TunnelTeredo:
		in = packet.Teredo(p.Payload)
		if in.Violation == "" {
			if isOrig {
				t.teredo[0] = true
			} else {
				t.teredo[1] = true
			}
			// Tunnel::delay_teredo_confirmation: both sides must have sent valid Teredo.
			in.Confirm = t.teredo[0] && t.teredo[1]
		}
	}
	if in.Weird != "" && (kind != packet.TunnelTeredo || t.confirmed&bit != 0) {
		e.raiseWeird(&cs.Info, in.Weird, "", analyzerTag(kind))
	}
	if in.Bubble {
		e.raiseWeird(&cs.Info, "Teredo_bubble_with_payload", "", analyzerTag(kind))
	}
	if in.Violation != "" {
		e.tunnelViolation(cs, kind, in.Violation, p.Payload)
		return
	}
	if in.Confirm && t.confirmed&bit == 0 && t.violated&bit == 0 {
		t.confirmed |= bit
		name := analyzerTag(kind)
		cs.service |= e.serviceBit(name)
		ev := tlsmon.AnalyzerConfirmation{Meta: tlsmon.Meta{Ts: e.now, Conn: &cs.Info}, Analyzer: name}
		e.handler.HandleEvent(&ev)
	}
	if in.Data != nil {
		e.inner(kind, cs.Info.UID, in.LinkType, in.Data, p.Ts)
	}
}

func (e *Engine) tunnelViolation(cs *connState, kind uint8, reason string, data []byte) {
	t := cs.tunState()
	bit := uint16(1) << kind
	if t.violated&bit != 0 {
		return
	}
	t.violated |= bit
	ev := tlsmon.AnalyzerViolation{Meta: tlsmon.Meta{Ts: e.now, Conn: &cs.Info}, Analyzer: analyzerTag(kind), Reason: reason, Data: data}
	e.handler.HandleEvent(&ev)
}

// ipTunnel decapsulates IP-in-IP (protocols 4, 41) and GRE (47) packets.
func (e *Engine) ipTunnel(p *packet.Packet) {
	if p.Proto == 47 {
		e.greTunnel(p, p.Payload)
		return
	}
	e.ipInner(p, packet.TunnelIP, packet.LinkRaw, p.Payload)
}

func (e *Engine) greTunnel(p *packet.Packet, b []byte) {
	in := packet.GRE(b)
	if in.Weird != "" {
		e.raiseWeird(nil, in.Weird, "", "GRE")
	}
	if in.Data != nil {
		e.ipInner(p, packet.TunnelGRE, in.LinkType, in.Data)
	}
}

// ipInner forwards the payload of an IP tunnel, whose uid is that of the outer address pair.
func (e *Engine) ipInner(p *packet.Packet, kind uint8, link uint32, data []byte) {
	if e.tun.depth >= maxTunnelDepth {
		e.stats.CapHits["tunnel_depth"]++
		e.raiseWeird(nil, "exceeded_tunnel_max_depth", "", "IPTunnel")
		return
	}
	e.inner(kind, e.ipTunnelUID(&p.Src, &p.Dst, p.Ts), link, data, p.Ts)
}

// ipTunnelUID returns the uid of the IP tunnel between two addresses: the same while the
// tunnel stays active (Tunnel::ip_tunnel_timeout), a new one after.
func (e *Engine) ipTunnelUID(src, dst *[16]byte, ts int64) string {
	k := ipPair{*src, *dst}
	if string(src[:]) > string(dst[:]) {
		k = ipPair{*dst, *src}
	}
	if e.tun.ip == nil {
		e.tun.ip = map[ipPair]*ipTunnel{}
	}
	if t := e.tun.ip[k]; t != nil {
		if ts-t.last < ipTunnelTimeout {
			t.last = max(t.last, ts)
			return t.uid
		}
		t.uid, t.last = e.table.NewUID(), ts
		return t.uid
	}
	uid := e.table.NewUID()
	if len(e.tun.ip) >= maxIPTunnels {
		e.stats.CapHits["ip_tunnels"]++
		return uid
	}
	e.tun.ip[k] = &ipTunnel{uid: uid, last: ts}
	return uid
}

// inner decodes and processes an encapsulated frame one level deeper.
func (e *Engine) inner(kind uint8, uid string, link uint32, data []byte, ts int64) {
	d := e.tun.depth
	var prev uint64 = 14695981039346656037
	if d > 0 {
		prev = e.tun.stack[d-1].hash
	}
	h := prev
	for i := 0; i < len(uid); i++ {
		h = (h ^ uint64(uid[i])) * 1099511628211
	}
	h = (h ^ uint64(kind)) * 1099511628211
	if h == 0 {
		h = 1
	}
	e.tun.stack[d] = tunnelLayer{uid: uid, kind: kind, hash: h}
	if e.tun.dec[d] == nil {
		e.tun.dec[d] = packet.NewDecoder(packet.Config{
			MaxFragmentBytes:        e.opts.Limits.MaxFragmentBytes,
			MaxFragmentsPerDatagram: e.opts.Limits.MaxFragmentsPerDatagram,
			Budget:                  e.memBudget(),
		})
	}
	wire := -1
	if e.tun.slack >= 0 {
		wire = len(data) + e.tun.slack
	}
	q := &e.tun.pkt[d]
	st, err := e.tun.dec[d].DecodeLen(link, ts, data, wire, q)
	outer := e.res.Conn // the current packet's connection again after the inner one (budget.go: busy)
	e.tun.depth++
	e.decoded(st, err, q)
	e.tun.depth--
	e.res.Conn = outer
}
