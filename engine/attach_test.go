package engine

import (
	"testing"

	"github.com/tlsmon/tlsmon/analyzer"
)

// The environment of a removed connection's analyzer is recycled for the next connection,
// and then describes that connection: its Conn, its events (conn.log service) and its slot.
func TestAttachmentRecycled(t *testing.T) {
	h := newHarness(analyzer.Spec{Name: "TEST", TCPPorts: []uint16{9999}}, Limits{})
	var uids []string
	session := func() {
		h.handshake()
		h.tcp(4, true, fPA, 101, 501, "HELLO")
		h.tcp(5, true, fFA, 106, 501, "")
		h.tcp(6, false, fFA, 501, 107, "")
		h.tcp(7, true, fA, 107, 502, "")
		a := h.made[len(h.made)-1]
		if a.env.Partial() {
			t.Fatal("environment reports the full connection as partial")
		}
		uids = append(uids, a.env.Conn.UID)
		h.e.Flush()
	}
	session()
	session()
	if len(h.made) != 2 || len(h.removed) != 2 {
		t.Fatalf("%d analyzers, %d removals; want 2 and 2", len(h.made), len(h.removed))
	}
	a1, a2 := h.made[0], h.made[1]
	if a1.env != a2.env {
		t.Fatalf("second connection's environment not recycled")
	}
	for i, r := range h.removed {
		if uids[i] != r.Conn.UID {
			t.Fatalf("connection %d: environment's connection %s, removed %s", i, uids[i], r.Conn.UID)
		}
	}
	if uids[0] == uids[1] {
		t.Fatalf("both connections have uid %s", uids[0])
	}
	if a2.env.Conn != nil || a2.env.Events != nil {
		t.Fatal("a free attachment keeps its connection")
	}
	for i, r := range h.removed {
		if s := r.Stats.Service; len(s) != 1 || s[0] != "test" {
			t.Fatalf("connection %d: service %v", i, s)
		}
	}
	if h.e.freeAtt == nil || h.e.freeAtt.slot != nil {
		t.Fatal("no free attachment, or one keeping its slot")
	}
}
