package flow

import (
	"slices"
	"testing"
)

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
	timers := tb.Stats().TimersPending
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
	if released < n/2 || tb.Stats().TimersPending > timers-released {
		t.Fatalf("%d released, %d timers left of %d", released, tb.Stats().TimersPending, timers)
	}
	// the survivor's timers still fire: it goes at its inactivity timeout
	tb.Advance(n + 3600*sec)
	if !h.removed[conns[n-1]] || tb.Len() != 0 {
		t.Fatal("the survivor's timers were lost")
	}
}

// TestClockJumpDropsStaleTimers: when the clock jumps past many deadlines, connections
// removed by their delete timers leave their inactivity and expire timers stale in the same
// fireDue call, which drops them in one pass. The removals come in the same order as when
// every stale entry is popped, and every connection is released once.
func TestClockJumpDropsStaleTimers(t *testing.T) {
	runJump := func(staleDrop int) []string {
		h := &relHooks{removed: map[*Conn]bool{}}
		tb := NewTable(Config{NewConn: func() *Conn { return new(Conn) }}, h)
		tb.staleDrop = staleDrop
		const n = 2000
		for i := range n {
			sp, ts := uint16(1000+i), int64(1+i*1000)
			ps := []pk{{true, sp, 443, S, 1000, 0, 0, ts}}
			switch i % 4 {
			case 0, 1: // closed: the delete timer removes it, its other timers go stale
				ps = append(ps,
					pk{false, 443, sp, SA, 5000, 1001, 0, ts + 1},
					pk{true, sp, 443, A, 1001, 5001, 0, ts + 2},
					pk{true, sp, 443, F, 1001, 5001, 0, ts + 3},
					pk{false, 443, sp, F, 5001, 1002, 0, ts + 4 + int64(i%3)*sec},
					pk{true, sp, 443, A, 1002, 5002, 0, ts + 5 + int64(i%3)*sec})
			case 2: // half closed: the expire timer keeps re-arming
				ps = append(ps,
					pk{false, 443, sp, SA, 5000, 1001, 0, ts + 1},
					pk{true, sp, 443, F, 1001, 5001, 0, ts + 2})
			}
			run(t, tb, 6, ps)
		}
		tb.Advance(3 * 3600 * sec)
		tb.Advance(4 * 3600 * sec) // the stale timers left after the last removal
		if tb.Len() != 0 || tb.Stats().TimersPending != 0 {
			t.Fatalf("%d connections and %d timers left", tb.Len(), tb.Stats().TimersPending)
		}
		return h.log
	}
	popped, dropped := runJump(1<<62), runJump(minStaleDrop)
	removals := func(log []string) (rm []string, released int) {
		seen := map[string]bool{}
		for _, l := range log {
			if l[:8] == "removed " {
				rm = append(rm, l)
			} else if !seen[l] {
				seen[l] = true
				released++
			} else {
				t.Fatalf("%s twice", l)
			}
		}
		return rm, released
	}
	rmP, relP := removals(popped)
	rmD, relD := removals(dropped)
	if len(rmP) != 2000 || relP != 2000 || relD != 2000 || len(rmD) != len(rmP) {
		t.Fatalf("%d/%d removed, %d/%d released", len(rmP), len(rmD), relP, relD)
	}
	for i := range rmP {
		if rmP[i] != rmD[i] {
			t.Fatalf("removal %d: %s with stale timers dropped, %s without", i, rmD[i], rmP[i])
		}
	}
	if slices.Equal(popped, dropped) {
		t.Fatal("no stale timer was dropped (the releases came at the same points)")
	}
}

// TestAttemptTimers: attempt timers wait outside the heap until the next fireDue, which
// drops those of connections both endpoints have spoken on. Unanswered SYNs still go at
// tcp_attempt_delay, in creation order, also when other timers fire in between; answered
// ones stay until their inactivity timeout.
func TestAttemptTimers(t *testing.T) {
	lone := &rmHooks{}
	tb := NewTable(Config{}, lone)
	tb.Advance(1) // no timer pending: Due is MaxInt64 from here
	run(t, tb, 6, []pk{{true, 999, 443, S, 1000, 0, 0, 2}})
	if tb.Advance(2 + 5*sec); len(lone.removed) != 1 {
		t.Fatal("a lone SYN's attempt timer did not remove it")
	}
	h := &rmHooks{}
	tb = NewTable(Config{}, h)
	const n = 300
	var unanswered []string
	for i := range n {
		sp, ts := uint16(1000+i), int64(1+i*10*1000) // 10 ms apart: timers fire between them
		ps := []pk{{true, sp, 443, S, 1000, 0, 0, ts}}
		if i%3 != 0 {
			ps = append(ps, pk{false, 443, sp, SA, 5000, 1001, 0, ts + 1})
			if i%3 == 2 {
				ps = append(ps, pk{true, sp, 443, A, 1001, 5001, 0, ts + 2})
			}
		}
		c := run(t, tb, 6, ps)
		if i%3 == 0 {
			unanswered = append(unanswered, c.Info.UID)
		}
		tb.Advance(ts + 5*sec + 3) // the attempt timer of a connection created 5 s before is due
	}
	tb.Advance(n*10*1000 + 6*sec)
	if !slices.Equal(h.removed, unanswered) {
		t.Fatalf("removed %v, want the unanswered %v", h.removed, unanswered)
	}
	if tb.Len() != n-len(unanswered) {
		t.Fatalf("%d connections left, want %d", tb.Len(), n-len(unanswered))
	}
}
