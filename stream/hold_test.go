package stream

import "testing"

// Under a Recovery, an ACK above a hole waits for the hole to fill (reordering) within the
// time and byte bounds; Zeek's rule declares the gap at once.
func TestHold(t *testing.T) {
	type step struct {
		ts   int64
		seq  uint64 // data at seq (when data != "")
		data string
		ack  uint64 // then AckReceived(ack) if non-zero
	}
	cases := []struct {
		name     string
		rc       *Recovery
		steps    []step
		want     string // delivered, '#' per gap byte
		caps     int    // CapHold results
		closeGap uint64
	}{
		{"zeek: ack before data loses it", nil,
			[]step{{1, 1, "ab", 0}, {2, 0, "", 7}, {3, 3, "cdef", 0}}, "ab####", 0, 0},
		{"hold: ack before data", &Recovery{HoldTime: 10, HoldBytes: 100},
			[]step{{1, 1, "ab", 0}, {2, 0, "", 7}, {3, 3, "cdef", 0}}, "abcdef", 0, 0},
		{"hold: reordered segments above the hole", &Recovery{HoldTime: 10, HoldBytes: 100},
			[]step{{1, 5, "ef", 7}, {2, 1, "ab", 0}, {3, 3, "cd", 0}}, "abcdef", 0, 0},
		{"hold: time is up", &Recovery{HoldTime: 10, HoldBytes: 100},
			[]step{{1, 1, "ab", 0}, {2, 5, "ef", 7}, {12, 0, "", 7}, {13, 3, "cd", 0}}, "ab##ef", 0, 0},
		{"hold: time is up on the next segment", &Recovery{HoldTime: 10, HoldBytes: 100},
			[]step{{1, 1, "ab", 0}, {2, 5, "ef", 7}, {20, 7, "gh", 0}}, "ab##efgh", 0, 0},
		{"hold: byte cap", &Recovery{HoldTime: 1000, HoldBytes: 3},
			[]step{{1, 1, "ab", 0}, {2, 5, "ef", 9}, {3, 7, "gh", 0}}, "ab##efgh", 1, 0},
		{"hold: close delivers what is held", &Recovery{HoldTime: 1000, HoldBytes: 100},
			[]step{{1, 1, "ab", 0}, {2, 5, "ef", 7}, {3, 9, "ij", 0}}, "ab##ef##ij", 0, 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var r Reassembler
			r.Init(nil, nil)
			if c.rc != nil {
				SetRecovery(c.rc, &r, nil)
			}
			var s rec
			caps := 0
			for _, st := range c.steps {
				if st.data != "" && r.DataSent(st.ts, st.seq, []byte(st.data), 0, &s) == CapHold {
					caps++
				}
				if st.ack != 0 {
					r.AckReceived(st.ts, st.ack, &s)
				}
			}
			r.EndHold(100, &s)
			if g := r.Close(100, &s); g != c.closeGap {
				t.Errorf("Close reported %d, want %d", g, c.closeGap)
			}
			if string(s.out) != c.want || caps != c.caps {
				t.Fatalf("delivered %q with %d hold caps, want %q with %d", s.out, caps, c.want, c.caps)
			}
			if r.Holding() || r.Buffered() != 0 {
				t.Fatalf("still holding after Close")
			}
		})
	}
}
