package packet

import (
	"net"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

func serialize(t testing.TB, ls ...gopacket.SerializableLayer) []byte {
	t.Helper()
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true}, ls...); err != nil {
		t.Fatal(err)
	}
	return append([]byte(nil), buf.Bytes()...)
}

var (
	mac1, _ = net.ParseMAC("00:11:22:33:44:55")
	mac2, _ = net.ParseMAC("66:77:88:99:aa:bb")
)

func eth(t layers.EthernetType) *layers.Ethernet {
	return &layers.Ethernet{SrcMAC: mac1, DstMAC: mac2, EthernetType: t}
}

func ip4(proto layers.IPProtocol) *layers.IPv4 {
	return &layers.IPv4{Version: 4, IHL: 5, TTL: 61, Protocol: proto, Id: 0x1234,
		SrcIP: net.IP{10, 0, 0, 1}, DstIP: net.IP{192, 168, 1, 2}}
}

func ip6(next layers.IPProtocol) *layers.IPv6 {
	return &layers.IPv6{Version: 6, HopLimit: 60, NextHeader: next,
		SrcIP: net.ParseIP("2001:db8::1"), DstIP: net.ParseIP("2001:db8::2")}
}

func tcpSeg(ip gopacket.NetworkLayer) *layers.TCP {
	tc := &layers.TCP{SrcPort: 51234, DstPort: 443, Seq: 1000, Ack: 2000, SYN: false, ACK: true, PSH: true, Window: 512, DataOffset: 5}
	_ = tc.SetNetworkLayerForChecksum(ip)
	return tc
}

func udpDgram() *layers.UDP { return &layers.UDP{SrcPort: 5353, DstPort: 443} }

// tcp4 is a plain IPv4/TCP packet carrying payload.
func tcp4(t testing.TB, payload string) []byte {
	ip := ip4(layers.IPProtocolTCP)
	return serialize(t, ip, tcpSeg(ip), gopacket.Payload(payload))
}

func v4addr(a ...byte) [16]byte {
	return [16]byte{10: 0xff, 11: 0xff, 12: a[0], 13: a[1], 14: a[2], 15: a[3]}
}

func v6addr(s string) [16]byte { return [16]byte(net.ParseIP(s).To16()) }
