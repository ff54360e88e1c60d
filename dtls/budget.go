package dtls

import (
	"strconv"
	"sync/atomic"

	"github.com/tlsmon/tlsmon"
	"github.com/tlsmon/tlsmon/budget"
)

// Default caps on the memory held for handshake fragment reassembly.
const (
	// DefaultMaxConnBuffered caps the reassembly buffers of one connection (both
	// directions). A single message may already be up to MaxHandshakeMessage bytes.
	DefaultMaxConnBuffered = 128 << 10
	// DefaultMaxBuffered caps the reassembly buffers of all connections of one Spec.
	DefaultMaxBuffered = 64 << 20
)

// Weirds raised when a reassembly buffer would exceed a cap; the fragment is dropped and
// the message is not reassembled.
const (
	WeirdConnBufferLimit   = "DTLS_fragment_buffer_conn_limit"
	WeirdGlobalBufferLimit = "DTLS_fragment_buffer_global_limit"
	// weirdMemoryBudget: the engine's memory budget (ssl.Config.Budget) refused the buffer.
	weirdMemoryBudget = "memory_budget"
)

// Budget bounds the bytes held by fragment reassembly over all the connections that share
// it (every connection of one Spec), and counts how often a cap was hit. It is safe for
// concurrent use.
type Budget struct {
	limit      int64
	used       atomic.Int64
	peak       atomic.Int64
	connHits   atomic.Uint64
	globalHits atomic.Uint64
}

// NewBudget returns a budget of limit bytes (≤ 0: DefaultMaxBuffered).
func NewBudget(limit int64) *Budget {
	if limit <= 0 {
		limit = DefaultMaxBuffered
	}
	return &Budget{limit: limit}
}

// BudgetStats is a snapshot of a Budget.
type BudgetStats struct {
	Limit           int64  // the global cap, bytes
	Used            int64  // bytes held now
	Peak            int64  // most bytes held at once
	ConnLimitHits   uint64 // fragments dropped by a per-connection cap
	GlobalLimitHits uint64 // fragments dropped by the global cap
}

// Stats returns the budget's current figures.
func (b *Budget) Stats() BudgetStats {
	return BudgetStats{Limit: b.limit, Used: b.used.Load(), Peak: b.peak.Load(),
		ConnLimitHits: b.connHits.Load(), GlobalLimitHits: b.globalHits.Load()}
}

// reserve takes n bytes from the budget, or reports false when that would pass its limit.
func (b *Budget) reserve(n int64) bool {
	for {
		u := b.used.Load()
		if u+n > b.limit {
			return false
		}
		if b.used.CompareAndSwap(u, u+n) {
			for p := b.peak.Load(); u+n > p && !b.peak.CompareAndSwap(p, u+n); p = b.peak.Load() {
			}
			return true
		}
	}
}

func (b *Budget) release(n int64) { b.used.Add(-n) }

// memAccount is one connection's share: the bytes its reassemblers hold, its own cap, and
// the shared budget (nil: no global cap). A refused reservation leaves a pending weird for
// the analyzer to raise.
type memAccount struct {
	held    int
	max     int
	budget  *Budget
	memory  *budget.Budget // the engine's memory budget (ssl.Shared.Budget), nil: none
	hit     string         // weird to raise, "" for none
	hitSize int            // the buffer size that was refused
}

// grow asks for the buffer held by one reassembler to go from oldCap to newCap bytes.
func (m *memAccount) grow(oldCap, newCap int) bool {
	n := newCap - oldCap
	if m.held+n > m.max {
		m.refuse(WeirdConnBufferLimit, newCap)
		if m.budget != nil {
			m.budget.connHits.Add(1)
		}
		return false
	}
	if m.budget != nil && !m.budget.reserve(int64(n)) {
		m.refuse(WeirdGlobalBufferLimit, newCap)
		m.budget.globalHits.Add(1)
		return false
	}
	if !m.memory.DrawQuiet(budget.DTLS, int64(n)) {
		if m.budget != nil {
			m.budget.release(int64(n))
		}
		m.refuse(weirdMemoryBudget, newCap)
		return false
	}
	m.held += n
	return true
}

func (m *memAccount) refuse(weird string, size int) {
	m.hit, m.hitSize = weird, size
}

// free returns n bytes a reassembler no longer holds.
func (m *memAccount) free(n int) {
	m.held -= n
	if m.budget != nil {
		m.budget.release(int64(n))
	}
	m.memory.Release(nil, budget.DTLS, int64(n))
}

// weird returns the pending cap weird, if any, and clears it.
func (m *memAccount) weird(ts int64, conn *tlsmon.Conn, dst *tlsmon.Weird) bool {
	if m.hit == "" {
		return false
	}
	*dst = tlsmon.Weird{Meta: tlsmon.Meta{Ts: ts, Conn: conn}, WeirdName: m.hit, Addl: strconv.Itoa(m.hitSize),
		Source: AnalyzerName}
	if m.hit == weirdMemoryBudget { // the engine's cap, named as its other memory_budget weirds
		dst.Addl, dst.Source = "refused dtls", "tlsmon"
	}
	m.hit = ""
	return true
}
