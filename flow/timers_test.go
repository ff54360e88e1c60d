package flow

import (
	"math/rand/v2"
	"testing"
)

// TestTimerHeapOrder pushes and pops timers in a random mix (ties included) and checks that
// every pop returns the earliest pending timer by timer.before.
func TestTimerHeapOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	conns := make([]*Conn, 8)
	for i := range conns {
		conns[i] = &Conn{}
		conns[i].setBorn(uint64(rng.IntN(4)))
	}
	var h timerHeap
	var pending []timer
	seq := uint64(0)
	for step := 0; step < 20000; step++ {
		if len(pending) == 0 || rng.IntN(3) != 0 {
			seq++
			tm := timer{at: int64(rng.IntN(50)), seqKind: seq << 3, c: conns[rng.IntN(len(conns))]}
			h.push(tm)
			pending = append(pending, tm)
			continue
		}
		best := 0
		for i := range pending {
			if pending[i].before(&pending[best]) {
				best = i
			}
		}
		got := h.pop()
		if got != pending[best] {
			t.Fatalf("step %d: pop = %+v, want %+v", step, got, pending[best])
		}
		pending = append(pending[:best], pending[best+1:]...)
		if len(h) != len(pending) {
			t.Fatalf("step %d: %d entries, want %d", step, len(h), len(pending))
		}
	}
}
