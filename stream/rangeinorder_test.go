package stream

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// TestRangeInOrder checks that RangeInOrder, then DataSent when it declines, leaves a
// direction as DataSent alone does: in order, out of order, overlapping and acknowledged
// segments, before and after DropData.
func TestRangeInOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	taken := 0
	for round := 0; round < 200; round++ {
		var a, b Reassembler
		var sa, sb rec
		a.Init(nil, nil)
		b.Init(nil, nil)
		next := uint64(1)
		for i := 0; i < 100; i++ {
			if i == 10 || rng.IntN(40) == 0 {
				a.DropData()
				b.DropData()
			}
			seq := next
			switch rng.IntN(8) {
			case 0:
				seq += uint64(rng.IntN(3000)) // ahead: a hole
			case 1:
				seq -= min(seq-1, uint64(rng.IntN(3000))) // behind: a retransmission
			}
			n := rng.IntN(1500)
			data := make([]byte, n)
			acked := uint64(0)
			if rng.IntN(4) == 0 {
				acked = seq + uint64(rng.IntN(3))
			}
			if a.RangeInOrder(seq, n, acked) {
				taken++
			} else {
				a.DataSent(0, seq, data, acked, &sa)
			}
			b.DataSent(0, seq, data, acked, &sb)
			if rng.IntN(10) == 0 {
				ack := b.Next() + uint64(rng.IntN(2000))
				a.AckReceived(0, ack, &sa)
				b.AckReceived(0, ack, &sb)
			}
			if seq+uint64(n) > next {
				next = seq + uint64(n)
			}
			if a.Next() != b.Next() || a.Buffered() != b.Buffered() || a.Undelivered() != b.Undelivered() ||
				a.DataDropped() != b.DataDropped() || !slices.Equal(sa.out, sb.out) || !slices.Equal(sa.gaps, sb.gaps) {
				t.Fatalf("round %d segment %d (seq %d, %d bytes): next %d/%d, buffered %d/%d, gaps %v/%v",
					round, i, seq, n, a.Next(), b.Next(), a.Buffered(), b.Buffered(), sa.gaps, sb.gaps)
			}
		}
	}
	if taken < 200 {
		t.Fatalf("RangeInOrder took only %d segments", taken)
	}
}
