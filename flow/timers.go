package flow

import "math"

type timerKind uint8

const (
	timerInactivity timerKind = iota
	timerAttempt
	timerDelete
	timerExpire
	timerDNS
)

// Inactivity timeout classes (Conn.timeout): the value is in the table's Config.
const (
	toNone uint8 = iota
	toUDP
	toTCP
	toInteractive
	toICMP
)

// timer is a heap entry. Timers due at the same time fire in the order their connections
// were created (born, from the connection's first frame: docs/SCALING.md), a connection's
// own in insertion order (seqKind: the table's insertion sequence shifted left by 3, or'ed
// with the kind). Zeek breaks every tie by insertion order; the two orders differ only for
// timers of different connections due at the same microsecond and inserted in the reverse
// of their connections' creation, which changed no output on the corpus or perfmix
// (docs/SCALING.md). Unlike the insertion order, this one does not depend on which other
// connections share the table, so it is the same in one engine and in shards. The creation
// key is read from the Conn on ties only (a Conn is not reused while a timer points to it),
// keeping entries at 24 bytes: 32-byte entries cost 19 bytes per connection.
type timer struct {
	at      int64
	seqKind uint64
	c       *Conn
}

func (a *timer) before(b *timer) bool {
	if a.at != b.at {
		return a.at < b.at
	}
	if a.c != b.c {
		if x, y := a.c.born(), b.c.born(); x != y {
			return x < y
		}
	}
	return a.seqKind < b.seqKind
}

// timerHeap is a binary min-heap of timer values (no interface boxing, so pushing does not
// allocate once the slice has grown).
type timerHeap []timer

func (h *timerHeap) push(t timer) {
	*h = append(*h, t)
	s := *h
	i := len(s) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !s[i].before(&s[p]) {
			break
		}
		s[i], s[p] = s[p], s[i]
		i = p
	}
}

// pop removes the earliest timer. It moves the hole left at the root down along the
// earlier child to a leaf, then sifts the last entry up from there (Floyd's bottom-up
// deletion): the last entry usually belongs near the leaves, so this takes about half the
// comparisons of sifting it down from the root.
func (h *timerHeap) pop() timer {
	s := *h
	top := s[0]
	n := len(s) - 1
	last := s[n]
	s[n] = timer{}
	s = s[:n]
	if n > 0 {
		// (Indices compared with len(s), and uint: the compiler then proves them in bounds.)
		i := uint(0)
		for {
			l := 2*i + 1
			if l >= uint(len(s)) {
				break
			}
			if r := l + 1; r < uint(len(s)) && s[r].before(&s[l]) {
				s[i], i = s[r], r
			} else {
				s[i], i = s[l], l
			}
		}
		for i > 0 {
			p := (i - 1) / 2
			if !last.before(&s[p]) {
				break
			}
			s[i] = s[p]
			i = p
		}
		s[i] = last
	}
	if cap(s) > 4096 && n < cap(s)/4 {
		s = append(timerHeap(nil), s...) // give back the memory of a past peak
	}
	*h = s
	return top
}

// dropStaleTimers removes the timers of removed connections from the heap (they would do
// nothing when they fire but release their connection) and releases those connections.
// The heap is rebuilt with the same order (timer.before), so the live timers fire as they
// would have.
func (t *Table) dropStaleTimers() {
	t.pushAttempts()
	t.evicted, t.stale = 0, 0
	s := t.timers
	gone := t.gone[:0]
	n := 0
	for _, tm := range s {
		if tm.c.removed {
			tm.c.timers--
			if tm.c.timers == 0 {
				gone = append(gone, tm.c)
			}
			continue
		}
		s[n] = tm
		n++
	}
	clear(s[n:])
	s = s[:n]
	for i := n/2 - 1; i >= 0; i-- {
		s.down(i)
	}
	t.timers = s
	t.due = math.MaxInt64
	if n > 0 {
		t.due = s[0].at
	}
	for _, c := range gone {
		t.release(c)
	}
	clear(gone)
	t.gone = gone
}

// minStaleDrop is the fewest stale entries fireDue drops at once (Table.staleDrop).
const minStaleDrop = 256

// down moves entry i of the heap down to its place.
func (h timerHeap) down(i int) {
	n := len(h)
	for {
		l := 2*i + 1
		if l >= n {
			return
		}
		m := l
		if r := l + 1; r < n && h[r].before(&h[l]) {
			m = r
		}
		if !h[m].before(&h[i]) {
			return
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
}

// SetFrame sets the index of the frame being processed (the engine numbers frames from 1).
// Connections created from then on take their uid and creation key (which orders timer
// ties) from (frame index, position within the frame) rather than from a table-wide count:
// in one table the order is the same as before. Indices must not decrease; a table never
// told any frame counts uids from 1.
func (t *Table) SetFrame(i uint64) { t.uids.Frame(i) }

// schedule adds a timer for c. A connection has at most one entry of each kind pending
// (the arm* bits of Conn.armed and the re-arm on firing see to it), except the expire
// timer which CloseTCP can schedule once per side: at most 6 in all, counted in c.timers.
func (t *Table) schedule(c *Conn, at int64, k timerKind) {
	t.tseq++
	c.timers++
	t.timers.push(timer{at: at, seqKind: t.tseq<<3 | uint64(k), c: c})
	t.due = min(t.timers[0].at, t.attemptsAt)
}

// scheduleAttempt schedules c's attempt timer (tcp_attempt_delay after its first SYN). The
// entry waits in Table.attempts until the next fireDue: a connection that both endpoints
// have spoken on by then can never be removed by it (an endpoint never returns to
// TCPInactive, whichever is the responder when it fires), so it is dropped unpushed, which
// on perfmix is most of them. The order of the timers that fire is unchanged: the entry
// keeps the creation sequence it would have had.
func (t *Table) scheduleAttempt(c *Conn, at int64) {
	t.tseq++
	c.timers++
	t.attempts = append(t.attempts, timer{at: at, seqKind: t.tseq<<3 | uint64(timerAttempt), c: c})
	t.attemptsAt = min(t.attemptsAt, at)
	t.due = min(t.due, at)
}

// pushAttempts moves the waiting attempt timers into the heap, dropping those that would do
// nothing when they fire (scheduleAttempt) and those of removed connections.
func (t *Table) pushAttempts() {
	if len(t.attempts) == 0 {
		return
	}
	for _, tm := range t.attempts {
		c := tm.c
		if !c.removed && (c.ep[0].State == TCPInactive || c.ep[1].State == TCPInactive) {
			t.timers.push(tm)
			continue
		}
		c.timers--
		if c.removed {
			t.stale--
			t.release(c)
		}
	}
	n := len(t.attempts)
	clear(t.attempts)
	t.attempts = t.attempts[:0]
	if cap(t.attempts) > 4096 && n < cap(t.attempts)/4 {
		t.attempts = nil // give back the memory of a past peak (a SYN flood)
	}
	t.attemptsAt = math.MaxInt64
}

// timeoutOf is the inactivity timeout (µs) of a class; 0 = none.
func (t *Table) timeoutOf(class uint8) int64 {
	switch class {
	case toUDP:
		return t.cfg.UDPInactivity
	case toTCP:
		return t.cfg.TCPInactivity
	case toInteractive:
		return t.cfg.InteractiveInactivity
	case toICMP:
		return t.cfg.ICMPInactivity
	}
	return 0
}

// setInactivity sets the connection's inactivity timeout (Zeek's SetInactivityTimeout). One
// timer entry is kept per connection: when it fires before the (possibly extended) deadline
// it re-arms itself at lastTs+timeout, so packets never touch the heap.
func (c *Conn) setInactivity(class uint8, t *Table) {
	if class == c.timeout {
		return
	}
	c.timeout = class
	if d := t.timeoutOf(class); d > 0 && c.armed&armInact == 0 {
		c.armed |= armInact
		t.schedule(c, c.lastTs+d, timerInactivity)
	}
}

// Advance fires every timer due at or before now (packet time), before the packet at now is
// processed, as Zeek advances its timer manager with network time.
//
// The table's clock is Zeek's network time: it never goes back. A packet older than the
// newest seen does not rewind it, so timers keep firing against the newest time (a
// connection created from such a packet has its inactivity timer in the past already and
// goes at the next packet).
func (t *Table) Advance(now int64) {
	t.now = max(t.now, now)
	if t.due <= t.now {
		t.fireDue()
	}
}

// Due is the deadline of the next timer (math.MaxInt64 if none): Advance to an earlier
// time fires nothing.
func (t *Table) Due() int64 { return t.due }

// fireDue fires the timers due at or before the table's clock (Advance's slow path, kept
// apart so that Advance inlines).
func (t *Table) fireDue() {
	t.pushAttempts()
	now := t.now
	for len(t.timers) > 0 && t.timers[0].at <= now {
		if t.stale >= t.staleDrop && 2*t.stale >= len(t.timers) {
			// Many entries are stale: filtering them out in one pass costs less than popping
			// each. This happens when the clock jumps: a connection removed by its delete
			// timer leaves its inactivity and expire timers to fire in the same call.
			t.dropStaleTimers()
			continue
		}
		tm := t.timers.pop()
		c := tm.c
		c.timers--
		if c.removed {
			t.stale--
			t.release(c)
			continue
		}
		t.cause = Cause{Timer: true, At: tm.at, Born: c.born()}
		t.fire(c, timerKind(tm.seqKind&7), now)
	}
	t.cause = Cause{}
	t.due = t.attemptsAt // MaxInt64 unless a hook scheduled one
	if len(t.timers) > 0 {
		t.due = min(t.due, t.timers[0].at)
	}
}

func (t *Table) fire(c *Conn, kind timerKind, now int64) {
	switch kind {
	case timerInactivity:
		d := t.timeoutOf(c.timeout)
		if d <= 0 {
			c.armed &^= armInact
			return
		}
		if c.lastTs+d <= now {
			t.remove(c, now)
			return
		}
		t.schedule(c, c.lastTs+d, timerInactivity)
	case timerAttempt:
		o, r := &c.ep[c.origSide], &c.ep[c.origSide^1]
		if !t.active(c) {
			return
		}
		if (o.State == TCPSynSent || o.State == TCPSynAckSent) && r.State == TCPInactive {
			t.remove(c, now)
		}
	case timerDelete:
		t.remove(c, now)
	case timerDNS:
		// Zeek's DNS analyzer (attached by port to UDP DNS) removes its connection once it
		// has been idle for dns_session_timeout minus one second, checking every 10 s.
		if now-c.lastTs >= t.cfg.DNSSessionTimeout-sec {
			t.remove(c, now)
			return
		}
		t.schedule(c, now+t.cfg.DNSSessionTimeout, timerDNS)
	case timerExpire:
		c.armed &^= armExpire
		a, b := &c.ep[0], &c.ep[1]
		if c.lastTs+t.cfg.Linger < now {
			if a.didClose || b.didClose {
				if (a.didClose && b.didClose) || a.State == TCPReset || b.State == TCPReset ||
					a.State == TCPInactive || b.State == TCPInactive {
					t.remove(c, now)
					return
				}
			}
		}
		c.armed |= armExpire
		t.schedule(c, now+t.cfg.SessionTimer, timerExpire)
	}
}

// active is Zeek's is_active: false once the connection was reported finished or reset.
func (t *Table) active(c *Conn) bool {
	a, b := &c.ep[0], &c.ep[1]
	if a.State == TCPReset || b.State == TCPReset {
		return false
	}
	return !(a.didClose && b.didClose)
}
