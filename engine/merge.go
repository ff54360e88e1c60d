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
	done  bool   // the shard sends nothing more
}

func newMerger(sink Merged, boxes []*Outbox) *merger {
	return &merger{sink: sink, boxes: boxes, heads: make([]mergeHead, len(boxes))}
}

// has reports whether shard s has an item queued.
func (h *mergeHead) has() bool { return h.c != nil && h.pos < len(h.c.items) }

// run merges until every shard is done.
func (m *merger) run() {
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
			if h := &m.heads[s]; h.has() && (best < 0 || h.c.items[h.pos].order.Compare(&m.heads[best].c.items[m.heads[best].pos].order) < 0) {
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
		// The bound: the least Order another shard may still put ahead of best's items.
		bound := Order{Frame: math.MaxUint64, Phase: math.MaxUint8}
		wait := -1
		for s := range m.heads {
			h := &m.heads[s]
			switch {
			case s == best || (h.done && !h.has()):
			case h.has():
				if o := &h.c.items[h.pos].order; o.Compare(&bound) < 0 {
					bound = *o
				}
			default:
				if o := (Order{Frame: h.frame}); o.Compare(&bound) < 0 {
					bound = o
				}
			}
		}
		h := &m.heads[best]
		if o := &h.c.items[h.pos].order; o.Compare(&bound) >= 0 {
			// A shard with nothing queued is not yet past this frame: wait for it.
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
		for h.has() && h.c.items[h.pos].order.Compare(&bound) < 0 {
			m.emit(h.c, &h.c.items[h.pos])
			h.pos++
		}
	}
}

// take makes c the chunk read of shard s, giving the one before back to the shard.
func (m *merger) take(s int, c *chunk) {
	h := &m.heads[s]
	if h.c != nil {
		m.boxes[s].free <- h.c // never blocks: the shard has at most chunksInFlight
	}
	h.c, h.pos, h.frame, h.done = c, 0, c.frame, c.done
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
