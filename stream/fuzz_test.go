package stream

import (
	"bytes"
	"testing"
)

// FuzzReassembly drives a reassembler with segments cut from one known stream, in the order
// and with the overlaps and acks the input chooses, and checks that every delivered byte is
// the stream's byte at that position, that nothing is delivered twice, and that buffers and
// caps stay consistent.
func FuzzReassembly(f *testing.F) {
	f.Add([]byte{0, 5, 0, 10, 5, 0, 3, 2, 0})
	f.Add([]byte{20, 10, 0, 0, 10, 0, 0, 30, 1, 5, 5, 0})
	f.Add([]byte{1, 255, 1, 100, 50, 0, 0, 100, 0})
	f.Fuzz(func(t *testing.T, in []byte) {
		src := make([]byte, 4096)
		for i := range src {
			src[i] = byte(i*7 + i/251)
		}
		budget := &Budget{Max: 2048}
		pool := &Pool{Max: 1 << 16}
		var r Reassembler
		r.Init(budget, pool)
		c := &checker{src: src, pos: 1}
		// odd-length inputs run under a Recovery: holes wait (until HoldBytes), gaps may
		// then come from DataSent too, and op 2 is DataHeld
		recover := len(in)%2 == 1
		if recover {
			SetRecovery(&Recovery{HoldTime: 1 << 62, HoldBytes: 512}, &r, nil)
			budget = r.budget // moved with the recovery state
			c.gapOK = true
		}
		for len(in) >= 3 {
			off := uint64(in[0])<<4 | uint64(in[1]>>4)
			n := uint64(in[1]&0x0f)<<4 | uint64(in[2]>>4)
			op := in[2] & 0x0f
			in = in[3:]
			seq := 1 + off%3000
			end := min(seq+n, uint64(len(src)))
			if op == 1 {
				c.gapOK = true
				r.AckReceived(0, seq, c)
				c.gapOK = recover
				continue
			}
			if recover && op == 2 {
				r.DataHeld(seq, src[seq:end], 0)
				r.Release(0, c)
			} else {
				r.DataSent(0, seq, src[seq:end], 0, c)
			}
			if r.Buffered() < 0 || int(budget.Used) != r.Buffered() || pool.Used() != int64(r.Buffered()) {
				t.Fatalf("accounting: buffered %d budget %d pool %d", r.Buffered(), budget.Used, pool.Used())
			}
			if r.Next() != c.pos {
				t.Fatalf("Next %d, delivered up to %d", r.Next(), c.pos)
			}
		}
		c.gapOK = true
		r.EndHold(0, c)
		r.Close(0, c)
		if r.Buffered() != 0 || budget.Used != 0 || pool.Used() != 0 {
			t.Fatalf("not released")
		}
	})
}

type checker struct {
	src   []byte
	pos   uint64
	gapOK bool
	t     *testing.T
}

func (c *checker) Deliver(ts int64, d []byte) {
	if c.pos+uint64(len(d)) > uint64(len(c.src)) || !bytes.Equal(d, c.src[c.pos:c.pos+uint64(len(d))]) {
		panic("delivered bytes differ from the stream at their position")
	}
	c.pos += uint64(len(d))
}

func (c *checker) Gap(ts int64, n uint64) {
	if !c.gapOK || n == 0 {
		panic("unexpected gap")
	}
	c.pos += n
}
