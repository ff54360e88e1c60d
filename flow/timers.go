package flow

import "container/heap"

type timerKind uint8

const (
	timerInactivity timerKind = iota
	timerAttempt
	timerDelete
	timerExpire
	timerDNS
)

type timer struct {
	at   int64
	seq  uint64 // insertion order breaks ties, as Zeek's timer queue does
	c    *Conn
	kind timerKind
}

type timerHeap []timer

func (h timerHeap) Len() int { return len(h) }
func (h timerHeap) Less(i, j int) bool {
	if h[i].at != h[j].at {
		return h[i].at < h[j].at
	}
	return h[i].seq < h[j].seq
}
func (h timerHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *timerHeap) Push(x any)   { *h = append(*h, x.(timer)) }
func (h *timerHeap) Pop() any {
	old := *h
	n := len(old)
	x := old[n-1]
	old[n-1] = timer{}
	*h = old[:n-1]
	return x
}

func (t *Table) schedule(c *Conn, at int64, k timerKind) {
	t.tseq++
	heap.Push(&t.timers, timer{at: at, seq: t.tseq, c: c, kind: k})
}

// setInactivity sets the connection's inactivity timeout (Zeek's SetInactivityTimeout). One
// timer entry is kept per connection: when it fires before the (possibly extended) deadline
// it re-arms itself at lastTs+timeout, so packets never touch the heap.
func (c *Conn) setInactivity(d int64, t *Table) {
	if d == c.timeout {
		return
	}
	c.timeout = d
	if d > 0 && !c.inactArmed {
		c.inactArmed = true
		t.schedule(c, c.lastTs+d, timerInactivity)
	}
}

// Advance fires every timer due at or before now (packet time), before the packet at now is
// processed, as Zeek advances its timer manager with network time.
func (t *Table) Advance(now int64) {
	t.now = now
	for len(t.timers) > 0 && t.timers[0].at <= now {
		tm := heap.Pop(&t.timers).(timer)
		c := tm.c
		if c.removed {
			continue
		}
		t.fire(c, tm, now)
	}
}

func (t *Table) fire(c *Conn, tm timer, now int64) {
	switch tm.kind {
	case timerInactivity:
		if c.timeout <= 0 {
			c.inactArmed = false
			return
		}
		if c.lastTs+c.timeout <= now {
			t.remove(c, now)
			return
		}
		t.schedule(c, c.lastTs+c.timeout, timerInactivity)
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
		c.expireArmed = false
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
		c.expireArmed = true
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
