package engine

import (
	"testing"

	"github.com/tlsmon/tlsmon/analyzer"
)

// Zeek's gap statistics (capture_loss.log): ACKs that advance an established stream count,
// an ACK of the SYN alone does not, and an ACK past a hole is also a gap.
func TestGapStats(t *testing.T) {
	h := newHarness(analyzer.Spec{Name: "TEST", TCPPorts: []uint16{9999}}, Limits{})
	h.handshake()                        // ACKs of the SYNs alone: not counted
	h.tcp(4, true, fPA, 101, 501, "abc") // acks nothing new
	h.tcp(5, false, fA, 501, 104, "")    // acks abc: counted
	h.tcp(6, true, fPA, 114, 501, "xyz") // 10 bytes missing
	h.tcp(7, false, fA, 501, 117, "")    // acks past the hole: counted, and a gap
	h.tcp(8, false, fA, 501, 117, "")    // duplicate: not counted
	st := h.e.Stats()
	if st.AckEvents != 2 || st.GapEvents != 1 {
		t.Fatalf("acks %d gaps %d, want 2 and 1", st.AckEvents, st.GapEvents)
	}
}
