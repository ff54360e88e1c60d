package flow

import "testing"

// TestLookupLastConn checks the lookup's one-entry cache (connMap.last): a hit needs the
// whole key (addresses, ports in either orientation, protocol), and a connection that left
// the map is never found through it.
func TestLookupLastConn(t *testing.T) {
	cases := []struct {
		name        string
		src, dst    [16]byte
		sp, dp      uint16
		proto       uint8
		wantCurrent bool
	}{
		{"same packet direction", hA, hB, 1000, 443, 6, true},
		{"reverse direction", hB, hA, 443, 1000, 6, true},
		{"other protocol", hA, hB, 1000, 443, 17, false},
		{"other source port", hA, hB, 1001, 443, 6, false},
		{"ports swapped", hA, hB, 443, 1000, 6, false},
		{"other address", hA, addr("10.0.0.3"), 1000, 443, 6, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tb := NewTable(Config{}, &rmHooks{})
			c := run(t, tb, 6, []pk{{fromA: true, sp: 1000, dp: 443, flags: S, seq: 1, ts: 1}})
			if got, _ := tb.Find(hA, hB, 1000, 443, 6); got != c { // fills the cache
				t.Fatalf("Find: %p, want %p", got, c)
			}
			got, _ := tb.Find(tc.src, tc.dst, tc.sp, tc.dp, tc.proto)
			if (got == c) != tc.wantCurrent || (!tc.wantCurrent && got != nil) {
				t.Fatalf("Find: %p, connection %p, want it: %v", got, c, tc.wantCurrent)
			}
			tb.Flush(2) // removes c (and recycles its memory)
			if got, _ := tb.Find(hA, hB, 1000, 443, 6); got != nil {
				t.Fatalf("Find after removal: %p, want nil", got)
			}
		})
	}
}
