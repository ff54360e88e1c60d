package dtls

import (
	"bytes"
	"sync"
	"testing"

	"github.com/tlsmon/tlsmon"
	"github.com/tlsmon/tlsmon/analyzer"
	"github.com/tlsmon/tlsmon/budget"
)

// newCappedHarness is newHarness with the given caps.
func newCappedHarness(connMax int, b *Budget) *harness {
	h := &harness{}
	env := &analyzer.Env{
		Conn:   &tlsmon.Conn{UID: "Ccap"},
		Events: tlsmon.HandlerFunc(func(e tlsmon.Event) { h.events = append(h.events, e) }),
		Detach: func() { h.detaches++ },
	}
	h.a = NewConfig(env, Config{MaxConnBuffered: connMax, Budget: b, NewSink: func(_ *analyzer.Env, ctl Control) Sink {
		h.sink = &recSink{ctl: ctl}
		return h.sink
	}})
	return h
}

func (h *harness) weirds() []string {
	var out []string
	for _, e := range h.events {
		if w, ok := e.(*tlsmon.Weird); ok {
			out = append(out, w.WeirdName+" "+w.Addl)
		}
	}
	return out
}

func (h *harness) messages() [][]byte {
	var out [][]byte
	for _, c := range h.sink.calls {
		if c.Kind == "hs" {
			out = append(out, c.Body)
		}
	}
	return out
}

// sendSplit sends msg as two fragments (records seq, seq+1) of message_seq msgSeq.
func (h *harness) sendSplit(isOrig bool, seq uint64, msgSeq uint16, msg []byte) {
	half := len(msg) / 2
	n := uint32(len(msg))
	h.a.DeliverPacket(int64(seq), isOrig, hsRecord(seq, 11, n, msgSeq, 0, msg[:half]))
	h.a.DeliverPacket(int64(seq+1), isOrig, hsRecord(seq+1, 11, n, msgSeq, uint32(half), msg[half:]))
}

func TestConnCapDropsLargeFragmentedMessage(t *testing.T) {
	b := NewBudget(1 << 20)
	h := newCappedHarness(1000, b)
	h.sendSplit(true, 0, 0, seqBytes(800)) // fits
	h.sendSplit(false, 0, 0, seqBytes(600))
	if got := h.messages(); len(got) != 1 || !bytes.Equal(got[0], seqBytes(800)) {
		t.Fatalf("messages %d, want only the 800-byte one", len(got))
	}
	w := h.weirds()
	// Both fragments of the responder's message are refused (each tries to start it).
	if len(w) != 2 || w[0] != WeirdConnBufferLimit+" 600" || w[1] != w[0] {
		t.Fatalf("weirds %q", w)
	}
	if h.a.Held() != 800 || b.Stats().Used != 800 || b.Stats().ConnLimitHits != 2 {
		t.Fatalf("held %d, budget %+v", h.a.Held(), b.Stats())
	}
	if len(h.violations()) != 0 || h.detaches != 0 {
		t.Fatalf("a cap is not a violation: %q, %d detaches", h.violations(), h.detaches)
	}
	// A message that fits in the buffer already held needs no more memory.
	h.sendSplit(true, 2, 1, seqBytes(700))
	if got := h.messages(); len(got) != 2 || !bytes.Equal(got[1], seqBytes(700)) {
		t.Fatalf("second originator message not reassembled (%d messages)", len(got))
	}
	h.a.Done(10)
	if h.a.Held() != 0 || b.Stats().Used != 0 {
		t.Fatalf("after Done: held %d, budget %+v", h.a.Held(), b.Stats())
	}
}

func TestUnfragmentedMessagesNeedNoBuffer(t *testing.T) {
	b := NewBudget(10)
	h := newCappedHarness(10, b)
	msg := seqBytes(5000)
	h.a.DeliverPacket(1, true, hsRecord(0, 1, 5000, 0, 0, msg))
	if got := h.messages(); len(got) != 1 || len(h.weirds()) != 0 || b.Stats().Peak != 0 {
		t.Fatalf("messages %d weirds %q budget %+v", len(got), h.weirds(), b.Stats())
	}
}

func TestGlobalBudgetSharedByConnections(t *testing.T) {
	b := NewBudget(2500)
	hs := []*harness{newCappedHarness(0, b), newCappedHarness(0, b), newCappedHarness(0, b)}
	for _, h := range hs {
		h.sendSplit(true, 0, 0, seqBytes(1000))
	}
	if len(hs[0].messages()) != 1 || len(hs[1].messages()) != 1 || len(hs[2].messages()) != 0 {
		t.Fatal("want the first two connections reassembled and the third refused")
	}
	if w := hs[2].weirds(); len(w) != 2 || w[0] != WeirdGlobalBufferLimit+" 1000" {
		t.Fatalf("weirds %q", w)
	}
	st := b.Stats()
	if st.Used != 2000 || st.Peak != 2000 || st.GlobalLimitHits != 2 || st.ConnLimitHits != 0 {
		t.Fatalf("budget %+v", st)
	}
	hs[0].a.Done(5) // frees its share: the third connection now fits
	hs[2].sendSplit(true, 2, 0, seqBytes(1000))
	if len(hs[2].messages()) != 1 {
		t.Fatalf("third connection still refused, budget %+v", b.Stats())
	}
	for _, h := range hs {
		h.a.Done(9)
	}
	if st := b.Stats(); st.Used != 0 || st.Peak != 2000 {
		t.Fatalf("after Done: %+v", st)
	}
}

func TestDetachReleasesBuffers(t *testing.T) {
	b := NewBudget(0)
	h := newCappedHarness(0, b)
	h.a.DeliverPacket(1, true, hsRecord(0, 11, 3000, 0, 0, seqBytes(100)))
	if b.Stats().Used != 3000 {
		t.Fatalf("used %d, want 3000", b.Stats().Used)
	}
	h.a.DeliverPacket(2, true, []byte{22, 0xfe}) // truncated header: violation, detach
	if h.detaches != 1 || b.Stats().Used != 0 || h.a.Held() != 0 {
		t.Fatalf("detaches %d, budget %+v, held %d", h.detaches, b.Stats(), h.a.Held())
	}
}

func TestBudgetConcurrentReservations(t *testing.T) {
	const limit = 10_000
	b := NewBudget(limit)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			m := memAccount{max: limit, budget: b}
			for i := range 2000 {
				if m.grow(0, 7+i%50) {
					if u := b.used.Load(); u > limit {
						t.Errorf("used %d beyond the limit", u)
					}
					m.free(7 + i%50)
				}
			}
		})
	}
	wg.Wait()
	if st := b.Stats(); st.Used != 0 || st.Peak > limit {
		t.Fatalf("budget %+v", st)
	}
}

// TestMemAccountMemoryBudget: the engine's memory budget (ssl.Shared.Budget) is drawn on
// with the DTLS caps; its refusal drops the fragment with the memory_budget weird (source
// tlsmon), and what was drawn is given back.
func TestMemAccountMemoryBudget(t *testing.T) {
	mb := &budget.Budget{Max: 1000}
	m := memAccount{max: 1 << 20, budget: NewBudget(0), memory: mb}
	if !m.grow(0, 800) || mb.Stats().Accounts[budget.DTLS] != 800 {
		t.Fatalf("grow within the budget: %+v", mb.Stats())
	}
	if m.grow(800, 1600) {
		t.Fatal("grow past the memory budget granted")
	}
	if m.budget.Stats().Used != 800 {
		t.Errorf("the DTLS budget kept the refused bytes: %d", m.budget.Stats().Used)
	}
	var w tlsmon.Weird
	if !m.weird(1, nil, &w) || w.WeirdName != "memory_budget" || w.Source != "tlsmon" || w.Addl != "refused dtls" {
		t.Errorf("weird %+v", w)
	}
	m.free(800)
	if mb.Used() != 0 || m.budget.Stats().Used != 0 {
		t.Errorf("after free: %d, %d", mb.Used(), m.budget.Stats().Used)
	}
}
