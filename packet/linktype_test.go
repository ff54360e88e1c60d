package packet

import (
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// Every link type KnownLinkType does not list is read as raw IP by the decoder: a raw IPv4
// packet decodes the same as with LINKTYPE_RAW. A link type given a decoder in link()
// without being listed fails here.
func TestKnownLinkTypes(t *testing.T) {
	ip := ip4(layers.IPProtocolTCP)
	raw := serialize(t, ip, tcpSeg(ip), gopacket.Payload("x"))
	var want Packet
	if st, err := NewDecoder(Config{}).Decode(LinkRaw, 1, raw, &want); st != OK {
		t.Fatal(st, err)
	}
	for lt := uint32(0); lt < 300; lt++ {
		if KnownLinkType(lt) {
			continue
		}
		var p Packet
		st, _ := NewDecoder(Config{}).Decode(lt, 1, raw, &p)
		if st != OK || p.Src != want.Src || p.SrcPort != want.SrcPort {
			t.Errorf("link type %d is decoded by link() but KnownLinkType does not list it", lt)
		}
	}
	if LinkTypeName(105) != "IEEE802_11 (105)" || LinkTypeName(4242) != "4242" {
		t.Error(LinkTypeName(105), LinkTypeName(4242))
	}
}
