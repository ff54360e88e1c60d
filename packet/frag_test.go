package packet

import (
	"bytes"
	"encoding/binary"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// frag4 cuts the IPv4 packet pkt (20-byte header) into fragments covering the given
// [lo,hi) ranges of its payload (multiples of 8, except the end), in the given order.
func frag4(pkt []byte, ranges ...[2]int) [][]byte {
	payload := pkt[20:]
	var out [][]byte
	for _, r := range ranges {
		f := append(append([]byte(nil), pkt[:20]...), payload[r[0]:r[1]]...)
		binary.BigEndian.PutUint16(f[2:], uint16(len(f)))
		ff := uint16(r[0] / 8)
		if r[1] < len(payload) {
			ff |= 0x2000
		}
		binary.BigEndian.PutUint16(f[6:], ff)
		out = append(out, f)
	}
	return out
}

func bigTCP4(t testing.TB, n int) ([]byte, string) {
	payload := bytes.Repeat([]byte("0123456789abcdef"), n/16+1)[:n]
	return tcp4(t, string(payload)), string(payload)
}

func TestFragment4Reassembly(t *testing.T) {
	pkt, payload := bigTCP4(t, 1000) // IP payload: 20 TCP + 1000
	frags := frag4(pkt, [2]int{512, 1020}, [2]int{0, 256}, [2]int{200, 400}, [2]int{256, 512})
	d := NewDecoder(Config{})
	var p Packet
	for i, f := range frags {
		st, err := d.DecodeLen(101, int64(10+i), f, len(f), &p)
		if i < len(frags)-1 {
			if st != Fragment || err != nil {
				t.Fatalf("fragment %d: %v %v", i, st, err)
			}
			continue
		}
		if st != OK || err != nil {
			t.Fatalf("last fragment: %v %v", st, err)
		}
	}
	if !p.Reassembled || p.Ts != 13 || string(p.Payload) != payload || p.IPLen != len(pkt) || p.DstPort != 443 || p.Proto != 6 {
		t.Fatalf("reassembled: ts %d len %d iplen %d %+v", p.Ts, len(p.Payload), p.IPLen, p.Weirds)
	}
	s := d.Stats()
	if s.Reassembled != 1 || s.Fragments != 4 || s.FragPending != 0 || s.FragBytes != 0 {
		t.Errorf("stats %+v", s)
	}
}

func TestFragment4OverlapFirstWins(t *testing.T) {
	pkt, payload := bigTCP4(t, 200)
	frags := frag4(pkt, [2]int{0, 120}, [2]int{64, 220})
	// The second fragment disagrees on [64,120): the first copy wins, with a weird.
	for i := 20 + 0; i < 20+56; i++ {
		frags[1][i] = 'X'
	}
	d := NewDecoder(Config{})
	var p Packet
	if st, _ := d.Decode(101, 1, frags[0], &p); st != Fragment {
		t.Fatal(st)
	}
	st, err := d.Decode(101, 2, frags[1], &p)
	if st != OK || err != nil || string(p.Payload) != payload {
		t.Fatalf("%v %v %q", st, err, p.Payload)
	}
	if len(p.Weirds) != 1 || p.Weirds[0] != "fragment_inconsistency" {
		t.Errorf("weirds %v", p.Weirds)
	}
	// Same bytes again: only fragment_overlap.
	frags = frag4(pkt, [2]int{0, 120}, [2]int{64, 220})
	_, _ = d.Decode(101, 3, frags[0], &p)
	if st, _ := d.Decode(101, 4, frags[1], &p); st != OK || len(p.Weirds) != 1 || p.Weirds[0] != "fragment_overlap" {
		t.Errorf("%v weirds %v", st, p.Weirds)
	}
}

func TestFragmentTimeout(t *testing.T) {
	pkt, _ := bigTCP4(t, 200)
	frags := frag4(pkt, [2]int{0, 120}, [2]int{120, 220})
	d := NewDecoder(Config{FragmentTimeout: time.Second})
	var p Packet
	_, _ = d.Decode(101, 1_000_000, frags[0], &p)
	st, _ := d.Decode(101, 2_000_001, frags[1], &p) // first fragment expired
	if st != Fragment {
		t.Fatalf("status %v, want fragment (first one expired)", st)
	}
	if s := d.Stats(); s.FragTimeouts != 1 || s.FragPending != 1 {
		t.Errorf("stats %+v", s)
	}
	_, _ = d.Decode(101, 2_000_002, frags[0], &p)
	if p.Reassembled != true {
		t.Errorf("not reassembled after a fresh first fragment")
	}
}

func TestFragmentCaps(t *testing.T) {
	pkt, _ := bigTCP4(t, 2000)
	d := NewDecoder(Config{MaxFragmentsPerDatagram: 3})
	var p Packet
	frags := frag4(pkt, [2]int{0, 8}, [2]int{8, 16}, [2]int{16, 24}, [2]int{24, 32})
	var last Status
	for _, f := range frags {
		last, _ = d.Decode(101, 1, f, &p)
	}
	if s := d.Stats(); last != Malformed || s.FragCountCapHits != 1 || s.FragPending != 0 {
		t.Errorf("count cap: %v %+v", last, s)
	}
	d = NewDecoder(Config{MaxFragmentBytes: 4096})
	var dropped int
	for id := range 10 {
		f := frag4(pkt, [2]int{0, 1600})[0]
		binary.BigEndian.PutUint16(f[4:], uint16(id))
		if st, err := d.Decode(101, 1, f, &p); st == Malformed && err != nil {
			dropped++
		}
	}
	if s := d.Stats(); dropped == 0 || s.FragBytesCapHits != uint64(dropped) || s.FragBytes > 4096 {
		t.Errorf("bytes cap: dropped %d %+v", dropped, s)
	}
	// Fragments reaching past 64 KiB are dropped.
	f := frag4(pkt, [2]int{0, 64})[0]
	binary.BigEndian.PutUint16(f[6:], 0x2000|8190)
	if st, _ := NewDecoder(Config{}).Decode(101, 1, f, &p); st != Malformed {
		t.Errorf("oversized fragment: %v", st)
	}
}

func TestFragment6Reassembly(t *testing.T) {
	ip := ip6(layers.IPProtocolUDP)
	u := udpDgram()
	_ = u.SetNetworkLayerForChecksum(ip)
	payload := bytes.Repeat([]byte("dtls-record-"), 30)
	full := serialize(t, ip, u, gopacket.Payload(payload))
	body := full[40:] // UDP header + payload
	mk := func(lo, hi int, more bool) []byte {
		fh := []byte{17, 0, 0, 0, 0xde, 0xad, 0xbe, 0xef}
		v := uint16(lo)
		if more {
			v |= 1
		}
		binary.BigEndian.PutUint16(fh[2:], v)
		f := append(append(append([]byte(nil), full[:40]...), fh...), body[lo:hi]...)
		f[6] = 44
		binary.BigEndian.PutUint16(f[4:], uint16(len(f)-40))
		return f
	}
	d := NewDecoder(Config{})
	var p Packet
	if st, err := d.Decode(229, 5, mk(200, len(body), false), &p); st != Fragment || err != nil {
		t.Fatal(st, err)
	}
	st, err := d.Decode(229, 6, mk(0, 200, true), &p)
	if st != OK || err != nil {
		t.Fatal(st, err)
	}
	if !p.Reassembled || p.Ts != 6 || p.Proto != 17 || p.DstPort != 443 || !bytes.Equal(p.Payload, payload) || p.IPLen != len(full) || p.Src != v6addr("2001:db8::1") {
		t.Errorf("reassembled %+v", p)
	}
}
