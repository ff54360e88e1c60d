package engine

import (
	"strings"
	"testing"
	"time"

	"github.com/tlsmon/tlsmon/analyzer"
)

// newRecoverHarness is newHarness with Options.Recover on.
func newRecoverHarness(rc Recover) *harness {
	h := newHarness(analyzer.Spec{Name: "TEST", TCPPorts: []uint16{9999}}, Limits{})
	rc.Enabled = true
	h.e.opts.Recover = rc
	h.e.opts.Analyzer.Recover = true
	h.e.recovery = h.e.opts.Recover.recovery()
	return h
}

// An ACK captured before the data it acknowledges: Zeek's rule makes it a gap, --recover
// delivers the data.
func TestRecoverAckBeforeData(t *testing.T) {
	for _, recover := range []bool{false, true} {
		h := newHarness(analyzer.Spec{Name: "TEST", TCPPorts: []uint16{9999}}, Limits{})
		if recover {
			h = newRecoverHarness(Recover{})
		}
		h.handshake()
		h.tcp(4, false, fA, 501, 104, "") // acks "abc" before it is seen
		h.tcp(5, true, fPA, 101, 501, "abc")
		h.tcp(6, true, fPA, 104, 501, "def")
		h.e.Flush()
		a := h.made[0]
		want, gaps := "###def", uint64(3)
		if recover {
			want, gaps = "abcdef", 0
		}
		got := strings.Repeat("#", int(a.gaps)) + a.stream[0].String()
		if got != want || a.gaps != gaps || h.removed[0].Stats.MissedBytes != gaps {
			t.Fatalf("recover=%v: stream %q, gaps %d, missed %d; want %q", recover, got, a.gaps, h.removed[0].Stats.MissedBytes, want)
		}
	}
}

// A client segment acknowledging server bytes not seen yet waits for them: the analyzer gets
// the server's bytes first, as the client did.
func TestRecoverCausalOrder(t *testing.T) {
	h := newRecoverHarness(Recover{})
	var order []string
	h.handshake()
	h.tcp(4, true, fPA, 101, 504, "C1") // the client saw "S1!" already
	a := h.made[0]
	order = append(order, "after C1: "+a.stream[0].String()+"|"+a.stream[1].String())
	h.tcp(5, false, fPA, 501, 101, "S1!")
	order = append(order, "after S1: "+a.stream[0].String()+"|"+a.stream[1].String())
	h.e.Flush()
	if order[0] != "after C1: |" || order[1] != "after S1: C1|S1!" || a.gaps != 0 {
		t.Fatalf("deliveries %q, gaps %d", order, a.gaps)
	}
}

// The hole is declared a gap once HoldTime passed, or at once past HoldBytes (with the
// weird reassembly_hold_cap); the data above it is delivered.
func TestRecoverBounds(t *testing.T) {
	h := newRecoverHarness(Recover{HoldTime: time.Second})
	h.handshake()
	h.tcp(4, true, fPA, 101, 501, "ab")
	h.tcp(5, true, fPA, 106, 501, "fg")
	h.tcp(6, false, fA, 501, 108, "")
	if a := h.made[0]; a.gaps != 0 || a.stream[0].String() != "ab" {
		t.Fatalf("declared before HoldTime: gaps %d %q", a.gaps, a.stream[0].String())
	}
	h.tcp(minNetworkTime+7+time.Second.Microseconds(), false, fA, 501, 108, "") // network time starts at minNetworkTime
	if a := h.made[0]; a.gaps != 3 || a.stream[0].String() != "abfg" {
		t.Fatalf("after HoldTime: gaps %d %q", a.gaps, a.stream[0].String())
	}

	h = newRecoverHarness(Recover{HoldBytes: 10})
	h.handshake()
	h.tcp(4, true, fPA, 101, 501, "ab")
	h.tcp(5, false, fA, 501, 130, "")
	h.tcp(6, true, fPA, 106, 501, "fghij")
	h.tcp(7, true, fPA, 111, 501, "klmnopq")
	a := h.made[0]
	if a.gaps != 3+12 || a.stream[0].String() != "abfghijklmnopq" { // the hole, and the acknowledged bytes never seen
		t.Fatalf("byte cap: gaps %d %q", a.gaps, a.stream[0].String())
	}
	found := false
	for _, w := range h.weirds {
		found = found || w == "reassembly_hold_cap"
	}
	if !found || h.e.Stats().CapHits["reassembly_hold"] != 1 {
		t.Fatalf("cap not reported: %v %v", h.weirds, h.e.Stats().CapHits)
	}
}
