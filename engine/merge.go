package engine

import (
	"math"

	"github.com/tlsmon/tlsmon"
)

// merger is a Split run's one serial part: it owns the Merged sink (called only on the
// merger's goroutine) and merges the shards' chunks of items by Order (a k-way merge). An
// item of Order o from one shard goes out once every other shard either has an item queued
// with a greater Order, or has handed over a chunk saying that all its later items are past
// o.Frame, or is done: the rule the turns apply to events (shards.go), applied to the few
// items, after the fact, so that no shard waits for another.
type merger struct {
	sink  Merged
	boxes []*Outbox // the shards' outboxes: their out and free channels
	heads []mergeHead
}

// mergeHead is what the merger holds of one shard: the chunk it is reading and the progress
// the shard last reported.
type mergeHead struct {
	c     *chunk // being read, or nil
	pos   int    // next item of c
	frame uint64 // every item not yet received has an Order.Frame of at least frame
	// progress is Order{Frame: frame}: below every item not yet received
	progress Order
	done     bool // the shard sends nothing more
}

func newMerger(sink Merged, boxes []*Outbox) *merger {
	return &merger{sink: sink, boxes: boxes, heads: make([]mergeHead, len(boxes))}
}

// has reports whether shard s has an item queued.
func (h *mergeHead) has() bool { return h.c != nil && h.pos < len(h.c.items) }

// run merges until every shard is done.
func (m *merger) run() {
	top := Order{Frame: math.MaxUint64, Phase: math.MaxUint8} // above every item
	for {
		// Take the chunks that have arrived for the shards with nothing queued.
		for s := range m.heads {
			if h := &m.heads[s]; !h.has() && !h.done {
				select {
				case c := <-m.boxes[s].out:
					m.take(s, c)
				default:
				}
			}
		}
		best := -1
		for s := range m.heads {
			if h := &m.heads[s]; h.has() && (best < 0 || orderLess(h.head(), m.heads[best].head())) {
				best = s
			}
		}
		if best < 0 {
			wait := -1
			for s := range m.heads {
				if !m.heads[s].done {
					wait = s
					break
				}
			}
			if wait < 0 {
				return
			}
			m.take(wait, <-m.boxes[wait].out)
			continue
		}
		// The bound: the least Order another shard may still put ahead of best's items (its
		// queued item, or its progress); by: the shard whose queued item it is (-1: none);
		// rest: the least bound of the shards other than best and by.
		bound, rest, by := &top, &top, -1
		for s := range m.heads {
			h := &m.heads[s]
			var o *Order
			switch {
			case s == best || (h.done && !h.has()):
				continue
			case h.has():
				o = h.head()
			default:
				o = &h.progress
			}
			if orderLess(o, bound) {
				rest, bound, by = bound, o, -1
				if h.has() {
					by = s
				}
			} else if orderLess(o, rest) {
				rest = o
			}
		}
		h := &m.heads[best]
		if o := h.head(); !orderLess(o, bound) {
			// A shard with nothing queued is not yet past this frame: wait for it.
			wait := -1
			for s := range m.heads {
				if g := &m.heads[s]; s != best && !g.has() && !g.done && g.frame <= o.Frame {
					wait = s
					break
				}
			}
			if wait >= 0 {
				m.take(wait, <-m.boxes[wait].out)
				continue
			}
			// Two shards' items of one Order cannot happen (order.go); were it to, the
			// lower-numbered shard's goes first, as with the turns.
			m.emit(h.c, &h.c.items[h.pos])
			h.pos++
			continue
		}
		for {
			for h.has() && orderLess(h.head(), bound) {
				m.emit(h.c, &h.c.items[h.pos])
				h.pos++
			}
			// When the bound is shard by's queued item and best's next item comes before
			// every other shard's bound (rest), by's run is next, bounded by best's item: the
			// two shards' runs alternate without the other shards being looked at again
			// (they have not changed).
			if by < 0 || !h.has() || !orderLess(h.head(), rest) {
				break
			}
			bound, best, by = h.head(), by, best
			h = &m.heads[best]
		}
	}
}

// head returns the Order of h's next item (h.has()).
func (h *mergeHead) head() *Order { return &h.c.items[h.pos].order }

// orderLess is a.Compare(b) < 0, with the common case (different frames) inlined.
func orderLess(a, b *Order) bool {
	if a.Frame != b.Frame {
		return a.Frame < b.Frame
	}
	return a.Compare(b) < 0
}

// take makes c the chunk read of shard s, giving the one before back to the shard.
func (m *merger) take(s int, c *chunk) {
	h := &m.heads[s]
	if h.c != nil {
		m.boxes[s].free <- h.c // never blocks: the shard has at most chunksInFlight
	}
	h.c, h.pos, h.frame, h.done = c, 0, c.frame, c.done
	h.progress = Order{Frame: c.frame}
}

// emit hands one item to the sink.
func (m *merger) emit(c *chunk, it *item) {
	switch it.kind {
	case itemLine:
		m.sink.Line(int(it.dest), c.data[it.off:it.end])
	case itemCert:
		ev := &c.certs[it.idx]
		if it.inData {
			ev.DER = c.data[it.off:it.end:it.end]
		}
		ev.Conn = c.conn(it.conn)
		m.sink.Event(ev, c.data[it.xoff:it.xend:it.xend])
	case itemWeird:
		ev := &c.weirds[it.idx]
		ev.Conn = c.conn(it.conn)
		m.sink.Event(ev, c.data[it.xoff:it.xend:it.xend])
	}
}

func (c *chunk) conn(i int32) *tlsmon.Conn {
	if i < 0 {
		return nil
	}
	return &c.conns[i]
}
