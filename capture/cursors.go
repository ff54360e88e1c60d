package capture

import (
	"math"
	"os"
	"sync/atomic"
)

// Cursors is implemented by readers whose whole input several goroutines can each read at
// once, each with a reader of its own (OpenMapped's: one cursor per goroutine over the one
// mapping). A sharded run whose shards route every frame themselves reads the file this
// way, so that no frame is read on one core and processed on another.
type Cursors interface {
	Reader
	// Cursors returns n readers, each handing out every frame from where the reader stands
	// (same frames, numbers and errors as the reader itself would), for use by one
	// goroutine each; ok is false when the reader cannot. Each must be closed (its hold on
	// the mapping's pages is then released); the reader itself is closed after them and
	// is not read meanwhile.
	Cursors(n int) (cs []Reader, ok bool)
}

// cursorsStep is how much the cursors drop from the mapping at once: more than a single
// reader's mappedStep, since each drop interrupts every other core running one of them (to
// flush their TLBs), which showed in profiles of two cursors (docs/PERFORMANCE.md,
// "selfroute").
const cursorsStep = 8 << 20

// cursorGroup is what the cursors of one mapping share: the pages behind the slowest of
// them are dropped from the mapping (never those another cursor may still read), and the
// progress position is the slowest one's.
type cursorGroup struct {
	m       []byte
	pos     *atomic.Int64
	at      []cursorAt
	dropped atomic.Int64 // bytes at the start of m dropped from the mapping
}

// cursorAt is a cursor's offset (math.MaxInt64 once closed), alone in its cache line.
type cursorAt struct {
	off atomic.Int64
	_   [56]byte
}

// Cursors implements Cursors: the cursors are copies of the reader at its position, each
// with its own record count and sticky error, sharing the mapping and its release.
func (r *mappedPcap) Cursors(n int) ([]Reader, bool) {
	if r.closed || r.group != nil || n < 1 {
		return nil, false
	}
	g := &cursorGroup{m: r.m, pos: r.pos, at: make([]cursorAt, n)}
	g.dropped.Store(int64(r.dropped))
	cs := make([]Reader, n)
	for k := range cs {
		pr := *r.pcapReader
		c := &mappedPcap{pcapReader: &pr, m: r.m, off: r.off, dropped: r.dropped, touched: r.touched,
			touch: r.touch, fast: r.fast, posAt: r.off, group: g, slot: k}
		g.at[k].off.Store(int64(r.off))
		cs[k] = c
	}
	return cs, true
}

// advance records that cursor slot has read up to off, and drops the pages far behind the
// slowest cursor (one cursor drops each range: the one that moves dropped on).
func (g *cursorGroup) advance(slot, off int) {
	g.at[slot].off.Store(int64(off))
	low := int64(math.MaxInt64)
	for k := range g.at {
		low = min(low, g.at[k].off.Load())
	}
	low = min(low, int64(len(g.m)))
	if g.pos != nil {
		for at := g.pos.Load(); at < low && !g.pos.CompareAndSwap(at, low); at = g.pos.Load() {
		}
	}
	upTo := (low - mappedKeep) &^ int64(pageSize-1)
	if d := g.dropped.Load(); upTo-d >= cursorsStep && g.dropped.CompareAndSwap(d, upTo) {
		dropPages(g.m[d:upTo])
	}
}

// closeCursor is a cursor's Close: it no longer holds the pages back (the mapping stays,
// the reader it came from unmaps it).
func (r *mappedPcap) closeCursor() {
	r.closed = true
	r.group.advance(r.slot, math.MaxInt)
	r.m, r.fast = nil, false
	if r.err == nil {
		r.err = &Error{File: r.name, Packet: r.num, Err: os.ErrClosed}
	}
}
