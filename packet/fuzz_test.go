package packet

import (
	"errors"
	"reflect"
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
		checkFastPath(t, data)
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

// checkFastPath requires DecodeLen, whose fast path takes most Ethernet frames, to give
// what the general path (decodeLen) gives for any frame: status, error and every field of
// the Packet, decoded into a Packet holding another frame's values, for several wire
// lengths, with and without checksum verification.
func checkFastPath(t *testing.T, data []byte) {
	t.Helper()
	stale := Packet{Ts: 1, IPVersion: 6, Src: [16]byte{1}, Dst: [16]byte{2}, Proto: 17, IPLen: 9, TTL: 9,
		SrcPort: 9, DstPort: 9, Seq: 9, Ack: 9, Flags: 9, Window: 9, Payload: []byte{9}, PayloadLen: 9,
		UDPLen: 9, Reassembled: true, Transport: []byte{9}, Weirds: make([]string, 1, 4)}
	for _, verify := range []bool{false, true} {
		for _, wire := range []int{-1, 0, 13, 14, len(data) - 1, len(data), len(data) + 100} {
			fast, slow := stale, stale
			fast.Weirds = append([]string(nil), stale.Weirds...)
			slow.Weirds = append([]string(nil), stale.Weirds...)
			df, ds := NewDecoder(Config{VerifyChecksums: verify}), NewDecoder(Config{VerifyChecksums: verify})
			stf, errf := df.DecodeLen(LinkEthernet, 7, data, wire, &fast)
			sts, errs := ds.decodeLen(LinkEthernet, 7, data, wire, &slow)
			if stf != sts || !reflect.DeepEqual(errf, errs) || !reflect.DeepEqual(fast, slow) || df.Stats() != ds.Stats() {
				t.Fatalf("wire %d verify %v: DecodeLen %v %v\n%+v\n%+v\ndecodeLen %v %v\n%+v\n%+v",
					wire, verify, stf, errf, fast, df.Stats(), sts, errs, slow, ds.Stats())
			}
		}
	}
}
