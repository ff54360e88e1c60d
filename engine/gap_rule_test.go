package engine

import (
	"bytes"
	"testing"

	"github.com/tlsmon/tlsmon/analyzer"
)

// Zeek's rule for a gap before content detection attached the analyzer: a gap before any
// stream byte of the connection is forgotten (the analyzer attached later sees none and
// gets both directions), a gap after the first byte is replayed to it.
func TestGapBeforeDetection(t *testing.T) {
	spec := analyzer.Spec{Name: "TEST", Match: func(isOrig bool, b []byte) bool {
		return !isOrig && bytes.HasPrefix(b, []byte("SRV"))
	}}
	for _, tc := range []struct {
		name      string
		firstData bool // the client's first bytes were captured before the lost segment
		gaps      uint64
		client    string
	}{
		{"gap before any byte", false, 0, "late"},
		{"gap after the first byte", true, 5, "helolate"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(spec, Limits{})
			h.handshake()
			seq := uint32(101)
			if tc.firstData {
				h.tcp(4, true, fPA, seq, 501, "helo")
				seq += 4
			}
			h.tcp(5, false, fA, 501, seq+5, "")     // acks 5 bytes never captured
			h.tcp(6, true, fPA, seq+5, 501, "late") // the client goes on
			h.tcp(7, false, fPA, 501, seq+9, "SRV hello")
			h.e.Flush()
			if len(h.made) != 1 {
				t.Fatalf("%d analyzers attached", len(h.made))
			}
			a := h.made[0]
			if a.gaps != tc.gaps || a.stream[0].String() != tc.client || a.stream[1].String() != "SRV hello" {
				t.Fatalf("gaps %d, client %q, server %q", a.gaps, a.stream[0].String(), a.stream[1].String())
			}
			if h.removed[0].Stats.MissedBytes != 5 {
				t.Fatalf("missed_bytes %d, want 5 (the gap counts either way)", h.removed[0].Stats.MissedBytes)
			}
		})
	}
}
