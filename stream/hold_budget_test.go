package stream

import (
	"testing"

	"github.com/tlsmon/tlsmon/budget"
)

// TestHoldDrawsOnBudget: under a Recovery, the segments held above an acknowledged hole
// are out-of-order bytes like any other: they draw on the pool's memory budget (the
// reassembly account) by the bytes held, a segment the budget refuses is dropped with
// CapBudget (and surfaces as a gap), and the bytes are given back when the hole fills.
func TestHoldDrawsOnBudget(t *testing.T) {
	mem := &budget.Budget{Max: 10}
	pool := &Pool{Mem: mem}
	var a, b Reassembler
	a.Init(&Budget{Max: 1000}, pool) // as the engine: Init with its pool, then SetRecovery
	b.Init(nil, pool)
	SetRecovery(&Recovery{HoldTime: 1000, HoldBytes: 100}, &a, &b)
	var s rec
	a.DataSent(1, 1, []byte("ab"), 0, &s)
	a.AckReceived(2, 17, &s) // the peer acknowledged data above the hole at 3
	if c := a.DataSent(3, 5, []byte("efgh"), 0, &s); c != CapNone || !a.Holding() {
		t.Fatalf("cap %d, holding %v", c, a.Holding())
	}
	if got := mem.Stats().Accounts[budget.Reassembly]; got != 4 || int(got) != a.Buffered() {
		t.Fatalf("reassembly account %d, held %d, want 4", got, a.Buffered())
	}
	if c := a.DataSent(4, 9, []byte("ijklmnop"), 0, &s); c != CapBudget {
		t.Fatalf("cap %d, want CapBudget (%d)", c, CapBudget)
	}
	if mem.Used() != 4 || a.Buffered() != 4 {
		t.Fatalf("after the refusal: used %d, held %d", mem.Used(), a.Buffered())
	}
	a.DataSent(5, 3, []byte("cd"), 0, &s)
	if string(s.out) != "abcdefgh" || mem.Used() != 0 {
		t.Fatalf("delivered %q, used %d", s.out, mem.Used())
	}
	a.EndHold(6, &s)
	a.Close(6, &s)
	if string(s.out) != "abcdefgh########" || mem.Used() != 0 {
		t.Fatalf("at the end: delivered %q, used %d", s.out, mem.Used())
	}
}
