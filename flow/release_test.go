package flow

import "testing"

// relHooks records removals and releases in order.
type relHooks struct {
	log     []string
	removed map[*Conn]bool
}

func (h *relHooks) Removed(c *Conn, ts int64) {
	h.removed[c] = true
	h.log = append(h.log, "removed "+c.Info.UID)
}
func (h *relHooks) Weird(c *Conn, name string) {}
func (h *relHooks) Released(c *Conn) {
	if !h.removed[c] {
		panic("released before removed")
	}
	h.log = append(h.log, "released "+c.Info.UID)
}

// TestReleaseAfterTimers checks the Releaser contract (connections allocated by the
// caller): a removed connection is released exactly once, and only when no pending timer
// refers to it any more.
func TestReleaseAfterTimers(t *testing.T) {
	h := &relHooks{removed: map[*Conn]bool{}}
	tb := NewTable(Config{NewConn: func() *Conn { return new(Conn) }}, h)
	c := run(t, tb, 6, []pk{
		{true, 40000, 443, S, 1000, 0, 0, 1},
		{false, 443, 40000, SA, 5000, 1001, 0, 2},
		{true, 40000, 443, A, 1001, 5001, 0, 3},
		{true, 40000, 443, F, 1001, 5001, 0, 4},
		{false, 443, 40000, F, 5001, 1002, 0, 5},
		{true, 40000, 443, A, 1002, 5002, 0, 6},
	})
	uid := c.Info.UID
	if c.timers == 0 {
		t.Fatal("no timer pending after the handshake")
	}
	// The delete timer (tcp_close_delay) removes the connection; its inactivity timer is
	// still pending, so it must not be released yet.
	tb.Advance(6 + 10*sec)
	if !h.removed[c] {
		t.Fatalf("connection not removed after the close delay: %v", h.log)
	}
	if len(h.log) != 1 {
		t.Fatalf("released while a timer still points to it: %v", h.log)
	}
	tb.Advance(6 + 3600*sec)
	if want := []string{"removed " + uid, "released " + uid}; len(h.log) != 2 || h.log[1] != want[1] {
		t.Fatalf("log %v, want %v", h.log, want)
	}
	tb.Advance(6 + 7200*sec)
	if len(h.log) != 2 {
		t.Fatalf("released twice: %v", h.log)
	}
}

// TestReleaseWithoutTimers checks that a connection removed with no timer pending is
// released at once (after Removed).
func TestReleaseWithoutTimers(t *testing.T) {
	h := &relHooks{removed: map[*Conn]bool{}}
	tb := NewTable(Config{NewConn: func() *Conn { return new(Conn) }}, h)
	c := run(t, tb, 17, []pk{{true, 40000, 50000, 0, 0, 0, 10, 1}})
	tb.Advance(1 + 120*sec) // the UDP inactivity timer fires and removes it
	if len(h.log) != 2 || h.log[0] != "removed "+c.Info.UID || h.log[1] != "released "+c.Info.UID {
		t.Fatalf("log %v", h.log)
	}
}

// TestEvictDropsTimers: evicted connections are removed at once and, once enough were
// evicted, their pending timers are dropped from the heap so that they are released
// (rather than kept in memory until the timers fire); the survivors' timers stay.
func TestEvictDropsTimers(t *testing.T) {
	h := &relHooks{removed: map[*Conn]bool{}}
	tb := NewTable(Config{NewConn: func() *Conn { return new(Conn) }}, h)
	const n = 3000
	conns := make([]*Conn, n)
	for i := range conns {
		conns[i] = run(t, tb, 6, []pk{{true, uint16(1000 + i), 443, S, 1000, 0, 0, int64(1 + i)}})
	}
	timers := len(tb.timers)
	for _, c := range conns[:n-1] {
		tb.Evict(c, n)
	}
	if tb.Len() != 1 || !h.removed[conns[0]] || h.removed[conns[n-1]] {
		t.Fatalf("%d connections left", tb.Len())
	}
	var released int
	for _, l := range h.log {
		if len(l) > 9 && l[:9] == "released " {
			released++
		}
	}
	if released < n/2 || len(tb.timers) > timers-released {
		t.Fatalf("%d released, %d timers left of %d", released, len(tb.timers), timers)
	}
	// the survivor's timers still fire: it goes at its inactivity timeout
	tb.Advance(n + 3600*sec)
	if !h.removed[conns[n-1]] || tb.Len() != 0 {
		t.Fatal("the survivor's timers were lost")
	}
}
