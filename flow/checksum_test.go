package flow

import "testing"

// Bad checksums: the connection exists, nothing is counted, the history gets C (originator)
// or c (responder) at the 1st, 10th, 100th... bad checksum of a side, as Zeek's
// ScaledHistoryEntry; the counters go with the connection.
func TestChecksumError(t *testing.T) {
	h := &rmHooks{}
	tb := NewTable(Config{}, h)
	var r Result
	tb.Packet(mk(17, pk{fromA: true, sp: 5000, dp: 53, n: 10, ts: 1}), &r)
	c := r.Conn
	for i := range 10 {
		got, isNew := tb.ChecksumError(mk(17, pk{fromA: true, sp: 5000, dp: 53, n: 10, ts: int64(2 + i)}))
		if got != c || isNew {
			t.Fatalf("bad checksum %d: conn %p new %v, want the existing %p", i, got, isNew, c)
		}
	}
	tb.ChecksumError(mk(17, pk{fromA: false, sp: 53, dp: 5000, n: 10, ts: 20}))
	if got := c.History(); got != "DCCc" {
		t.Errorf("history %q, want DCCc", got)
	}
	if st := c.Stats(); st.OrigPkts != 1 || st.RespPkts != 0 {
		t.Errorf("packets counted: %+v", st)
	}
	// A bad checksum on a new flow creates the connection, with nothing counted.
	n, isNew := tb.ChecksumError(mk(6, pk{fromA: true, sp: 6000, dp: 443, flags: 0x02, ts: 30}))
	if n == nil || !isNew || n.History() != "C" {
		t.Errorf("new connection from a bad checksum: %v %v", n, isNew)
	}
	tb.Flush(40)
	if len(tb.chk) != 0 || len(h.removed) != 2 {
		t.Errorf("after the flush: %d checksum counters left, %d removed", len(tb.chk), len(h.removed))
	}
}
