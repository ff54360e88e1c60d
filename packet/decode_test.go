package packet

import (
	"encoding/binary"
	"errors"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

func TestLinkTypes(t *testing.T) {
	ipTCP := tcp4(t, "hello")
	ip6pkt := func() []byte {
		ip := ip6(layers.IPProtocolTCP)
		return serialize(t, ip, tcpSeg(ip), gopacket.Payload("hello"))
	}()
	sll := make([]byte, 16)
	binary.BigEndian.PutUint16(sll[14:], 0x0800)
	sll2 := make([]byte, 20)
	binary.BigEndian.PutUint16(sll2, 0x86dd)
	le := func(v uint32) []byte { b := make([]byte, 4); binary.LittleEndian.PutUint32(b, v); return b }
	be := func(v uint32) []byte { b := make([]byte, 4); binary.BigEndian.PutUint32(b, v); return b }
	mpls := func(labels ...uint32) []byte {
		var b []byte
		for i, l := range labels {
			v := l<<12 | 64
			if i == len(labels)-1 {
				v |= 1 << 8
			}
			b = append(b, be(v)...)
		}
		return b
	}
	pppoe := func(payload []byte, proto uint16) []byte {
		h := []byte{0x11, 0, 0x12, 0x34, 0, 0, 0, 0}
		binary.BigEndian.PutUint16(h[4:], uint16(len(payload)+2))
		binary.BigEndian.PutUint16(h[6:], proto)
		return append(h, payload...)
	}
	ethHdr := func(tt uint16) []byte {
		h := make([]byte, 14)
		binary.BigEndian.PutUint16(h[12:], tt)
		return h
	}
	vlan := func(tt uint16) []byte { return []byte{0, 7, byte(tt >> 8), byte(tt)} }
	cat := func(parts ...[]byte) []byte {
		var out []byte
		for _, p := range parts {
			out = append(out, p...)
		}
		return out
	}
	cases := []struct {
		name string
		link uint32
		data []byte
		v6   bool
	}{
		{"ethernet", 1, serialize(t, eth(layers.EthernetTypeIPv4), gopacket.Payload(ipTCP)), false},
		{"ethernet-padding", 1, cat(ethHdr(0x0800), ipTCP, make([]byte, 20)), false},
		{"ethernet-v6", 1, cat(ethHdr(0x86dd), ip6pkt), true},
		{"ethertype-v4-carrying-v6", 1, cat(ethHdr(0x0800), ip6pkt), true},
		{"vlan", 1, cat(ethHdr(0x8100), vlan(0x0800), ipTCP), false},
		{"qinq", 1, cat(ethHdr(0x88a8), vlan(0x8100), vlan(0x0800), ipTCP), false},
		{"qinq-9100-deep", 1, cat(ethHdr(0x9100), vlan(0x8100), vlan(0x8100), vlan(0x86dd), ip6pkt), true},
		{"mpls", 1, cat(ethHdr(0x8847), mpls(16, 17, 18), ipTCP), false},
		{"mpls-multicast-v6", 1, cat(ethHdr(0x8848), mpls(20), ip6pkt), true},
		{"vlan-mpls", 1, cat(ethHdr(0x8100), vlan(0x8847), mpls(3), ipTCP), false},
		{"pppoe", 1, cat(ethHdr(0x8864), pppoe(ipTCP, 0x0021)), false},
		{"qinq-pppoe-v6", 1, cat(ethHdr(0x88a8), vlan(0x8100), vlan(0x8864), pppoe(ip6pkt, 0x0057)), true},
		{"snap", 1, cat(func() []byte { h := ethHdr(uint16(8 + len(ipTCP))); return h }(), []byte{0xaa, 0xaa, 0x03, 0, 0, 0, 0x08, 0x00}, ipTCP), false},
		{"sll", 113, cat(sll, ipTCP), false},
		{"sll2", 276, cat(sll2, ip6pkt), true},
		{"raw101", 101, ipTCP, false},
		{"raw12", 12, ipTCP, false},
		{"raw14", 14, ip6pkt, true},
		{"ipv4-228", 228, ipTCP, false},
		{"ipv6-229", 229, ip6pkt, true},
		{"null-le-2", 0, cat(le(2), ipTCP), false},
		{"null-be-2", 0, cat(be(2), ipTCP), false},
		{"null-le-24", 0, cat(le(24), ip6pkt), true},
		{"null-le-28", 0, cat(le(28), ip6pkt), true},
		{"null-be-30", 0, cat(be(30), ip6pkt), true},
		{"loop-be-2", 108, cat(be(2), ipTCP), false},
		{"loop-le-30", 108, cat(le(30), ip6pkt), true},
		{"ppp-hdlc", 9, cat([]byte{0xff, 0x03, 0x00, 0x21}, ipTCP), false},
		{"ppp-bare-v6", 9, cat([]byte{0x00, 0x57}, ip6pkt), true},
		{"ppp-serial-mpls", 50, cat([]byte{0x0f, 0x00, 0x02, 0x81}, mpls(5), ipTCP), false},
	}
	d := NewDecoder(Config{})
	var p Packet
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st, err := d.DecodeLen(c.link, 42, c.data, len(c.data), &p)
			if st != OK || err != nil {
				t.Fatalf("status %v err %v", st, err)
			}
			if p.Ts != 42 || p.Proto != 6 || p.SrcPort != 51234 || p.DstPort != 443 || string(p.Payload) != "hello" ||
				p.PayloadLen != 5 || p.Seq != 1000 || p.Ack != 2000 || p.Flags != ACK|PSH || p.Window != 512 {
				t.Errorf("decoded %+v", p)
			}
			if c.v6 {
				if p.IPVersion != 6 || p.Src != v6addr("2001:db8::1") || p.Dst != v6addr("2001:db8::2") || p.IPLen != 40+20+5 || p.TTL != 60 {
					t.Errorf("ipv6 fields %+v", p)
				}
			} else if p.IPVersion != 4 || p.Src != v4addr(10, 0, 0, 1) || p.Dst != v4addr(192, 168, 1, 2) || p.IPLen != 20+20+5 || p.TTL != 61 {
				t.Errorf("ipv4 fields %+v", p)
			}
		})
	}
}

func TestSkip(t *testing.T) {
	arp := serialize(t, eth(layers.EthernetTypeARP), &layers.ARP{AddrType: 1, Protocol: 0x0800, HwAddressSize: 6, ProtAddressSize: 4,
		SourceHwAddress: mac1, SourceProtAddress: []byte{1, 2, 3, 4}, DstHwAddress: mac2, DstProtAddress: []byte{5, 6, 7, 8}})
	lldp := append(make([]byte, 12), 0x88, 0xcc, 1, 2, 3, 4, 5, 6)
	llc := append(make([]byte, 12), 0, 20, 0x42, 0x42, 3, 0, 0, 0, 0, 0, 0, 0, 0)
	pppoeLCP := append(make([]byte, 12), 0x88, 0x64, 0x11, 0, 0, 1, 0, 4, 0xc0, 0x21, 1, 1)
	nullUnknown := append([]byte{7, 0, 0, 0}, tcp4(t, "x")...)
	d := NewDecoder(Config{})
	var p Packet
	for name, c := range map[string]struct {
		link uint32
		data []byte
	}{"arp": {1, arp}, "lldp": {1, lldp}, "llc": {1, llc}, "pppoe-lcp": {1, pppoeLCP}, "null-af-7": {0, nullUnknown}} {
		if st, err := d.Decode(c.link, 1, c.data, &p); st != Skip || err != nil {
			t.Errorf("%s: status %v err %v, want skip", name, st, err)
		}
	}
}

func TestOtherProtocols(t *testing.T) {
	ip := ip4(layers.IPProtocolICMPv4)
	data := serialize(t, ip, &layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(8, 0)}, gopacket.Payload("ping"))
	var p Packet
	st, err := NewDecoder(Config{}).Decode(101, 1, data, &p)
	if st != OK || err != nil || p.Proto != 1 || p.SrcPort != 0 || p.DstPort != 0 || len(p.Payload) != 8+4 {
		t.Fatalf("icmp: %v %v %+v", st, err, p)
	}
}

func TestUDP(t *testing.T) {
	ip := ip4(layers.IPProtocolUDP)
	u := udpDgram()
	_ = u.SetNetworkLayerForChecksum(ip)
	data := serialize(t, ip, u, gopacket.Payload("dtls!"))
	var p Packet
	d := NewDecoder(Config{})
	st, err := d.Decode(101, 1, data, &p)
	if st != OK || err != nil || p.Proto != 17 || p.SrcPort != 5353 || p.DstPort != 443 || string(p.Payload) != "dtls!" || p.UDPLen != 13 || p.PayloadLen != 5 {
		t.Fatalf("udp: %v %v %+v", st, err, p)
	}
	// Snaplen cut: payload is what was captured, PayloadLen what the IP header claims.
	st, err = d.DecodeLen(101, 1, data[:30], len(data), &p)
	if st != OK || err != nil || string(p.Payload) != "dt" || p.PayloadLen != 5 {
		t.Fatalf("cut udp: %v %v %q %d", st, err, p.Payload, p.PayloadLen)
	}
}

func TestIPv6ExtensionHeaders(t *testing.T) {
	// hop-by-hop (8 bytes) -> destination options (16 bytes) -> routing type 0 with one
	// segment left -> TCP. Zeek uses the routing header's last address as the destination.
	ip := ip6(0)
	tc := tcpSeg(ip)
	tcpb := serialize(t, tc, gopacket.Payload("hello"))
	hop := []byte{60, 0, 1, 4, 0, 0, 0, 0}
	dst := []byte{43, 1, 1, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}
	final := v6addr("2001:db8::99")
	rt := append([]byte{6, 2, 0, 1, 0, 0, 0, 0}, final[:]...)
	payload := append(append(append(append([]byte{}, hop...), dst...), rt...), tcpb...)
	data := serialize(t, ip, gopacket.Payload(payload))
	var p Packet
	st, err := NewDecoder(Config{}).Decode(229, 1, data, &p)
	if st != OK || err != nil {
		t.Fatal(st, err)
	}
	if p.Proto != 6 || p.DstPort != 443 || string(p.Payload) != "hello" || p.Dst != final || p.IPLen != len(data) {
		t.Errorf("decoded %+v", p)
	}
	if len(p.Weirds) != 1 || p.Weirds[0] != "routing0_hdr" {
		t.Errorf("weirds %v", p.Weirds)
	}
	// ESP stops the chain: delivered with Proto 50 and no ports.
	esp := serialize(t, ip6(50), gopacket.Payload("encrypted stuff"))
	if st, err := NewDecoder(Config{}).Decode(229, 1, esp, &p); st != OK || err != nil || p.Proto != 50 || p.SrcPort != 0 {
		t.Errorf("esp: %v %v %+v", st, err, p)
	}
}

func TestMalformed(t *testing.T) {
	good := tcp4(t, "hello")
	mod := func(f func(b []byte) []byte) []byte { return f(append([]byte(nil), good...)) }
	v6 := func() []byte { ip := ip6(layers.IPProtocolTCP); return serialize(t, ip, tcpSeg(ip)) }()
	cases := []struct {
		name  string
		link  uint32
		data  []byte
		wire  int
		weird string
		conn  bool
	}{
		{"short-ethernet", 1, make([]byte, 16), -1, "truncated_ethernet_frame", false},
		{"undefined-ethertype", 1, append(make([]byte, 12), 0x05, 0xf0, 1, 2, 3), -1, "undefined_ether_type", false},
		{"short-vlan", 1, append(make([]byte, 12), 0x81, 0, 0, 1, 8, 0), -1, "truncated_VLAN_header", false},
		{"short-mpls", 1, append(make([]byte, 12), 0x88, 0x47, 0, 0, 0, 0, 0), -1, "truncated_link_header", false},
		{"short-pppoe", 1, append(make([]byte, 12), 0x88, 0x64, 0x11, 0, 0, 1, 0, 2, 0), -1, "truncated_pppoe_header", false},
		{"short-sll", 113, make([]byte, 15), -1, "truncated_Linux_SLL_header", false},
		{"short-sll2", 276, make([]byte, 19), -1, "truncated_Linux_SLL2_header", false},
		{"short-null", 0, []byte{2, 0, 0, 0}, -1, "null_analyzer_failed", false},
		{"short-ip", 101, good[:19], -1, "truncated_IP", false},
		{"short-ipv6", 101, v6[:39], -1, "truncated_IP", false},
		{"bad-version", 101, mod(func(b []byte) []byte { b[0] = 0x55; return b }), -1, "unknown_ip_version", false},
		{"ihl-below-20", 101, mod(func(b []byte) []byte { b[0] = 0x44; return b }), -1, "IPv4_min_header_size", false},
		{"ihl-above-total", 101, mod(func(b []byte) []byte { b[0] = 0x4f; return b }), -1, "invalid_IP_header_size", false},
		{"ihl-above-captured", 101, mod(func(b []byte) []byte { b[0] = 0x4f; b[3] = 80; return b[:40] }), -1, "internally_truncated_header", false},
		{"wire-shorter-than-ip-len", 101, good, len(good) - 1, "truncated_IP_len", false},
		{"tcp-header-cut-by-ip-len", 101, mod(func(b []byte) []byte { b[3] = 30; return b[:30] }), -1, "truncated_header", false},
		{"tcp-header-cut-by-capture", 101, good[:30], len(good), "internally_truncated_header", false},
		{"tcp-data-offset-below-5", 101, mod(func(b []byte) []byte { b[32] = 0x40; return b }), -1, "bad_TCP_header_len", true},
		{"tcp-options-past-segment", 101, mod(func(b []byte) []byte { b[32] = 0xf0; return b }), -1, "truncated_header", true},
		{"ipv6-no-next", 101, serialize(t, ip6(59)), -1, "ipv6_no_next", false},
	}
	d := NewDecoder(Config{})
	var p Packet
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st, err := d.DecodeLen(c.link, 1, c.data, c.wire, &p)
			if st != Malformed {
				t.Fatalf("status %v, want malformed", st)
			}
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("error %v is not a *DecodeError", err)
			}
			if de.Weird != c.weird || de.Conn != c.conn {
				t.Errorf("weird %q conn %v, want %q %v", de.Weird, de.Conn, c.weird, c.conn)
			}
			if c.conn && (p.SrcPort != 51234 || p.DstPort != 443 || p.Src != v4addr(10, 0, 0, 1)) {
				t.Errorf("connection fields not filled: %+v", p)
			}
		})
	}
	if s := d.Stats(); s.Malformed != uint64(len(cases)) {
		t.Errorf("stats %+v", s)
	}
}

// TestIPLenZero: a TSO packet (IPv4 total length 0) is analyzed with its captured length,
// but counts the header's 0 in *_ip_bytes, as Zeek's IP_Hdr::TotalLen does.
func TestIPLenZero(t *testing.T) {
	b := tcp4(t, "hello")
	b[2], b[3] = 0, 0 // TSO
	var p Packet
	st, err := NewDecoder(Config{}).DecodeLen(101, 1, b, len(b), &p)
	if st != OK || err != nil || string(p.Payload) != "hello" || p.IPLen != 0 || len(p.Weirds) != 1 || p.Weirds[0] != "ip_hdr_len_zero" {
		t.Fatalf("%v %v %+v", st, err, p)
	}
}

func TestNoAllocs(t *testing.T) {
	frames := [][]byte{
		serialize(t, eth(layers.EthernetTypeIPv4), gopacket.Payload(tcp4(t, "hello"))),
		serialize(t, eth(layers.EthernetTypeIPv4), gopacket.Payload(tcp4(t, "hello")))[:20],
		append(make([]byte, 12), 0x08, 0x06, 1, 2, 3, 4, 5),
	}
	d := NewDecoder(Config{})
	var p Packet
	for i, f := range frames {
		allocs := testing.AllocsPerRun(200, func() { _, _ = d.Decode(1, 1, f, &p) })
		if allocs != 0 {
			t.Errorf("frame %d: %v allocs per Decode", i, allocs)
		}
	}
	ip := ip6(layers.IPProtocolTCP)
	v6 := serialize(t, ip, tcpSeg(ip), gopacket.Payload("x"))
	if a := testing.AllocsPerRun(200, func() { _, _ = d.Decode(229, 1, v6, &p) }); a != 0 {
		t.Errorf("ipv6: %v allocs", a)
	}
}
