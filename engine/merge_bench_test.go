package engine

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/tlsmon/tlsmon"
)

// BenchmarkMerger is the merger alone, the split path's serial part besides the dispatcher:
// N shards' chunks, made beforehand and queued, merged into a sink that only counts. The
// items are shaped like perfmix's two-worker run (docs/PERFORMANCE.md, "merger"): ≈ 0.1
// item per frame, each frame's items from the shard that owns it (by a hash), a chunk per
// shard per batch of 1,024 frames, and at every 1,000th frame a timer tick whose expired
// connections' rows (PhaseTimer, ordered by deadline and birth) come from every shard.
// items/s is the merger's rate on one core; a shard's rate on perfmix is ≈ 97 k items in
// ≈ 0.15 s of CPU for two shards (≈ 0.3 M items/s per shard).
func BenchmarkMerger(b *testing.B) {
	for _, n := range []int{2, 8, 16} {
		b.Run(fmt.Sprintf("shards=%d", n), func(b *testing.B) {
			boxes, items := mergerBenchChunks(n, 1_000_000)
			var sink countSink
			b.ResetTimer()
			start := time.Now()
			for range b.N {
				m := newMerger(&sink, boxes)
				m.run()
				for s, o := range boxes { // queue the chunks again, in their order
					for range len(o.free) {
						o.out <- <-o.free
					}
					if c := m.heads[s].c; c != nil { // a merger that keeps the last one read
						o.out <- c
					}
				}
			}
			b.ReportMetric(float64(b.N*items)/time.Since(start).Seconds(), "items/s")
			if sink.lines != b.N*items {
				b.Fatalf("%d lines merged, want %d", sink.lines, b.N*items)
			}
		})
	}
}

type countSink struct{ lines int }

func (s *countSink) Line(int, []byte)           { s.lines++ }
func (s *countSink) Event(tlsmon.Event, []byte) {}

// mergerBenchChunks returns n shards' outboxes with their chunks queued (channels large
// enough for all of them) for frames frames, and the number of items.
func mergerBenchChunks(n, frames int) ([]*Outbox, int) {
	r := rand.New(rand.NewPCG(1, 2))
	per := make([][]*chunk, n)
	cur := make([]*chunk, n)
	line := []byte("a row of a log, about as long as one of ssl.log's: 0123456789abcdef\n")
	put := func(s int, o Order) {
		c := cur[s]
		off := len(c.data)
		c.data = append(c.data, line...)
		c.items = append(c.items, item{order: o, kind: itemLine, off: int32(off), end: int32(len(c.data)), conn: -1})
	}
	total := 0
	for s := range cur {
		cur[s] = &chunk{}
	}
	for f := uint64(1); f <= uint64(frames); f++ {
		if f%1000 == 0 { // a tick: every shard's expired connections, by deadline then birth
			for s := range n {
				for k := range 3 {
					put(s, Order{Frame: f, Phase: PhaseTimer, At: int64(k), Born: uint64(k*n + s)})
					total++
				}
			}
		}
		if r.IntN(10) == 0 {
			s := int((f * 0x9e3779b97f4a7c15) >> 40 % uint64(n))
			for range 1 + r.IntN(2) {
				put(s, Order{Frame: f, Phase: PhasePacket})
				total++
			}
		}
		if f%1024 == 0 || f == uint64(frames) {
			for s := range n {
				cur[s].frame = f + 1
				per[s] = append(per[s], cur[s])
				cur[s] = &chunk{}
			}
		}
	}
	boxes := make([]*Outbox, n)
	for s := range n {
		per[s][len(per[s])-1].done = true
		boxes[s] = &Outbox{id: s, out: make(chan *chunk, len(per[s])), free: make(chan *chunk, len(per[s]))}
		for _, c := range per[s] {
			boxes[s].out <- c
		}
	}
	return boxes, total
}
