package engine

import "github.com/tlsmon/tlsmon"

// merger is a Split run's one serial part: it owns the Merged sink (called only on the
// merger's goroutine) and merges the shards' chunks of items by Order (a k-way merge). An
// item of Order o from one shard goes out once every other shard either has an item queued
// with a greater Order, or has handed over a chunk saying that all its later items are past
// o.Frame, or is done: the rule the turns apply to events (shards.go), applied to the few
// items, after the fact, so that no shard waits for another.
//
// The shards not yet done are kept in a binary heap by their key: the Order of the item
// they have queued or, with none queued, their progress (Order{Frame: frame}, at or below
// every item they may still put). The least key decides: an item goes out; a progress means
// that shard's next chunk is needed before anything else can go, and the merger reads (or
// waits for) it; an item and a progress of one Order: the progress first (the item goes out
// only once every other shard is known to be past it). So an item costs a sift of the heap
// (a compare or two per level: one with two shards), and a shard's channel is read only
// when the merge needs it (with 8 shards, the linear scans and polls of every shard on
// every item cost more than the rest of the merger: docs/PERFORMANCE.md, "merger").
type merger struct {
	sink  Merged
	boxes []*Outbox // the shards' outboxes: their out and free channels
	heads []mergeHead
	heap  []*mergeHead // the shards not done, least key first
}

// mergeHead is what the merger holds of one shard: the chunk it is reading and the progress
// the shard last reported.
type mergeHead struct {
	s     int    // the shard
	c     *chunk // being read, or nil
	pos   int    // next item of c
	frame uint64 // every item not yet received has an Order.Frame of at least frame
	done  bool   // the shard sends nothing more
	// progress is Order{Frame: frame}: below every item not yet received
	progress Order
	key      *Order // the next item's Order, or &progress with none queued
}

func newMerger(sink Merged, boxes []*Outbox) *merger {
	m := &merger{sink: sink, boxes: boxes, heads: make([]mergeHead, len(boxes))}
	for s := range m.heads {
		h := &m.heads[s]
		h.s, h.key = s, &h.progress
		m.heap = append(m.heap, h) // every key Order{}: in shard order, a heap
	}
	return m
}

// has reports whether h's shard has an item queued.
func (h *mergeHead) has() bool { return h.c != nil && h.pos < len(h.c.items) }

// run merges until every shard is done.
func (m *merger) run() {
	for len(m.heap) > 0 {
		h := m.heap[0]
		if h.has() {
			m.emit(h.c, &h.c.items[h.pos])
			m.next(h)
		} else { // its progress is the least key: its next chunk comes before anything
			m.take(h, <-m.boxes[h.s].out)
		}
		if h.done && !h.has() {
			m.pop()
		} else {
			m.down(0)
		}
	}
}

// less orders two shards' heads by their keys; on a tie a progress comes before an item
// (its shard may still put an item of that Order), then the lower-numbered shard (two
// shards' items of one Order cannot happen, order.go; were it to, as with the turns). Keys
// of different frames, the common case, are compared inline.
func less(a, b *mergeHead) bool {
	if a.key.Frame != b.key.Frame {
		return a.key.Frame < b.key.Frame
	}
	return lessSameFrame(a, b)
}

func lessSameFrame(a, b *mergeHead) bool {
	if c := a.key.Compare(b.key); c != 0 {
		return c < 0
	}
	if ia, ib := a.has(), b.has(); ia != ib {
		return ib
	}
	return a.s < b.s
}

// down restores the heap below position i after the key there grew. A sift of its own,
// not container/heap: heap.Fix's Less and Swap through an interface made the merger
// 20-30 % slower (BenchmarkMerger: 2 shards 43 against 55 M items/s, 8 shards 16.5
// against 23-25 M, 16 shards 10.6 against 13-14 M).
func (m *merger) down(i int) {
	hp := m.heap
	for {
		l := 2*i + 1
		if l >= len(hp) {
			return
		}
		c := l
		if r := l + 1; r < len(hp) && less(hp[r], hp[l]) {
			c = r
		}
		if !less(hp[c], hp[i]) {
			return
		}
		hp[i], hp[c] = hp[c], hp[i]
		i = c
	}
}

// pop removes the heap's first head (its shard done, nothing queued).
func (m *merger) pop() {
	n := len(m.heap) - 1
	m.heap[0] = m.heap[n]
	m.heap = m.heap[:n]
	m.down(0)
}

// next moves past h's item just emitted; a chunk read to its end goes back to its shard at
// once.
func (m *merger) next(h *mergeHead) {
	if h.pos++; h.pos < len(h.c.items) {
		h.key = &h.c.items[h.pos].order
		return
	}
	m.boxes[h.s].free <- h.c // never blocks: the shard has at most inFlight
	h.c, h.key = nil, &h.progress
}

// take makes c the chunk read of h's shard, whose chunk before has been read to its end; a
// chunk without items (the shard's progress alone) goes back at once.
func (m *merger) take(h *mergeHead, c *chunk) {
	h.c, h.pos, h.frame, h.done = c, 0, c.frame, c.done
	h.progress = Order{Frame: c.frame}
	if len(c.items) == 0 {
		m.boxes[h.s].free <- c
		h.c, h.key = nil, &h.progress
		return
	}
	h.key = &c.items[0].order
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
