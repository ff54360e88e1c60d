package stream

import (
	"slices"
	"testing"
)

// countSink counts delivered bytes and records gaps.
type countSink struct {
	delivered uint64
	gaps      []uint64
}

func (s *countSink) Deliver(ts int64, d []byte) { s.delivered += uint64(len(d)) }
func (s *countSink) Gap(ts int64, n uint64)     { s.gaps = append(s.gaps, n) }

// FuzzDropData runs the same segments and acks through two reassemblers, one of which
// switches to ranges only (DropData) part-way: sequence tracking, gaps, accounting and caps
// must not differ, and the dropped one must deliver nothing after the switch.
func FuzzDropData(f *testing.F) {
	f.Add([]byte{0, 5, 0, 10, 5, 0, 3, 2, 0}, uint8(1))
	f.Add([]byte{20, 10, 0, 0, 10, 0, 0, 30, 1, 5, 5, 0, 40, 16, 0}, uint8(2))
	f.Add([]byte{1, 255, 1, 100, 50, 0, 0, 100, 0, 2, 0, 1}, uint8(0))
	f.Fuzz(func(t *testing.T, in []byte, dropAt uint8) {
		src := make([]byte, 4096)
		var (
			ra, rb Reassembler
			ba     = &Budget{Max: 2048}
			bb     = &Budget{Max: 2048}
			pa, pb = &Pool{Max: 1 << 16}, &Pool{Max: 1 << 16}
			sa, sb countSink
		)
		ra.Init(ba, pa)
		rb.Init(bb, pb)
		var afterDrop uint64
		for step := 0; len(in) >= 3; step++ {
			if step == int(dropAt) {
				rb.DropData()
				afterDrop = sb.delivered
			}
			off := uint64(in[0])<<4 | uint64(in[1]>>4)
			n := uint64(in[1]&0x0f)<<4 | uint64(in[2]>>4)
			op := in[2] & 0x0f
			in = in[3:]
			seq := 1 + off%3000
			end := min(seq+n, uint64(len(src)))
			if op == 1 {
				ga, gb := ra.AckReceived(0, seq, &sa), rb.AckReceived(0, seq, &sb)
				if ga != gb {
					t.Fatalf("ack gaps %d vs %d", ga, gb)
				}
				continue
			}
			ca := ra.DataSent(0, seq, src[seq:end], 0, &sa)
			cb := rb.DataSent(0, seq, src[seq:end], 0, &sb)
			if ca != cb || ra.Next() != rb.Next() || ra.Buffered() != rb.Buffered() ||
				ra.Undelivered() != rb.Undelivered() || ba.Used != bb.Used || pa.Used() != pb.Used() {
				t.Fatalf("diverged: cap %d/%d next %d/%d buffered %d/%d", ca, cb, ra.Next(), rb.Next(), ra.Buffered(), rb.Buffered())
			}
		}
		if rb.DataDropped() && sb.delivered != afterDrop {
			t.Fatalf("delivered %d bytes after DropData", sb.delivered-afterDrop)
		}
		if ga, gb := ra.Close(0, &sa), rb.Close(0, &sb); ga != gb {
			t.Fatalf("close gaps %d vs %d", ga, gb)
		}
		if !slices.Equal(sa.gaps, sb.gaps) {
			t.Fatalf("gaps %v vs %v", sa.gaps, sb.gaps)
		}
		if bb.Used != 0 || pb.Used() != 0 {
			t.Fatalf("not released: %d %d", bb.Used, pb.Used())
		}
	})
}

// After DropData nothing is copied: out-of-order segments allocate no data.
func TestDropDataHoldsNoBytes(t *testing.T) {
	var r Reassembler
	r.Init(nil, nil)
	var s countSink
	r.DataSent(0, 1, []byte("abc"), 0, &s)
	r.DataSent(0, 10, []byte("out of order"), 0, &s)
	r.DropData()
	if !r.DataDropped() {
		t.Fatal("DataDropped false")
	}
	r.DataSent(0, 30, make([]byte, 1000), 0, &s)
	for _, b := range r.blocks() {
		if b.data != nil {
			t.Fatalf("block at %d holds %d bytes", b.seq, len(b.data))
		}
	}
	if r.Buffered() != 1012 {
		t.Fatalf("buffered %d, want 1012 (lengths still count)", r.Buffered())
	}
	r.DataSent(0, 4, make([]byte, 26), 0, &s) // fills both holes
	if s.delivered != 3 || r.Next() != 1030 || r.Buffered() != 0 || !r.DataDropped() {
		t.Fatalf("delivered %d next %d buffered %d dropped %v", s.delivered, r.Next(), r.Buffered(), r.DataDropped())
	}
}
