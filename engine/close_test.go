package engine

import (
	"strings"
	"testing"

	"github.com/tlsmon/tlsmon/analyzer"
	"github.com/tlsmon/tlsmon/packet"
)

// TestFINAckedBeforeFIN: an acknowledgement of a side's FIN that arrives before the FIN
// (reordered capture) trims that side's delivered data for good. Zeek's reassembler keeps
// the highest acknowledgement seen (trim_seq), capping an ACK below the FIN only once the
// FIN was seen, so when the FIN comes the side holds no data and the peer's close is not
// deferred: the packets after both sides closed do not count in the duration.
func TestFINAckedBeforeFIN(t *testing.T) {
	const s = 1_000_000
	type seg struct {
		ts       int64
		fromCli  bool
		flags    uint8
		seq, ack uint32
		data     string
	}
	for _, c := range []struct {
		name   string
		segs   []seg
		dur    int64
		state  string
		missed uint64
	}{
		{
			// Both sides close with FINs; the server's ACK of the client's FIN (105)
			// overtakes the FIN, which makes a 1-byte gap on the client's side.
			name: "FIN exchange",
			segs: []seg{
				{4 * s, true, fPA, 101, 501, "abc"},
				{5 * s, false, fPA, 501, 104, "xyz"},
				{6 * s, false, fA, 504, 105, ""}, // acknowledges the client's FIN, not seen yet
				{7 * s, true, fFA, 104, 504, ""}, // client FIN
				{8 * s, false, fFA, 504, 105, ""},
				{9 * s, true, fA, 105, 505, ""}, // after both closed: not counted
			},
			dur: 7 * s, state: "SF", missed: 1,
		},
		{
			// The client's FIN waits for the server's data to be acknowledged, a RST
			// then closes the client; the server's FIN must close the server at once.
			name: "FIN then RST",
			segs: []seg{
				{4 * s, true, fPA, 101, 501, "abc"},
				{5 * s, false, fPA, 501, 105, "xyz"}, // acknowledges the client's FIN, not seen yet
				{6 * s, true, fFA, 104, 501, ""},     // client FIN: the server's data is unacknowledged
				{7 * s, true, packet.RST, 105, 0, ""},
				{8 * s, false, fFA, 504, 105, ""},     // server FIN
				{9 * s, true, packet.RST, 105, 0, ""}, // after both closed: not counted
			},
			dur: 7 * s, state: "SF", missed: 1,
		},
		{
			// An acknowledgement inside a delivered segment leaves the segment held: the
			// server's FIN waits for the rest of the client's data to be acknowledged.
			name: "partly acknowledged",
			segs: []seg{
				{4 * s, true, fPA, 101, 501, "abcdef"},
				{5 * s, false, fA, 501, 104, ""}, // acknowledges "abc" only
				{6 * s, true, fFA, 107, 501, ""},
				{7 * s, false, fFA, 501, 104, ""}, // server FIN: "def" is pending
				{9 * s, false, fA, 502, 108, ""},  // end of data: the server closes
				{12 * s, true, fA, 108, 502, ""},  // after both closed: not counted
			},
			dur: 8 * s, state: "SF",
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(analyzer.Spec{Name: "TEST", TCPPorts: []uint16{9999}}, Limits{})
			h.tcp(1*s, true, fS, 100, 0, "")
			h.tcp(2*s, false, fSA, 500, 101, "")
			h.tcp(3*s, true, fA, 101, 501, "")
			for _, g := range c.segs {
				h.tcp(g.ts, g.fromCli, g.flags, g.seq, g.ack, g.data)
			}
			h.e.Flush()
			if len(h.removed) != 1 {
				t.Fatalf("%d removals", len(h.removed))
			}
			st := h.removed[0].Stats
			if st.Duration != c.dur || st.State != c.state || st.MissedBytes != c.missed {
				t.Fatalf("duration %d state %s missed %d (history %s), want %d %s %d",
					st.Duration, st.State, st.MissedBytes, st.History, c.dur, c.state, c.missed)
			}
		})
	}
}

// TestInitialWindowTrim: data a side delivers while none of its data was acknowledged and
// past Zeek's tcp_max_initial_window (16 KiB) is not held for acknowledgements (the peer's
// ACKs are presumably not captured): an ACK of part of it afterwards holds nothing, so
// the peer's close is not deferred.
func TestInitialWindowTrim(t *testing.T) {
	const s = 1_000_000
	h := newHarness(analyzer.Spec{Name: "TEST", TCPPorts: []uint16{9999}}, Limits{})
	h.tcp(1*s, true, fS, 100, 0, "")
	h.tcp(2*s, false, fSA, 500, 101, "")
	h.tcp(3*s, true, fA, 101, 501, "")
	chunk := strings.Repeat("x", 1000)
	seq := uint32(101)
	for i := 0; i < 20; i++ { // 20,000 bytes, none acknowledged
		h.tcp(4*s, true, fPA, seq, 501, chunk)
		seq += 1000
	}
	h.tcp(5*s, false, fA, 501, 1101, "")  // acknowledges the first 1000 bytes only
	h.tcp(6*s, true, fFA, seq, 501, "")   // client FIN
	h.tcp(7*s, false, fFA, 501, 1101, "") // server FIN: nothing of the client's is held
	h.tcp(9*s, true, fA, seq+1, 502, "")  // after both closed: not counted
	h.e.Flush()
	if len(h.removed) != 1 {
		t.Fatalf("%d removals", len(h.removed))
	}
	if st := h.removed[0].Stats; st.Duration != 6*s || st.State != "SF" {
		t.Fatalf("duration %d state %s (history %s), want %d SF", st.Duration, st.State, st.History, 6*s)
	}
}

// TestRecoverDataAckedBeforeDelivery: under --recover, data whose acknowledgement came first
// is delivered late (the hole was held): it is acknowledged already, so it does not defer
// the peer's close.
func TestRecoverDataAckedBeforeDelivery(t *testing.T) {
	const s = 1_000_000
	h := newRecoverHarness(Recover{})
	h.tcp(1*s, true, fS, 100, 0, "")
	h.tcp(2*s, false, fSA, 500, 101, "")
	h.tcp(3*s, true, fA, 101, 501, "")
	h.tcp(4*s, true, fA, 101, 504, "") // acknowledges server data not seen yet: the hole is held
	h.tcp(5*s, false, fPA, 501, 101, "xyz")
	h.tcp(6*s, true, fFA, 101, 501, "") // client FIN (sent before its ACK of "xyz")
	h.tcp(7*s, false, fFA, 504, 102, "")
	h.tcp(8*s, true, fA, 102, 505, "") // after both closed: not counted
	h.e.Flush()
	if len(h.removed) != 1 {
		t.Fatalf("%d removals", len(h.removed))
	}
	if st := h.removed[0].Stats; st.Duration != 6*s || st.State != "SF" || st.MissedBytes != 0 {
		t.Fatalf("duration %d state %s missed %d (history %s), want %d SF 0", st.Duration, st.State, st.MissedBytes, st.History, 6*s)
	}
}
