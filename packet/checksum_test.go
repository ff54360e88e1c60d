package packet

import (
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

func withChecksums(t *testing.T, ls ...gopacket.SerializableLayer) []byte {
	t.Helper()
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, ls...); err != nil {
		t.Fatal(err)
	}
	return append([]byte(nil), buf.Bytes()...)
}

// payload is long enough that no frame gets Ethernet padding (the tests flip its last byte).
const payload = "a payload of 26 bytes ...."

func TestTransportChecksum(t *testing.T) {
	v4, v6 := ip4(layers.IPProtocolTCP), ip6(layers.IPProtocolTCP)
	u4, u6 := ip4(layers.IPProtocolUDP), ip6(layers.IPProtocolUDP)
	udp4, udp6 := udpDgram(), udpDgram()
	_ = udp4.SetNetworkLayerForChecksum(u4)
	_ = udp6.SetNetworkLayerForChecksum(u6)
	icmp6ip := ip6(layers.IPProtocolICMPv6)
	icmp6 := &layers.ICMPv6{TypeCode: layers.CreateICMPv6TypeCode(128, 0)}
	_ = icmp6.SetNetworkLayerForChecksum(icmp6ip)
	cases := map[string][]byte{
		"tcp4":  withChecksums(t, eth(layers.EthernetTypeIPv4), v4, tcpSeg(v4), gopacket.Payload(payload+"!")),
		"tcp6":  withChecksums(t, eth(layers.EthernetTypeIPv6), v6, tcpSeg(v6), gopacket.Payload(payload)),
		"udp4":  withChecksums(t, eth(layers.EthernetTypeIPv4), u4, udp4, gopacket.Payload(payload)),
		"udp6":  withChecksums(t, eth(layers.EthernetTypeIPv6), u6, udp6, gopacket.Payload(payload)),
		"icmp4": withChecksums(t, eth(layers.EthernetTypeIPv4), ip4(layers.IPProtocolICMPv4), &layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(8, 0), Id: 1, Seq: 2}, gopacket.Payload(payload)),
		"icmp6": withChecksums(t, eth(layers.EthernetTypeIPv6), icmp6ip, icmp6, gopacket.Payload(payload)),
	}
	for name, frame := range cases {
		for _, verify := range []bool{false, true} {
			d := NewDecoder(Config{VerifyChecksums: verify})
			var p Packet
			if st, err := d.Decode(LinkEthernet, 1, frame, &p); st != OK {
				t.Fatalf("%s: %v %v", name, st, err)
			}
			if !p.TransportChecksumOK() {
				t.Errorf("%s: a right checksum is reported wrong", name)
			}
		}
		bad := append([]byte(nil), frame...)
		bad[len(bad)-1] ^= 0x40 // a payload bit: the checksum no longer matches
		var p Packet
		NewDecoder(Config{}).Decode(LinkEthernet, 1, bad, &p)
		if p.TransportChecksumOK() {
			t.Errorf("%s: a wrong checksum is reported right", name)
		}
		// A segment cut by the capture is not checked (Zeek: caplen >= len).
		NewDecoder(Config{}).Decode(LinkEthernet, 1, bad[:len(bad)-1], &p)
		if !p.TransportChecksumOK() {
			t.Errorf("%s: a cut segment is checked", name)
		}
	}
	// IPv4 UDP with checksum 0: no checksum.
	u := ip4(layers.IPProtocolUDP)
	frame := serialize(t, eth(layers.EthernetTypeIPv4), u, udpDgram(), gopacket.Payload("x"))
	var p Packet
	NewDecoder(Config{}).Decode(LinkEthernet, 1, frame, &p)
	if !p.TransportChecksumOK() {
		t.Error("IPv4 UDP without checksum is reported wrong")
	}
}

func TestIPChecksum(t *testing.T) {
	v4 := ip4(layers.IPProtocolTCP)
	frame := withChecksums(t, eth(layers.EthernetTypeIPv4), v4, tcpSeg(v4), gopacket.Payload("x"))
	frame[14+10] ^= 1
	var p Packet
	if st, _ := NewDecoder(Config{}).Decode(LinkEthernet, 1, frame, &p); st != OK {
		t.Errorf("without verification a bad IP checksum is %v", st)
	}
	st, _ := NewDecoder(Config{VerifyChecksums: true}).Decode(LinkEthernet, 1, frame, &p)
	if st != Skip || len(p.Weirds) != 1 || p.Weirds[0] != "bad_IP_checksum" {
		t.Errorf("bad IP checksum verified: %v %v", st, p.Weirds)
	}
	// Total length 0 (segmentation offload): taken from the capture with -C, dropped without.
	frame[14+10] ^= 1
	frame[14+2], frame[14+3] = 0, 0
	if st, _ := NewDecoder(Config{}).Decode(LinkEthernet, 1, frame, &p); st != OK || p.Weirds[0] != "ip_hdr_len_zero" {
		t.Errorf("TSO length without verification: %v %v", st, p.Weirds)
	}
	st, _ = NewDecoder(Config{VerifyChecksums: true}).Decode(LinkEthernet, 1, frame, &p)
	if st != Skip || len(p.Weirds) != 1 || p.Weirds[0] != "ip_hdr_len_zero" {
		t.Errorf("TSO length verified: %v %v", st, p.Weirds)
	}
}
