package packet

import (
	"errors"
	"testing"

	"github.com/gopacket/gopacket/layers"
)

var fuzzLinks = []uint32{LinkNull, LinkEthernet, LinkPPP, LinkPPPSerial, LinkRaw, LinkLoop, LinkLinuxSLL, LinkLinuxSLL2,
	LinkFDDI, LinkIEEE80211, LinkIEEE80211Radio, LinkNFLOG}

func FuzzDecode(f *testing.F) {
	f.Add(serialize(f, eth(layers.EthernetTypeIPv4), ip4(layers.IPProtocolTCP), tcpSeg(ip4(layers.IPProtocolTCP))))
	f.Add(append(make([]byte, 12), 0x88, 0x47, 0, 0, 0x01, 0x40, 0x45, 0, 0, 20, 0, 0, 0x20, 0, 64, 6, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8))
	f.Add(tcp4(f, "hello"))
	f.Add(radiotapHdr(wifi(tcp4(f, "hello"), true, false, false)))
	f.Add(nflogFrame(2, tcp4(f, "hello")))
	d := NewDecoder(Config{MaxFragmentBytes: 1 << 20, MaxFragmentsPerDatagram: 16})
	var p Packet
	var ts int64
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, l := range fuzzLinks {
			ts += 1000
			st, err := d.Decode(l, ts, data, &p)
			var de *DecodeError
			if (st == Malformed) != errors.As(err, &de) {
				t.Fatalf("link %d: status %v error %v", l, st, err)
			}
			if st == OK {
				if p.IPVersion != 4 && p.IPVersion != 6 {
					t.Fatalf("link %d: IP version %d", l, p.IPVersion)
				}
				if !p.Reassembled && len(p.Payload) > len(data) {
					t.Fatalf("link %d: payload %d > frame %d", l, len(p.Payload), len(data))
				}
			}
			if s := d.Stats(); s.FragBytes > 1<<20 {
				t.Fatalf("fragment bytes %d above the cap", s.FragBytes)
			}
		}
	})
}
