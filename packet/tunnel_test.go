package packet

import (
	"bytes"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// innerTCP4 is an IPv4/TCP packet, innerTCP6 an IPv6/TCP one, innerEth an Ethernet frame.
func innerTCP4(t testing.TB) []byte { return tcp4(t, "inner") }

func innerTCP6(t testing.TB) []byte {
	ip := ip6(layers.IPProtocolTCP)
	return serialize(t, ip, tcpSeg(ip), gopacket.Payload("inner6"))
}

func innerEth(t testing.TB) []byte {
	ip := ip4(layers.IPProtocolTCP)
	return serialize(t, eth(layers.EthernetTypeIPv4), ip, tcpSeg(ip), gopacket.Payload("inner"))
}

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

func checkInner(t *testing.T, name string, in Inner, want []byte, link uint32) {
	t.Helper()
	if in.Violation != "" || in.Weird != "" {
		t.Fatalf("%s: violation %q weird %q", name, in.Violation, in.Weird)
	}
	if !bytes.Equal(in.Data, want) || in.LinkType != link {
		t.Fatalf("%s: inner %x link %d, want %x link %d", name, in.Data, in.LinkType, want, link)
	}
}

func TestVXLANGeneve(t *testing.T) {
	e := innerEth(t)
	checkInner(t, "vxlan", VXLAN(cat([]byte{0x08, 0, 0, 0, 0, 0, 42, 0}, e)), e, LinkEthernet)
	if in := VXLAN(cat([]byte{0, 0, 0, 0, 0, 0, 42, 0}, e)); in.Violation == "" {
		t.Fatal("vxlan without I flag accepted")
	}
	if in := VXLAN([]byte{0x08, 0, 0, 0, 0, 0, 42, 0}); in.Weird != "vxlan_empty_packet" || !in.Confirm {
		t.Fatalf("empty vxlan: %+v", in)
	}
	// Geneve with one 8-byte option, then Ethernet; and IPv4 directly.
	opt := []byte{0x01, 0x02, 0x03, 0x01, 1, 2, 3, 4}
	checkInner(t, "geneve eth", Geneve(cat([]byte{0x02, 0, 0x65, 0x58, 0, 0, 7, 0}, opt, e)), e, LinkEthernet)
	ip := innerTCP4(t)
	checkInner(t, "geneve ip", Geneve(cat([]byte{0, 0, 0x08, 0x00, 0, 0, 7, 0}, ip)), ip, LinkRaw)
	if in := Geneve(cat([]byte{0x05, 0, 0x65, 0x58, 0, 0, 7, 0}, opt)); in.Violation == "" {
		t.Fatal("geneve options past the end accepted")
	}
	if in := Geneve(cat([]byte{0x40, 0, 0x65, 0x58, 0, 0, 7, 0}, e)); in.Weird != "geneve_invalid_version" {
		t.Fatalf("geneve version 1: %+v", in)
	}
}

func TestGTPv1(t *testing.T) {
	ip := innerTCP4(t)
	hdr := []byte{0x30, 0xff, 0, byte(len(ip)), 0, 0, 0, 1}
	in := GTPv1(cat(hdr, ip))
	checkInner(t, "gtp", in, ip, LinkRaw)
	if !in.Confirm {
		t.Fatal("gtp not confirmed")
	}
	// With the optional fields and one extension header (type 0x32 chain ending in 0).
	ip6p := innerTCP6(t)
	ext := []byte{0x34, 0xff, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0x85, 1, 0x10, 0x20, 0}
	checkInner(t, "gtp ext", GTPv1(cat(ext, ip6p)), ip6p, LinkRaw)
	if in := GTPv1(cat(hdr, ip, []byte{0})); in.Violation != "GTPv1 payload length" {
		t.Fatalf("trailing byte: %+v", in)
	}
	if in := GTPv1(cat([]byte{0x50, 0xff, 0, 0, 0, 0, 0, 1}, ip)); in.Violation == "" {
		t.Fatal("gtp version 2 accepted")
	}
	if in := GTPv1(cat([]byte{0x30, 0x10, 0, 0, 0, 0, 0, 1}, ip)); in.Data != nil || in.Violation != "" {
		t.Fatalf("signalling message forwarded: %+v", in)
	}
}

func TestTeredo(t *testing.T) {
	ip := innerTCP6(t)
	checkInner(t, "plain", Teredo(ip), ip, LinkRaw)
	origin := []byte{0, 0, 0xf0, 0x0f, 1, 2, 3, 4}
	auth := []byte{0, 1, 2, 1, 'i', 'd', 'a', 1, 2, 3, 4, 5, 6, 7, 8, 0}
	checkInner(t, "auth+origin", Teredo(cat(auth, origin, ip)), ip, LinkRaw)
	if in := Teredo(cat(origin, auth, ip)); in.Violation == "" {
		t.Fatal("authentication after origin indication accepted")
	}
	if in := Teredo(cat(ip, []byte{1})); in.Violation != "Teredo payload length" {
		t.Fatalf("trailing byte: %+v", in)
	}
	bubble := serialize(t, ip6(layers.IPProtocolNoNextHeader))
	if in := Teredo(cat(bubble, []byte{1, 2})); !in.Bubble || in.Violation != "" {
		t.Fatalf("bubble with payload: %+v", in)
	}
	// Detection: an IPv6 header with a Teredo (2001:0::/32) address, or behind an origin indication.
	tip := ip6(layers.IPProtocolTCP)
	tip.SrcIP = []byte{0x20, 0x01, 0, 0, 0x41, 0x37, 0x9e, 0x50, 0x80, 0, 0xf1, 0x2a, 0xb9, 0xc8, 0x28, 0x15}
	tpkt := serialize(t, tip, tcpSeg(tip))
	if !DetectTeredo(tpkt) || !DetectTeredo(cat(origin, ip)) {
		t.Fatal("teredo not detected")
	}
	if DetectTeredo(ip) || DetectTeredo(innerTCP4(t)) || DetectTeredo(cat([]byte{0x16, 0xfe, 0xfd}, make([]byte, 60))) {
		t.Fatal("non-teredo detected")
	}
}

func TestAYIYA(t *testing.T) {
	ip := innerTCP6(t)
	// Identity 1<<1 = 2 bytes, signature 5*4 = 20 bytes (0x52), opcode 1 (forward), next header 41.
	hdr := cat([]byte{0x10, 0x52, 0x11, 41, 0, 0, 0, 0, 0xaa, 0xbb}, make([]byte, 20))
	if !DetectAYIYA(hdr) {
		t.Fatal("not detected")
	}
	in := AYIYA(cat(hdr, ip))
	checkInner(t, "ayiya", in, ip, LinkRaw)
	hdr[2] = 0x12 // opcode 2: not forwarded, not an error
	if in := AYIYA(cat(hdr, ip)); in.Data != nil || in.Violation != "" {
		t.Fatalf("non-forward: %+v", in)
	}
	if in := AYIYA(hdr[:29]); in.Violation == "" {
		t.Fatal("truncated accepted")
	}
}

func TestGRE(t *testing.T) {
	ip := innerTCP4(t)
	checkInner(t, "v0 ip", GRE(cat([]byte{0, 0, 0x08, 0}, ip)), ip, LinkRaw)
	checkInner(t, "v0 key+seq", GRE(cat([]byte{0x30, 0, 0x08, 0, 0, 0, 0, 1, 0, 0, 0, 2}, ip)), ip, LinkRaw)
	e := innerEth(t)
	checkInner(t, "teb", GRE(cat([]byte{0, 0, 0x65, 0x58}, e)), e, LinkEthernet)
	checkInner(t, "erspan II", GRE(cat([]byte{0x10, 0, 0x88, 0xbe, 0, 0, 0, 1}, make([]byte, 8), e)), e, LinkEthernet)
	checkInner(t, "erspan III", GRE(cat([]byte{0, 0, 0x22, 0xeb}, make([]byte, 12), e)), e, LinkEthernet)
	checkInner(t, "pptp", GRE(cat([]byte{0x30, 0x01, 0x88, 0x0b, 0, 0, 0, 0, 0, 0, 0, 1, 0xff, 0x03, 0x00, 0x21}, ip)), ip, LinkRaw)
	for name, b := range map[string][]byte{
		"truncated": {0, 0},
		"version 2": cat([]byte{0, 2, 0x08, 0}, ip),
		"routing":   cat([]byte{0x40, 0, 0x08, 0}, ip),
		"pptp len":  cat([]byte{0x30, 0x01, 0x88, 0x0b, 0, 0, 0, 0, 0, 0, 0, 1, 0xff, 0x03, 0x00, 0x21}, ip, []byte{0}),
	} {
		if in := GRE(b); in.Weird == "" || in.Data != nil {
			t.Errorf("%s: %+v", name, in)
		}
	}
}

func TestUDPTunnelSelection(t *testing.T) {
	if UDPTunnelByPort(6081) != TunnelGeneve || UDPTunnelByPort(2152) != TunnelGTPv1 || UDPTunnelByPort(443) != TunnelNone {
		t.Fatal("port dispatch")
	}
	if UDPTunnelDetect([]byte{0, 0x52, 0x11, 0}) != TunnelAYIYA || UDPTunnelDetect([]byte("GET / HTTP/1.1\r\n")) != TunnelNone {
		t.Fatal("detection")
	}
	for k := TunnelIP; k <= TunnelGTPv1; k++ {
		if TunnelName(k) == "" {
			t.Fatalf("kind %d has no name", k)
		}
	}
}

// TestDecodeTunnelFrame decodes a whole Geneve-in-UDP frame, then its inner frame.
func TestDecodeTunnelFrame(t *testing.T) {
	outerIP := ip4(layers.IPProtocolUDP)
	u := &layers.UDP{SrcPort: 47101, DstPort: 6081}
	_ = u.SetNetworkLayerForChecksum(outerIP)
	e := innerEth(t)
	frame := serialize(t, eth(layers.EthernetTypeIPv4), outerIP, u, gopacket.Payload(cat([]byte{0, 0, 0x65, 0x58, 0, 0, 1, 0}, e)))
	d := NewDecoder(Config{})
	var p, q Packet
	if st, err := d.Decode(LinkEthernet, 1, frame, &p); st != OK {
		t.Fatal(st, err)
	}
	in := Geneve(p.Payload)
	if st, err := d.Decode(in.LinkType, 1, in.Data, &q); st != OK || q.Proto != 6 || string(q.Payload) != "inner" {
		t.Fatalf("inner: %v %v %+v", st, err, q)
	}
}
