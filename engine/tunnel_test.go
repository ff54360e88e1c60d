package engine

import (
	"encoding/binary"
	"slices"
	"strings"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/tlsmon/tlsmon"
	"github.com/tlsmon/tlsmon/capture"
	"github.com/tlsmon/tlsmon/packet"
)

type tunConn struct {
	id      tlsmon.ConnID
	uid     string
	service []string
	parents []string
	history string
}

func ser(t *testing.T, ls ...gopacket.SerializableLayer) []byte {
	t.Helper()
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true}, ls...); err != nil {
		t.Fatal(err)
	}
	return slices.Clone(buf.Bytes())
}

func v4(a, b byte, proto layers.IPProtocol) *layers.IPv4 {
	return &layers.IPv4{Version: 4, IHL: 5, TTL: 64, Protocol: proto, SrcIP: []byte{10, 0, 0, a}, DstIP: []byte{10, 0, 0, b}}
}

// innerSYN is an IPv4 TCP SYN 192.168.0.1:40000 → 192.168.0.2:443.
func innerSYN(t *testing.T) []byte {
	ip := &layers.IPv4{Version: 4, IHL: 5, TTL: 64, Protocol: layers.IPProtocolTCP, SrcIP: []byte{192, 168, 0, 1}, DstIP: []byte{192, 168, 0, 2}}
	tc := &layers.TCP{SrcPort: 40000, DstPort: 443, Seq: 1, SYN: true, Window: 1024, DataOffset: 5}
	_ = tc.SetNetworkLayerForChecksum(ip)
	return ser(t, ip, tc)
}

func udpFrame(t *testing.T, sport, dport uint16, payload []byte) []byte {
	ip := v4(1, 2, layers.IPProtocolUDP)
	u := &layers.UDP{SrcPort: layers.UDPPort(sport), DstPort: layers.UDPPort(dport)}
	_ = u.SetNetworkLayerForChecksum(ip)
	return ser(t, ip, u, gopacket.Payload(payload))
}

func ipFrame(t *testing.T, proto layers.IPProtocol, payload []byte) []byte {
	return ser(t, v4(1, 2, proto), gopacket.Payload(payload))
}

func runTunnel(t *testing.T, frames ...[]byte) ([]tunConn, []weirdRec) {
	t.Helper()
	var conns []tunConn
	var ws []weirdRec
	var e *Engine
	e = New(Options{Handler: tlsmon.HandlerFunc(func(ev tlsmon.Event) {
		switch x := ev.(type) {
		case *tlsmon.Weird:
			ws = append(ws, weirdRec{x.WeirdName, x.Addl, x.Source, x.Conn})
		case *tlsmon.ConnectionStateRemove:
			conns = append(conns, tunConn{x.Conn.ID, x.Conn.UID, x.Stats.Service, slices.Clone(x.Stats.TunnelParents), x.Stats.History})
		}
	})})
	for i, f := range frames {
		e.Frame(&capture.Frame{Ts: int64(1_000_000_000 + i*1000), LinkType: packet.LinkRaw, Data: f, WireLen: len(f)})
	}
	e.Flush()
	return conns, ws
}

func findConn(conns []tunConn, port uint16) *tunConn {
	for i := range conns {
		if conns[i].id.RespP == port {
			return &conns[i]
		}
	}
	return nil
}

func eth(t *testing.T, ip []byte) []byte {
	return ser(t, &layers.Ethernet{SrcMAC: []byte{0, 1, 2, 3, 4, 5}, DstMAC: []byte{0, 1, 2, 3, 4, 6}, EthernetType: layers.EthernetTypeIPv4}, gopacket.Payload(ip))
}

func TestTunnelInnerConnections(t *testing.T) {
	syn := innerSYN(t)
	gtp := append([]byte{0x30, 0xff, 0, 0, 0, 0, 0, 1}, syn...)
	binary.BigEndian.PutUint16(gtp[2:], uint16(len(syn)))
	cases := []struct {
		name    string
		frame   []byte
		outer   uint16 // outer UDP responder port, 0 for IP tunnels
		service string
	}{
		{"vxlan", udpFrame(t, 50000, 4789, append([]byte{8, 0, 0, 0, 0, 0, 1, 0}, eth(t, syn)...)), 4789, "vxlan"},
		{"geneve", udpFrame(t, 47101, 6081, append([]byte{0, 0, 0x08, 0x00, 0, 0, 1, 0}, syn...)), 6081, "geneve"},
		{"gtpv1", udpFrame(t, 2152, 2152, gtp), 2152, "gtpv1"},
		{"ayiya", udpFrame(t, 50000, 5072, append(append([]byte{0x10, 0x52, 0x11, 4, 0, 0, 0, 0, 1, 2}, make([]byte, 20)...), syn...)), 5072, "ayiya"},
		{"ipip", ipFrame(t, layers.IPProtocolIPv4, syn), 0, ""},
		{"gre", ipFrame(t, layers.IPProtocolGRE, append([]byte{0, 0, 8, 0}, syn...)), 0, ""},
		{"gre-teb", ipFrame(t, layers.IPProtocolGRE, append([]byte{0, 0, 0x65, 0x58}, eth(t, syn)...)), 0, ""},
	}
	for _, c := range cases {
		conns, _ := runTunnel(t, c.frame)
		in := findConn(conns, 443)
		if in == nil {
			t.Errorf("%s: inner connection missing: %+v", c.name, conns)
			continue
		}
		if in.id.OrigP != 40000 || len(in.parents) != 1 {
			t.Errorf("%s: inner %+v", c.name, in)
			continue
		}
		if c.outer == 0 {
			if len(conns) != 1 || in.parents[0] == "" || in.parents[0] == in.uid {
				t.Errorf("%s: conns %+v", c.name, conns)
			}
			continue
		}
		out := findConn(conns, c.outer)
		if out == nil || out.uid != in.parents[0] || !slices.Equal(out.service, []string{c.service}) {
			t.Errorf("%s: outer %+v, inner parents %v", c.name, out, in.parents)
		}
	}
}

func TestTeredoConfirmation(t *testing.T) {
	ip := &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: layers.IPProtocolICMPv6,
		SrcIP: []byte{0x20, 0x01, 0, 0, 1, 2, 3, 4, 0, 0, 0, 0, 0, 0, 0, 1}, DstIP: []byte{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2}}
	req := ser(t, ip, gopacket.Payload([]byte{128, 0, 0, 0, 0, 1, 0, 1}))
	ip.SrcIP, ip.DstIP = ip.DstIP, ip.SrcIP
	rep := ser(t, ip, gopacket.Payload([]byte{129, 0, 0, 0, 0, 1, 0, 1}))
	// One direction only: decapsulated, not confirmed. Content detection on a non-Teredo port.
	conns, _ := runTunnel(t, udpFrame(t, 50000, 40000, req))
	out := findConn(conns, 40000)
	if out == nil || out.service != nil || len(conns) != 2 {
		t.Fatalf("one-sided: %+v", conns)
	}
	// Both directions: confirmed.
	back := ser(t, v4(2, 1, layers.IPProtocolUDP), &layers.UDP{SrcPort: 40000, DstPort: 50000}, gopacket.Payload(rep))
	conns, _ = runTunnel(t, udpFrame(t, 50000, 40000, req), back)
	out = findConn(conns, 40000)
	if out == nil || !slices.Equal(out.service, []string{"teredo"}) {
		t.Fatalf("two-sided: %+v", conns)
	}
}

func TestTunnelMaxDepth(t *testing.T) {
	nest := func(n int) []byte {
		f := innerSYN(t)
		for range n {
			f = ipFrame(t, layers.IPProtocolIPv4, f)
		}
		return f
	}
	conns, ws := runTunnel(t, nest(maxTunnelDepth))
	if findConn(conns, 443) == nil {
		t.Fatalf("depth %d: inner missing", maxTunnelDepth)
	}
	conns, ws = runTunnel(t, nest(maxTunnelDepth+1))
	if findConn(conns, 443) != nil || len(ws) != 1 || ws[0].name != "exceeded_tunnel_max_depth" {
		t.Fatalf("depth %d: conns %+v weirds %+v", maxTunnelDepth+1, conns, ws)
	}
	// Over UDP the outer connection gets history 'X'.
	f := innerSYN(t)
	for range maxTunnelDepth {
		f = udpFrame(t, 50000, 6081, append([]byte{0, 0, 0x08, 0x00, 0, 0, 1, 0}, f...))
	}
	f = udpFrame(t, 50000, 6081, append([]byte{0, 0, 0x08, 0x00, 0, 0, 1, 0}, f...))
	conns, ws = runTunnel(t, f)
	if findConn(conns, 443) != nil || len(ws) != 1 || ws[0].name != "exceeded_tunnel_max_depth" || ws[0].conn == nil {
		t.Fatalf("udp depth: conns %+v weirds %+v", conns, ws)
	}
	if out := findConn(conns, 6081); out == nil || !strings.Contains(out.history, "X") {
		t.Fatalf("udp depth: outer %+v lacks history X", out)
	}
}
