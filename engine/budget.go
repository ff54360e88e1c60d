package engine

import (
	"github.com/tlsmon/tlsmon"
	"github.com/tlsmon/tlsmon/budget"
	"github.com/tlsmon/tlsmon/flow"
)

// The memory budget of an engine (docs/RELIABILITY.md, "Memory budget"): Options.MaxMemory
// (one shard's share of it under Workers) bounds what the engine's growing state draws —
// connections (connCost each), TCP out-of-order bytes, IP fragments, SSL record buffers —
// and the budget sheds by its policy (package budget) when a draw would go over. Each shed
// and each refused draw is a cap hit: the weird memory_budget (source tlsmon), sampled like
// the other cap weirds (capweird.go), addl saying what was shed or refused.
const (
	weirdMemoryBudget = "memory_budget"
	capMemory         = "memory_budget"
	// DefaultMaxMemory is Options.MaxMemory's default (1 GiB).
	DefaultMaxMemory = 1 << 30
	// accountedShare is the share of MaxMemory the budget's accounts may hold: the rest is
	// left to what is not drawn (the Go runtime, garbage not yet collected, log buffers,
	// handshake messages within their 1 MiB cap, free lists). The command also sets the Go
	// runtime's soft memory limit to MaxMemory (cmd/tlsmon).
	accountedShareNum, accountedShareDen = 1, 2
	// connCost is what a connection draws: its state, table entry, timers, analyzer shells
	// and content-matching buffer, rounded up from docs/RELIABILITY.md's "Cheap connections".
	connCost = 1536
)

// shedEntry is a connection that may be shed, identified by its uid (its connState may be
// reused by a later connection).
type shedEntry struct {
	cs  *connState
	uid string
}

// shedQueue is a queue of connections, oldest first (from head).
type shedQueue struct {
	q    []shedEntry
	head int
}

func (q *shedQueue) push(x shedEntry) { q.q = append(q.q, x) }

// pop takes the oldest entry; ok false when the queue is empty.
func (q *shedQueue) pop() (x shedEntry, ok bool) {
	if q.head == len(q.q) {
		return x, false
	}
	x = q.q[q.head]
	q.q[q.head] = shedEntry{}
	q.head++
	if q.head > 1024 && q.head*2 > len(q.q) {
		n := copy(q.q, q.q[q.head:])
		clear(q.q[n:])
		q.q, q.head = q.q[:n], 0
	}
	return x, true
}

// memState is the engine's budget and the connections it may shed: young (half-open TCP
// connections, UDP flows and ICMP, none confirmed) and stalled (TCP connections that got
// past their handshake with no analyzer confirmed).
type memState struct {
	b              budget.Budget
	on             bool
	young, stalled shedQueue
}

// initBudget sets the engine's budget up (opts.MaxMemory: 0 the default, < 0 none).
func (e *Engine) initBudget(max int64) {
	if max < 0 {
		return
	}
	if max == 0 {
		max = DefaultMaxMemory
	}
	m := &e.mem
	m.on = true
	m.b.Max = max / accountedShareDen * accountedShareNum
	m.b.Report = e.budgetReport
	m.b.Fragments = e.shedFragments
	m.b.Flows = e.shedYoung
	m.b.Stalled = e.shedStalled
}

// memBudget is the engine's budget, nil when there is none.
func (e *Engine) memBudget() *budget.Budget {
	if !e.mem.on {
		return nil
	}
	return &e.mem.b
}

// budgetReport writes the weird of a shed holder or a refused draw.
func (e *Engine) budgetReport(c *tlsmon.Conn, a budget.Account, shed bool) {
	what := "refused "
	if shed {
		what = "shed "
	}
	e.capReport(c, capMemory, weirdMemoryBudget, what+a.String(), false)
}

// admit draws a new connection's cost (flow.Config.Admit).
func (e *Engine) admit() bool { return e.mem.b.Draw(nil, budget.Connections, connCost) }

// connRemoved gives a removed connection's cost back.
func (e *Engine) connRemoved() { e.mem.b.Release(nil, budget.Connections, connCost) }

// Where a queued connection stands.
const (
	gone    = iota // removed, reused or confirmed: never shed
	young          // half-open TCP, or UDP/ICMP with no analyzer confirmed
	stalled        // TCP past its handshake (or with payload), no analyzer confirmed
)

func (x shedEntry) class() int {
	cs := x.cs
	if cs.Removed() || cs.Info.UID != x.uid || cs.service != 0 {
		return gone
	}
	if cs.Proto() != 6 {
		return young
	}
	established := cs.Endpoint(0).State == flow.TCPEstablished && cs.Endpoint(1).State == flow.TCPEstablished
	if !established && cs.r[0].Next() <= 1 && cs.r[1].Next() <= 1 {
		return young
	}
	return stalled
}

// connStarted queues a new connection, and looks at the oldest entries of each queue so
// that the queues stay within about twice the connections that can be shed whatever the
// churn: those gone leave, young ones that stalled move to the stalled queue, the others
// go to the end of theirs.
func (e *Engine) connStarted(cs *connState) {
	m := &e.mem
	for range 2 {
		if x, ok := m.young.pop(); ok {
			switch x.class() {
			case young:
				m.young.push(x)
			case stalled:
				m.stalled.push(x)
			}
		}
	}
	if x, ok := m.stalled.pop(); ok && x.class() == stalled {
		m.stalled.push(x)
	}
	m.young.push(shedEntry{cs, cs.Info.UID})
}

// shedYoung sheds half-open TCP connections and unconfirmed UDP flows, oldest first
// (budget.Budget.Flows).
func (e *Engine) shedYoung(need int64) int64 { return e.shedConns(&e.mem.young, young, need) }

// shedStalled sheds TCP connections past their handshake that no analyzer confirmed,
// oldest first (budget.Budget.Stalled).
func (e *Engine) shedStalled(need int64) int64 {
	// The budget calls it only when shedYoung could not free enough, that is after
	// shedYoung emptied the young queue, moving the connections that stalled here.
	return e.shedConns(&e.mem.stalled, stalled, need)
}

// shedConns removes the connections of q in class want, oldest first, until need bytes were
// released, as if they had timed out (their conn.log rows are written now); entries gone
// leave the queue, those of another class go to the queue they belong in.
func (e *Engine) shedConns(q *shedQueue, want int, need int64) int64 {
	m := &e.mem
	before := m.b.Used()
	var cur []shedEntry
	for before-m.b.Used() < need {
		x, ok := q.pop()
		if !ok {
			break
		}
		switch c := x.class(); {
		case c == gone:
			continue
		case c != want:
			m.stalled.push(x) // a young connection that stalled (stalled ones never become young)
			continue
		case x.cs == e.cur:
			cur = append(cur, x) // its packet is being processed: not now
			continue
		}
		e.capReport(&x.cs.Info, capMemory, weirdMemoryBudget, "shed connections", false)
		e.table.Evict(&x.cs.Conn, e.now)
	}
	for _, x := range cur {
		q.push(x)
	}
	return before - m.b.Used()
}

// shedFragments drops never-completed IP datagrams, oldest first (budget.Budget.Fragments).
func (e *Engine) shedFragments(need int64) int64 {
	n := e.dec.Stats().FragShed
	freed := e.dec.ShedFragments(need)
	for n2 := e.dec.Stats().FragShed; n < n2; n++ {
		e.capReport(nil, capMemory, weirdMemoryBudget, "shed fragments", false)
	}
	return freed
}

// MemoryStats returns the memory budget's counters (zero when there is none).
func (e *Engine) MemoryStats() budget.Stats { return e.mem.b.Stats() }
