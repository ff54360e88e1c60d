package engine

import (
	"cmp"
	"math"
	"slices"
	"strings"

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
	// connCost and udpConnCost are what a connection draws: its state, table entry, timers,
	// analyzer shells and content-matching buffers, rounded up from the figures of
	// docs/RELIABILITY.md's "Cheap connections" (a UDP flow carries its first datagram's
	// matching buffer and the QUIC and DTLS analyzers' state).
	connCost    = 1536
	udpConnCost = 3072
)

// memState is the engine's budget, and what its connection shedders keep between calls.
type memState struct {
	b  budget.Budget
	on bool
	// scratch holds the candidates of a shedding scan (kept for the next one unless large).
	scratch []*connState
	// after[k]: a scan of kind k (class, with or without the minimum age) found none; none
	// will be found before the table made this many connections (new connections are the
	// only way to get young ones; stalled ones come from young ones), so the scan is
	// skipped until then; notBefore[k]: a scan with a minimum age found the class's
	// connections all too young, the oldest old enough at this time.
	after     [6]uint64
	notBefore [6]int64
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

// costOf is what a connection of the protocol draws.
func costOf(proto uint8) int64 {
	if proto == 17 {
		return udpConnCost
	}
	return connCost
}

// admit draws a new connection's cost (flow.Config.Admit).
func (e *Engine) admit(proto uint8) bool {
	return e.mem.b.Draw(nil, budget.Connections, costOf(proto))
}

// connRemoved gives a removed connection's cost back.
func (e *Engine) connRemoved(cs *connState) {
	e.mem.b.Release(nil, budget.Connections, costOf(cs.Proto()))
}

// What a connection is to the shedders.
const (
	keep    = iota // confirmed by an analyzer, or being processed now: never shed
	young          // half-open TCP, or UDP/ICMP, no analyzer confirmed
	stalled        // TCP past its handshake (or with payload), no analyzer confirmed
)

func (e *Engine) classOf(cs *connState) int {
	if cs.service != 0 || e.busy(cs) {
		return keep
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

// minShedAge is the age (µs of network time) a connection must have reached before it is
// shed, unless nothing older is left: an honest handshake completes well within it, so a
// flood's connections go before a connection that has just started.
const minShedAge = 1_000_000

// busy reports whether the current packet is cs's, or cs is one of the tunnels the packet
// came through: its processing is under way, it must not be removed under it.
func (e *Engine) busy(cs *connState) bool {
	if e.res.Conn == &cs.Conn {
		return true
	}
	for d := range e.tun.depth {
		if e.tun.stack[d].uid == cs.Info.UID {
			return true
		}
	}
	return false
}

// shedYoung sheds half-open TCP connections and unconfirmed UDP flows older than
// minShedAge, oldest first (budget.Budget.Flows).
func (e *Engine) shedYoung(need int64) int64 { return e.shedConns(young, need, minShedAge) }

// shedStalled sheds TCP connections past their handshake that no analyzer confirmed,
// older than minShedAge, oldest first (budget.Budget.Stalled); when that is not enough,
// as a last resort, the young and then the stalled connections of any age.
func (e *Engine) shedStalled(need int64) int64 {
	freed := e.shedConns(stalled, need, minShedAge)
	if freed < need {
		freed += e.shedConns(young, need-freed, 0)
	}
	if freed < need {
		freed += e.shedConns(stalled, need-freed, 0)
	}
	return freed
}

// shedConns removes connections of class want, oldest first, as if they had timed out
// (their conn.log rows are written now): at least need bytes' worth and at least an eighth
// of the class, so that the scan of the table it takes is paid for by the connections it
// makes room for (a flood makes the budget short at every new connection).
func (e *Engine) shedConns(want int, need, minAge int64) int64 {
	m := &e.mem
	made := e.table.Stats().Connections
	k := want*2 + int(min(minAge, 1)) // scan kind, for the skip below
	if made < m.after[k] || e.now < m.notBefore[k] {
		return 0
	}
	cands := m.scratch[:0]
	born := e.now - minAge
	oldest := int64(math.MaxInt64) // of the class, of any age
	e.table.Each(func(c *flow.Conn) {
		if cs := stateOf(c); e.classOf(cs) == want {
			oldest = min(oldest, cs.Info.StartTs)
			if cs.Info.StartTs <= born {
				cands = append(cands, cs)
			}
		}
	})
	if len(cands) == 0 {
		if oldest == math.MaxInt64 {
			m.after[k] = made + uint64(e.table.Len()/8) + 1
		} else {
			m.notBefore[k] = oldest + minAge // none is old enough before then
		}
		return 0
	}
	slices.SortFunc(cands, func(a, b *connState) int {
		if c := cmp.Compare(a.Info.StartTs, b.Info.StartTs); c != 0 {
			return c
		}
		return strings.Compare(a.Info.UID, b.Info.UID)
	})
	before := m.b.Used()
	batch := max(len(cands)/8, 1)
	for i, cs := range cands {
		if i >= batch && before-m.b.Used() >= need {
			break
		}
		e.capReport(&cs.Info, capMemory, weirdMemoryBudget, "shed connections", false)
		e.table.Evict(&cs.Conn, e.now)
	}
	clear(cands)
	if cap(cands) > 1<<16 {
		cands = nil
	}
	m.scratch = cands[:0]
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
