package engine

import (
	"encoding/binary"
	"errors"
	"io"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/tlsmon/tlsmon"
	"github.com/tlsmon/tlsmon/capture"
	"github.com/tlsmon/tlsmon/flow"
	"github.com/tlsmon/tlsmon/packet"
)

// The tunnel kinds FuzzTunnelPath stacks; each carries an IPv4 packet.
const (
	wrapVXLAN = iota
	wrapGeneve
	wrapGTPv1
	wrapGRE
	wrapIPIP
	wrapAYIYA
	wrapKinds
)

// wrap encapsulates an IPv4 packet in one tunnel level. Each level has its own outer
// addresses, so that the connections of different levels never share a 4-tuple.
func wrap(t *testing.T, level, kind int, ip []byte) []byte {
	outer := &layers.IPv4{Version: 4, IHL: 5, TTL: 64, SrcIP: []byte{10, 1, byte(level), 1}, DstIP: []byte{10, 1, byte(level), 2}}
	udp := func(sport, dport uint16, payload []byte) []byte {
		outer.Protocol = layers.IPProtocolUDP
		u := &layers.UDP{SrcPort: layers.UDPPort(sport), DstPort: layers.UDPPort(dport)}
		_ = u.SetNetworkLayerForChecksum(outer)
		return ser(t, outer, u, gopacket.Payload(payload))
	}
	switch kind {
	case wrapVXLAN:
		return udp(50000, 4789, append([]byte{8, 0, 0, 0, 0, 0, 1, 0}, eth(t, ip)...))
	case wrapGeneve:
		return udp(47101, 6081, append([]byte{0, 0, 0x08, 0x00, 0, 0, 1, 0}, ip...))
	case wrapGTPv1:
		gtp := append([]byte{0x30, 0xff, 0, 0, 0, 0, 0, 1}, ip...)
		binary.BigEndian.PutUint16(gtp[2:], uint16(len(ip)))
		return udp(2152, 2152, gtp)
	case wrapAYIYA: // 2-byte identity, 20-byte signature, next header IPv4
		return udp(50000, 5072, append(append([]byte{0x10, 0x52, 0x11, 4, 0, 0, 0, 0, 1, 2}, make([]byte, 20)...), ip...))
	case wrapGRE:
		outer.Protocol = layers.IPProtocolGRE
		return ser(t, outer, gopacket.Payload(append([]byte{0, 0, 8, 0}, ip...)))
	}
	outer.Protocol = layers.IPProtocolIPv4
	return ser(t, outer, gopacket.Payload(ip))
}

// innerID is the connection of an IPv4 TCP packet, oriented as sent.
func innerID(ip []byte) tlsmon.ConnID {
	hl := int(ip[0]&0x0f) * 4
	return tlsmon.ConnID{OrigH: netip.AddrFrom4([4]byte(ip[12:16])), RespH: netip.AddrFrom4([4]byte(ip[16:20])),
		OrigP: binary.BigEndian.Uint16(ip[hl:]), RespP: binary.BigEndian.Uint16(ip[hl+2:]), Proto: tlsmon.ProtoTCP}
}

// uidsOf returns the uids of the removed connections.
func uidsOf(parents map[tlsmon.ConnID][]string) map[string]bool {
	out := map[string]bool{}
	for _, rows := range parents {
		for _, r := range rows {
			out[strings.SplitN(r, ">", 2)[0]] = true
		}
	}
	return out
}

type handshakeFrame struct {
	ts int64
	ip []byte // the IPv4 packet, without its Ethernet header
}

var (
	handshakeOnce   sync.Once
	handshakeFrames []handshakeFrame
	handshakeErr    error
	bareMu          sync.Mutex
	bareEvents      = map[int][]string{} // SSL event lines of the first n frames, unencapsulated
)

// firstConnFrames returns the frames of the first TCP connection of testdata/sample.pcap
// (a real TLS handshake made by internal/testgen), as IPv4 packets.
func firstConnFrames(t testing.TB) []handshakeFrame {
	handshakeOnce.Do(func() {
		r, err := capture.Open("../testdata/sample.pcap")
		if err != nil {
			handshakeErr = err
			return
		}
		defer r.Close()
		dec := packet.NewDecoder(packet.Config{})
		var (
			f     capture.Frame
			p     packet.Packet
			ports [2]uint16
		)
		for {
			if err := r.Next(&f); err != nil {
				if !errors.Is(err, io.EOF) {
					handshakeErr = err
				}
				return
			}
			if st, _ := dec.Decode(f.LinkType, f.Ts, f.Data, &p); st != packet.OK || p.Proto != 6 || f.LinkType != packet.LinkEthernet {
				continue
			}
			if ports == [2]uint16{} {
				ports = [2]uint16{p.SrcPort, p.DstPort}
			}
			if (p.SrcPort == ports[0] && p.DstPort == ports[1]) || (p.SrcPort == ports[1] && p.DstPort == ports[0]) {
				ip := f.Data[14:]
				ip = ip[:min(len(ip), int(binary.BigEndian.Uint16(ip[2:])))] // without Ethernet padding (GTP checks the length)
				handshakeFrames = append(handshakeFrames, handshakeFrame{f.Ts, slices.Clone(ip)})
			}
		}
	})
	if handshakeErr != nil || len(handshakeFrames) < 8 {
		t.Fatalf("sample.pcap: %v (%d frames)", handshakeErr, len(handshakeFrames))
	}
	return handshakeFrames
}

// tunnelRun feeds frames (raw IPv4) to an engine and returns the canonical lines of the SSL
// events and the removed connections' tunnel parents by ID, checking the engine's tunnel
// state after each frame and the connections at the end.
func tunnelRun(t *testing.T, frames []handshakeFrame) ([]string, map[tlsmon.ConnID][]string) {
	var lines []string
	parents := map[tlsmon.ConnID][]string{}
	live := map[*tlsmon.Conn]bool{}
	uids := map[string]bool{}
	e := New(Options{UIDSeed: 1, Handler: tlsmon.HandlerFunc(func(ev tlsmon.Event) {
		m := ev.EventMeta()
		if se, ok := ev.(tlsmon.SSLEvent); ok {
			lines = append(lines, string(tlsmon.AppendCanonical(nil, se)))
		}
		if m.Conn == nil {
			return
		}
		if rm, ok := ev.(*tlsmon.ConnectionStateRemove); ok {
			if uids[rm.Conn.UID] {
				t.Fatalf("connection %s removed twice", rm.Conn.UID)
			}
			uids[rm.Conn.UID] = true
			parents[rm.Conn.ID] = append(parents[rm.Conn.ID], rm.Conn.UID+">"+strings.Join(rm.Stats.TunnelParents, ","))
			delete(live, m.Conn)
			return
		}
		live[m.Conn] = true
	})})
	for _, fr := range frames {
		e.Frame(&capture.Frame{Ts: fr.ts, LinkType: packet.LinkRaw, Data: fr.ip, WireLen: len(fr.ip)})
		if e.tun.depth != 0 {
			t.Fatalf("tunnel depth %d after a frame", e.tun.depth)
		}
		e.table.Each(func(c *flow.Conn) {
			if tun := stateOf(c).tun; tun != nil && (len(tun.parents) > maxTunnelParentsKept || tun.changes > maxTunnelChanges) {
				t.Fatalf("connection %s: %d tunnel parents, %d changes", c.Info.UID, len(tun.parents), tun.changes)
			}
		})
	}
	e.Flush()
	if len(live) != 0 {
		t.Fatalf("after Flush: %d connections with events not removed", len(live))
	}
	return lines, parents
}

// FuzzTunnelPath sends a real TLS handshake through the engine inside a stack of tunnels
// (VXLAN, Geneve, GTPv1, AYIYA, GRE, IP-in-IP, up to one level past Tunnel::max_depth), with
// fuzz bytes interleaved as further encapsulated packets or as raw tunnel payloads.
// Always: no panic, the decapsulation depth back to 0 after each frame, tunnel state
// within its caps, every connection removed once, none left after Flush. Without
// interleaved bytes, the handshake's SSL events are those of the same packets sent bare
// (none when the stack is deeper than Tunnel::max_depth or nests GTP in GTP), and the
// inner connection's tunnel_parents is the innermost tunnel alone: its UDP connection, or
// an IP tunnel's uid that is no connection's.
//
// Input: b[0] % 6 tunnel levels, then one byte per level (its kind), then operations:
// a byte op and, for op >= 0x80, a length byte and that many bytes: op < 0x80 sends the
// next handshake frame; op & 0x40 sends the bytes as a raw UDP payload to the tunnel port
// op & 7 selects; otherwise they go through the tunnel stack in place of an IPv4 packet.
func FuzzTunnelPath(f *testing.F) {
	all := make([]byte, 40) // every handshake frame
	f.Add(append([]byte{1, wrapVXLAN}, all...))
	f.Add(append([]byte{4, wrapGRE, wrapGeneve, wrapIPIP, wrapGTPv1}, all...))
	f.Add(append([]byte{5, wrapVXLAN, wrapVXLAN, wrapVXLAN, wrapVXLAN, wrapVXLAN}, all...))
	f.Add(append([]byte{2, wrapGTPv1, wrapGTPv1}, all...))
	f.Add([]byte{1, wrapVXLAN, 0, 0, 0x80, 4, 0x45, 0, 0, 20, 0, 0, 0xc1, 3, 1, 2, 3})
	f.Add([]byte{0, 0, 0xc0, 8, 8, 0, 0, 0, 0, 0, 1, 0, 0xc1, 4, 0, 0, 8, 0, 0xc3, 2, 0x30, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		hs := firstConnFrames(t)
		if len(b) == 0 {
			return
		}
		depth := int(b[0] % 6)
		b = b[1:]
		kinds := make([]int, depth)
		for i := range kinds {
			if len(b) > 0 {
				kinds[i] = int(b[0] % wrapKinds)
				b = b[1:]
			}
		}
		stack := func(ip []byte) []byte {
			for level := depth - 1; level >= 0; level-- {
				ip = wrap(t, level, kinds[level], ip)
			}
			return ip
		}
		var frames []handshakeFrame
		next, junk := 0, false
		ts := hs[0].ts
		for len(b) > 0 && len(frames) < 64 {
			op := b[0]
			b = b[1:]
			if op < 0x80 {
				if next < len(hs) {
					ts = hs[next].ts
					frames = append(frames, handshakeFrame{ts, stack(hs[next].ip)})
					next++
				}
				continue
			}
			junk = true
			n := 0
			if len(b) > 0 {
				n = min(int(b[0]), len(b)-1)
				b = b[1:]
			}
			data := slices.Clone(b[:n])
			b = b[n:]
			if op&0x40 != 0 {
				ports := []uint16{4789, 6081, 2152, 2123, 3544, 5072, 4754, 443}
				outer := &layers.IPv4{Version: 4, IHL: 5, TTL: 64, Protocol: layers.IPProtocolUDP, SrcIP: []byte{10, 2, 0, 1}, DstIP: []byte{10, 2, 0, 2}}
				u := &layers.UDP{SrcPort: 40001, DstPort: layers.UDPPort(ports[op&7])}
				_ = u.SetNetworkLayerForChecksum(outer)
				frames = append(frames, handshakeFrame{ts, ser(t, outer, u, gopacket.Payload(data))})
			} else {
				frames = append(frames, handshakeFrame{ts, stack(data)})
			}
		}
		got, parents := tunnelRun(t, frames)
		if junk {
			return
		}
		bareMu.Lock()
		want, ok := bareEvents[next]
		bareMu.Unlock()
		if !ok {
			want, _ = tunnelRun(t, hs[:next])
			bareMu.Lock()
			bareEvents[next] = want
			bareMu.Unlock()
		}
		gtpInGTP := false
		for i := 1; i < depth; i++ {
			gtpInGTP = gtpInGTP || (kinds[i] == wrapGTPv1 && kinds[i-1] == wrapGTPv1)
		}
		if depth > maxTunnelDepth || gtpInGTP {
			want = nil
		}
		if !slices.Equal(got, want) {
			t.Fatalf("tunnels %v: %d SSL events, want %d\n got %q\nwant %q", kinds, len(got), len(want), got, want)
		}
		if len(want) == 0 || depth == 0 {
			return
		}
		// conn.log's tunnel_parents: the inner connection came through the innermost tunnel
		// only, which is the UDP connection of that level, or else an IP tunnel (no connection).
		inner := parents[innerID(hs[0].ip)]
		if len(inner) != 1 {
			t.Fatalf("tunnels %v: inner connection removed as %q", kinds, inner)
		}
		p := strings.SplitN(inner[0], ">", 2)[1]
		if strings.Contains(p, ",") || p == "" {
			t.Fatalf("tunnels %v: inner tunnel_parents %q", kinds, p)
		}
		var via []string
		for id, rows := range parents {
			if id.OrigH == netip.AddrFrom4([4]byte{10, 1, byte(depth - 1), 1}) && id.Proto == tlsmon.ProtoUDP {
				via = append(via, strings.SplitN(rows[0], ">", 2)[0])
			}
		}
		if k := kinds[depth-1]; k == wrapGRE || k == wrapIPIP {
			via = nil
		}
		if len(via) > 1 || (len(via) == 1 && via[0] != p) || (len(via) == 0 && uidsOf(parents)[p]) {
			t.Fatalf("tunnels %v: inner tunnel_parents %q, innermost tunnel connection %q", kinds, p, via)
		}
	})
}
