package stream

import (
	"bytes"
	"testing"
)

type rec struct {
	out  []byte // delivered bytes, gaps filled with '#'
	gaps []uint64
}

func (s *rec) Deliver(ts int64, d []byte) { s.out = append(s.out, d...) }
func (s *rec) Gap(ts int64, n uint64) {
	s.gaps = append(s.gaps, n)
	s.out = append(s.out, bytes.Repeat([]byte{'#'}, int(n))...)
}

type seg struct {
	seq  uint64
	data string
	ack  uint64 // if non-zero, AckReceived(ack) after the segment
}

func TestReassembly(t *testing.T) {
	cases := []struct {
		name string
		segs []seg
		want string
		gaps []uint64
		tail uint64 // gap reported by Close
	}{
		{"in order", []seg{{1, "abc", 0}, {4, "def", 0}}, "abcdef", nil, 0},
		{"out of order", []seg{{4, "def", 0}, {1, "abc", 0}}, "abcdef", nil, 0},
		{"reverse three", []seg{{7, "ghi", 0}, {4, "def", 0}, {1, "abc", 0}}, "abcdefghi", nil, 0},
		{"retransmit", []seg{{1, "abc", 0}, {1, "abc", 0}, {4, "def", 0}}, "abcdef", nil, 0},
		{"overlap keeps first delivered", []seg{{1, "abc", 0}, {2, "XYZd", 0}}, "abcZd", nil, 0},
		{"overlap keeps first buffered", []seg{{4, "def", 0}, {1, "abcXYZg", 0}}, "abcdefg", nil, 0},
		{"buffered overlaps buffered", []seg{{5, "ef", 0}, {3, "cDEFg", 0}, {1, "ab", 0}}, "abcDefg", nil, 0},
		{"ack past hole", []seg{{1, "abc", 0}, {7, "ghi", 10}}, "abc###ghi", []uint64{3}, 0},
		{"ack beyond data", []seg{{1, "abc", 8}}, "abc####", []uint64{4}, 0},
		{"ack inside hole", []seg{{1, "ab", 0}, {6, "fg", 4}, {4, "de", 0}}, "ab#defg", []uint64{1}, 0},
		{"hole never filled", []seg{{1, "ab", 0}, {6, "fg", 0}}, "ab", nil, 5},
		{"late retransmit after gap", []seg{{1, "ab", 5}, {3, "cd", 0}, {5, "ef", 0}}, "ab##ef", []uint64{2}, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var r Reassembler
			r.Init(nil, nil)
			var s rec
			for _, sg := range c.segs {
				r.DataSent(1, sg.seq, []byte(sg.data), 0, &s)
				if sg.ack != 0 {
					r.AckReceived(1, sg.ack, &s)
				}
			}
			if got := string(s.out); got != c.want {
				t.Fatalf("delivered %q, want %q", got, c.want)
			}
			if len(s.gaps) != len(c.gaps) {
				t.Fatalf("gaps %v, want %v", s.gaps, c.gaps)
			}
			for i := range c.gaps {
				if s.gaps[i] != c.gaps[i] {
					t.Fatalf("gaps %v, want %v", s.gaps, c.gaps)
				}
			}
			if n := r.Close(2, &s); n != c.tail {
				t.Fatalf("Close gap %d, want %d", n, c.tail)
			}
			if r.Buffered() != 0 {
				t.Fatalf("buffers not released: %d", r.Buffered())
			}
		})
	}
}

func TestCaps(t *testing.T) {
	pool := &Pool{Max: 1 << 20}
	b := &Budget{Max: 8}
	var r Reassembler
	r.Init(b, pool)
	var s rec
	if c := r.DataSent(1, 10, []byte("0123456"), 0, &s); c != CapNone {
		t.Fatalf("cap %d for 7 bytes under 8", c)
	}
	if c := r.DataSent(1, 20, []byte("abc"), 0, &s); c != CapConnection {
		t.Fatalf("cap %d, want CapConnection", c)
	}
	if b.Used != 7 || pool.Used() != 7 {
		t.Fatalf("budget %d pool %d, want 7", b.Used, pool.Used())
	}
	// The dropped segment surfaces as a gap once acked.
	r.AckReceived(1, 23, &s)
	if got, want := string(s.out), "#########0123456######"; got != want {
		t.Fatalf("got %q want %q", got, want)
	}
	if b.Used != 0 || pool.Used() != 0 {
		t.Fatalf("not released: budget %d pool %d", b.Used, pool.Used())
	}

	gp := &Pool{Max: 4}
	var r2 Reassembler
	r2.Init(nil, gp)
	if c := r2.DataSent(1, 5, []byte("abcdef"), 0, &s); c != CapGlobal {
		t.Fatalf("cap %d, want CapGlobal", c)
	}

	var r3 Reassembler
	r3.Init(nil, nil)
	for i := 0; i < MaxBlocks; i++ {
		if c := r3.DataSent(1, uint64(10+2*i), []byte("x"), 0, &s); c != CapNone {
			t.Fatalf("block %d: cap %d", i, c)
		}
	}
	if c := r3.DataSent(1, 5000, []byte("x"), 0, &s); c != CapBlocks {
		t.Fatalf("cap %d, want CapBlocks", c)
	}
}

func TestSkipAll(t *testing.T) {
	var r Reassembler
	r.Init(nil, nil)
	var s rec
	r.DataSent(1, 5, []byte("efg"), 0, &s)
	r.SkipAll()
	r.DataSent(1, 1, []byte("abcd"), 0, &s)
	r.AckReceived(1, 100, &s)
	if len(s.out) != 0 || r.Buffered() != 0 {
		t.Fatalf("delivered %q after SkipAll, buffered %d", s.out, r.Buffered())
	}
}

type nopSink struct{ n int }

func (s *nopSink) Deliver(ts int64, d []byte) { s.n += len(d) }
func (s *nopSink) Gap(ts int64, n uint64)     {}

func BenchmarkReassembly(b *testing.B) {
	payload := bytes.Repeat([]byte("x"), 1400)
	var s nopSink
	b.ReportAllocs()
	b.SetBytes(1400 * 4)
	for i := 0; i < b.N; i++ {
		var r Reassembler
		r.Init(nil, nil)
		// Two in order, then one reordered pair.
		r.DataSent(1, 1, payload, 0, &s)
		r.DataSent(1, 1401, payload, 0, &s)
		r.DataSent(1, 4201, payload, 0, &s)
		r.DataSent(1, 2801, payload, 0, &s)
	}
}

func BenchmarkReassemblyInOrder(b *testing.B) {
	payload := bytes.Repeat([]byte("x"), 1400)
	var s nopSink
	var r Reassembler
	r.Init(nil, nil)
	b.ReportAllocs()
	b.SetBytes(1400)
	seq := uint64(1)
	for i := 0; i < b.N; i++ {
		r.DataSent(1, seq, payload, 0, &s)
		seq += 1400
	}
}
