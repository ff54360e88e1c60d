package dtls

import (
	"bytes"
	"strings"
	"testing"
)

// frag is one fragment for the reassembly tests: record sequence number and byte range.
type frag struct {
	recSeq   uint64
	off, len int
}

// feed sends the fragments of msg (message_seq msgSeq) and returns the messages handed on
// and the violations.
func feed(r *Reassembler, msgSeq uint16, msg []byte, frags []frag) (out [][]byte, viol []string) {
	for _, f := range frags {
		h := HandshakeHeader{MsgType: 11, Length: uint32(len(msg)), MessageSeq: msgSeq, FragmentOffset: uint32(f.off), FragmentLength: uint32(f.len)}
		m, ok, v := r.Add(f.recSeq, h, msg[f.off:f.off+f.len])
		if v != "" {
			viol = append(viol, v)
		}
		if ok {
			out = append(out, append([]byte(nil), m...))
		}
	}
	return out, viol
}

func TestReassemblyWholeMessagePassesThrough(t *testing.T) {
	var r Reassembler
	data := seqBytes(30) // more than the message: Zeek hands everything on
	m, ok, v := r.Add(5, HandshakeHeader{MsgType: 1, Length: 20, FragmentLength: 20}, data)
	if !ok || v != "" || !bytes.Equal(m, data) {
		t.Fatalf("ok=%v v=%q len=%d", ok, v, len(m))
	}
	if r.Buffered() != 0 {
		t.Fatal("whole message buffered")
	}
}

func TestReassemblyOrders(t *testing.T) {
	msg := seqBytes(100)
	tests := []struct {
		name  string
		frags []frag
		want  int // messages handed on
		viol  int
	}{
		{"in order", []frag{{1, 0, 40}, {2, 40, 40}, {3, 80, 20}}, 1, 0},
		{"reversed", []frag{{3, 80, 20}, {2, 40, 40}, {1, 0, 40}}, 1, 0},
		{"middle last", []frag{{1, 0, 40}, {3, 80, 20}, {2, 40, 40}}, 1, 0},
		{"overlapping", []frag{{1, 0, 60}, {2, 30, 50}, {3, 70, 30}}, 1, 0},
		{"retransmitted record", []frag{{1, 0, 40}, {1, 0, 40}, {2, 40, 40}, {2, 40, 40}, {3, 80, 20}}, 1, 0},
		{"missing middle", []frag{{1, 0, 40}, {3, 80, 20}}, 0, 0},
		{"missing first", []frag{{2, 40, 40}, {3, 80, 20}}, 0, 0},
		{"missing last", []frag{{1, 0, 40}, {2, 40, 40}}, 0, 0},
		// Zeek completes by record sequence numbers and keeps the state of a completed
		// message: the first fragment of a retransmission under new numbers completes it
		// again (records 1..2 all seen); the second moves the last record to 8 and leaves
		// 3..6 missing.
		{"retransmission after completion", []frag{{1, 0, 50}, {2, 50, 50}, {7, 0, 50}, {8, 50, 50}}, 2, 0},
		{"window", []frag{{1, 0, 40}, {40, 40, 60}}, 0, 1},
		{"second first fragment", []frag{{5, 0, 40}, {4, 0, 40}}, 0, 1},
		{"span over 30", []frag{{1, 0, 10}, {32, 90, 10}}, 0, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var r Reassembler
			out, viol := feed(&r, 0, msg, tc.frags)
			if len(out) != tc.want || len(viol) != tc.viol {
				t.Fatalf("messages %d (want %d), violations %q (want %d)", len(out), tc.want, viol, tc.viol)
			}
			for _, m := range out {
				if !bytes.Equal(m, msg) {
					t.Fatalf("reassembled message differs:\n%x\n%x", m, msg)
				}
			}
		})
	}
}

func TestReassemblyFirstSequenceMovesDown(t *testing.T) {
	// Fragments arriving before the first one shift the window down; the bits already
	// recorded must move with it.
	msg := seqBytes(90)
	var r Reassembler
	out, viol := feed(&r, 3, msg, []frag{{12, 60, 30}, {11, 30, 30}, {10, 0, 30}})
	if len(viol) != 0 || len(out) != 1 || !bytes.Equal(out[0], msg) {
		t.Fatalf("out=%d viol=%q", len(out), viol)
	}
}

func TestReassemblyNewMessageAbandonsOld(t *testing.T) {
	var r Reassembler
	a, b := seqBytes(60), bytes.Repeat([]byte{0xee}, 60)
	out, _ := feed(&r, 0, a, []frag{{1, 0, 30}})
	out2, _ := feed(&r, 1, b, []frag{{2, 0, 30}, {3, 30, 30}})
	out3, _ := feed(&r, 0, a, []frag{{4, 30, 30}}) // the rest of the abandoned message
	if len(out) != 0 || len(out2) != 1 || !bytes.Equal(out2[0], b) || len(out3) != 0 {
		t.Fatalf("out=%d out2=%d out3=%d", len(out), len(out2), len(out3))
	}
}

func TestReassemblyViolations(t *testing.T) {
	tests := []struct {
		name string
		h    HandshakeHeader
		data []byte
		want string
	}{
		{"too large", HandshakeHeader{Length: MaxHandshakeMessage + 1, FragmentLength: 10}, seqBytes(10), "larger than allowed maximum"},
		{"data length", HandshakeHeader{Length: 100, FragmentLength: 10}, seqBytes(12), "does not match packet length"},
		{"past end", HandshakeHeader{Length: 100, FragmentOffset: 95, FragmentLength: 10}, seqBytes(10), "past end of buffer"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var r Reassembler
			_, ok, v := r.Add(1, tc.h, tc.data)
			if ok || !strings.Contains(v, tc.want) {
				t.Fatalf("ok=%v violation %q, want %q", ok, v, tc.want)
			}
			if r.Buffered() > MaxHandshakeMessage {
				t.Fatalf("buffered %d bytes", r.Buffered())
			}
		})
	}
}

func TestReassemblyCapBoundsMemory(t *testing.T) {
	var r Reassembler
	msg := seqBytes(MaxHandshakeMessage)
	out, viol := feed(&r, 0, msg, []frag{{1, 0, MaxHandshakeMessage / 2}, {2, MaxHandshakeMessage / 2, MaxHandshakeMessage / 2}})
	if len(out) != 1 || len(viol) != 0 || !bytes.Equal(out[0], msg) {
		t.Fatalf("maximum-size message: out=%d viol=%q", len(out), viol)
	}
	if r.Buffered() != MaxHandshakeMessage {
		t.Fatalf("buffered %d", r.Buffered())
	}
	// The buffer is reused, not grown, for the next message.
	small := seqBytes(10)
	out, _ = feed(&r, 1, small, []frag{{3, 0, 5}, {4, 5, 5}})
	if len(out) != 1 || !bytes.Equal(out[0], small) || cap(r.buf) != MaxHandshakeMessage {
		t.Fatalf("second message: out=%d cap=%d", len(out), cap(r.buf))
	}
}
