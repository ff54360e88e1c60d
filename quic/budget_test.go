package quic

import (
	"testing"

	"github.com/tlsmon/tlsmon"
	"github.com/tlsmon/tlsmon/budget"
)

type budgetReport struct {
	conn *tlsmon.Conn
	acct budget.Account
	shed bool
}

func newBudget(max int64) (*budget.Budget, *[]budgetReport) {
	var reports []budgetReport
	b := &budget.Budget{Max: max}
	b.Report = func(c *tlsmon.Conn, a budget.Account, shed bool) {
		reports = append(reports, budgetReport{c, a, shed})
	}
	return b, &reports
}

// TestCryptoBudgetDraws: the CRYPTO bytes held past a hole draw on the memory budget by
// the bytes received, and are given back when the hole is filled and at Done.
func TestCryptoBudgetDraws(t *testing.T) {
	b, reports := newBudget(1 << 20)
	h := newHarness(Config{Budget: b})
	ch := message(1500)
	h.a.DeliverPacket(1, true, clientInitial(t, dcidA, dcidA, 1, cryptoFrame(700, ch[700:])))
	if got := b.Stats().Accounts[budget.QUIC]; got != 804 || int(got) != heldBytes(h.a) {
		t.Fatalf("quic account %d, held %d, want 804", got, heldBytes(h.a))
	}
	h.a.DeliverPacket(2, true, clientInitial(t, dcidA, dcidA, 2, cryptoFrame(0, ch[:700])))
	if got := b.Used(); got != 0 || heldBytes(h.a) != 0 {
		t.Fatalf("after the hole was filled: used %d, held %d", got, heldBytes(h.a))
	}
	if len(h.children[0].data[0]) != 5+len(ch) {
		t.Fatalf("forwarded %d bytes", len(h.children[0].data[0]))
	}
	// held again, then the connection ends
	h2 := newHarness(Config{Budget: b})
	h2.a.DeliverPacket(1, true, clientInitial(t, dcidB, dcidB, 1, cryptoFrame(700, ch[700:])))
	if b.Used() != 804 {
		t.Fatalf("used %d", b.Used())
	}
	h2.a.Done(3)
	if b.Used() != 0 || len(*reports) != 0 {
		t.Fatalf("after Done: used %d, reports %v", b.Used(), *reports)
	}
}

// TestCryptoBudgetRefused: a held piece the budget cannot grant is refused (reported, with
// the connection) and the connection's QUIC analysis stops, holding nothing.
func TestCryptoBudgetRefused(t *testing.T) {
	b, reports := newBudget(500)
	h := newHarness(Config{Budget: b})
	ch := message(1500)
	h.a.DeliverPacket(1, true, clientInitial(t, dcidA, dcidA, 1, cryptoFrame(700, ch[700:])))
	if len(*reports) != 1 || (*reports)[0] != (budgetReport{h.a.env.Conn, budget.QUIC, false}) {
		t.Fatalf("reports %v", *reports)
	}
	if !h.a.skip || heldBytes(h.a) != 0 || b.Used() != 0 {
		t.Fatalf("skip %v, held %d, used %d", h.a.skip, heldBytes(h.a), b.Used())
	}
	if h.count("weird") != 0 { // the budget's weird, not the per-connection cap's
		t.Fatalf("%d weirds", h.count("weird"))
	}
	h.a.DeliverPacket(2, true, clientInitial(t, dcidA, dcidA, 2, cryptoFrame(0, ch[:700])))
	if len(h.children[0].data[0]) != 0 {
		t.Fatal("data forwarded after the analysis stopped")
	}
	h.a.Done(3)
	if b.Used() != 0 {
		t.Fatalf("used %d", b.Used())
	}
}

// TestCryptoBudgetShed: a connection whose handshake no SSL analyzer confirmed is shed,
// oldest first, to make room for another's; a confirmed one is not (the draw is refused).
func TestCryptoBudgetShed(t *testing.T) {
	ch := message(1500)
	for _, confirmed := range []bool{false, true} {
		b, reports := newBudget(1000)
		old := newHarness(Config{Budget: b})
		old.a.DeliverPacket(1, true, clientInitial(t, dcidA, dcidA, 1, cryptoFrame(700, ch[700:])))
		if confirmed {
			childEvents{old.a}.HandleEvent(&tlsmon.AnalyzerConfirmation{Analyzer: "SSL"})
		}
		young := newHarness(Config{Budget: b})
		young.a.DeliverPacket(2, true, clientInitial(t, dcidB, dcidB, 1, cryptoFrame(600, ch[600:])))
		want := []budgetReport{{old.a.env.Conn, budget.QUIC, true}}
		oldHeld, youngHeld := 0, 904
		if confirmed {
			want = []budgetReport{{young.a.env.Conn, budget.QUIC, false}}
			oldHeld, youngHeld = 804, 0
		}
		if len(*reports) != 1 || (*reports)[0] != want[0] {
			t.Fatalf("confirmed %v: reports %v, want %v", confirmed, *reports, want)
		}
		if heldBytes(old.a) != oldHeld || heldBytes(young.a) != youngHeld || b.Used() != int64(oldHeld+youngHeld) {
			t.Fatalf("confirmed %v: held %d and %d, used %d", confirmed, heldBytes(old.a), heldBytes(young.a), b.Used())
		}
		if old.a.skip == confirmed || young.a.skip != confirmed {
			t.Fatalf("confirmed %v: stopped %v and %v", confirmed, old.a.skip, young.a.skip)
		}
		old.a.Done(3)
		young.a.Done(3)
		if b.Used() != 0 {
			t.Fatalf("confirmed %v: used %d at the end", confirmed, b.Used())
		}
	}
}
