package engine

import (
	"bytes"
	"fmt"
	"hash/maphash"
	"io"
	"math"
	"math/bits"

	"github.com/tlsmon/tlsmon"
	"github.com/tlsmon/tlsmon/capture"
)

// Split runs a sharded run's consumers in the shards instead of handing every event to one
// Handler in turns (docs/SCALING.md, "Consumers in the shards"). Each shard's consumer reads
// the shard's events while they are valid and puts into the shard's Outbox what must reach
// the run's serial part: formatted output lines and copies of the few events a serial
// consumer reads. Run's merger goroutine hands those items to Merged in the order one engine
// would have produced them. The shards never wait for one another's output: they wait only
// when the merger is several chunks behind them (backpressure).
type Split struct {
	// Shard makes the consumer of shard s (of Workers, counted from 0), which puts its items into
	// out; Run calls it once per shard before the run starts. The consumer's HandleEvent and
	// End are called on the shard's goroutine only.
	Shard func(s int, out *Outbox) ShardConsumer
	// Merged receives every item, on Run's merger goroutine (with one engine: on the
	// engine's goroutine), one call at a time.
	Merged Merged
}

// ShardConsumer consumes the events of one shard (Split.Shard).
type ShardConsumer interface {
	tlsmon.Handler
	// End is called after the shard's last event (its flush): the items it puts then come
	// after all of the run's other items, shard by shard in shard order.
	End()
}

// Merged is the serial sink of a Split run.
type Merged interface {
	// Line receives a line a shard put for destination dest (Outbox.Line); line is valid
	// only during the call.
	Line(dest int, line []byte)
	// Event receives a copy of an event a shard put (Outbox.Event, StableCertificate) and
	// the bytes put with it (extra; empty if none), valid only during the call and not to be
	// written: a Certificate's DER is its shard's copy of the certificate (derCopies) or the
	// one given to StableCertificate (which stays valid: the sink may keep it), the event
	// and its Conn live in the merger's chunk, the Conn a snapshot taken when the event was
	// put (UID, ID and StartTs as they were then).
	Event(ev tlsmon.Event, extra []byte)
}

// Bounds of a shard's outbox: a chunk is handed to the merger at the end of every batch, or
// sooner when it holds chunkItems items or chunkBytes bytes; at most inFlight(n) chunks of
// a shard exist, after which the shard waits for the merger to give one back.
const (
	chunkItems        = 4096
	chunkBytes        = 256 << 10
	minChunksInFlight = 4
	allChunksInFlight = 32 // of all shards together
)

// inFlight is how many chunks each of n shards may have: how far (in batches) a shard may
// run ahead of the slowest before it waits. The shards' loads differ from batch to batch, so
// a short window has them wait on each other (two workers with 4: one core idle ≈ 22 % of a
// perfmix run). A shard's chunks are smaller when it has more of them (newOutbox), so that
// its lines and items in flight stay within minChunksInFlight chunks' bounds
// (docs/PERFORMANCE.md, "window").
func inFlight(n int) int { return max(minChunksInFlight, allChunksInFlight/max(n, 1)) }

// phaseEnd follows PhaseFlush: the items of ShardConsumer.End (Order.Born is the shard).
const phaseEnd = PhaseFlush + 1

// Outbox is where one shard's consumer puts its items. It belongs to the shard's goroutine:
// items are written into the current chunk without a lock or an atomic, and each chunk is
// handed to the merger whole (a channel operation per chunk). Every item is tagged with the
// shard engine's Order when it is put; items of one Order keep their put order.
type Outbox struct {
	e      *Engine
	id     int
	direct Merged // one engine: items go straight to the sink, in the engine's order
	cur    *chunk
	out    chan *chunk // full chunks, to the merger
	free   chan *chunk // chunks the merger has finished with
	made   int
	// inFlight bounds made: the chunks of this shard (inFlight)
	inFlight int
	ending   bool // ShardConsumer.End is running
	// a chunk is handed over when it holds maxItems items or maxBytes bytes (chunkItems and
	// chunkBytes scaled by newOutbox; tests make them small)
	maxItems, maxBytes int
	ders               derCopies
	stableEv           tlsmon.Certificate // StableCertificate's event, with direct
}

// chunk is a run of one shard's items, owned by the shard until handed to the merger, then
// by the merger until given back. Items refer to data (lines, certificates' DER), certs,
// weirds and conns by index, so that appending may move those buffers.
type chunk struct {
	items  []item
	data   []byte
	certs  []tlsmon.Certificate
	weirds []tlsmon.Weird
	conns  []tlsmon.Conn
	// frame: every later item of the shard has an Order.Frame of at least frame (the
	// shard's progress when it handed the chunk over); done: the shard puts no more items.
	frame uint64
	done  bool
}

type itemKind uint8

const (
	itemLine  itemKind = iota
	itemCert           // certs[idx], its DER a stable copy (derCopies) or in data
	itemWeird          // weirds[idx]
)

type item struct {
	order    Order
	kind     itemKind
	dest     int32 // itemLine
	idx      int32 // itemCert, itemWeird: index in certs or weirds
	conn     int32 // index in conns, or -1
	off, end int32 // itemLine: the line in data; itemCert with inData: the DER
	inData   bool
	// itemCert, itemWeird: the extra bytes put with the event, in data
	xoff, xend int32
}

// newOutbox returns the outbox of shard id of n.
func newOutbox(e *Engine, id, n int) *Outbox {
	k := inFlight(n)
	return &Outbox{e: e, id: id, out: make(chan *chunk, k), free: make(chan *chunk, k), inFlight: k,
		maxItems: chunkItems * minChunksInFlight / k, maxBytes: chunkBytes * minChunksInFlight / k}
}

// Writer returns an io.Writer whose writes are Line(dest, p).
func (o *Outbox) Writer(dest int) io.Writer { return outboxWriter{o, dest} }

type outboxWriter struct {
	o    *Outbox
	dest int
}

func (w outboxWriter) Write(p []byte) (int, error) {
	w.o.Line(w.dest, p)
	return len(p), nil
}

// Line puts output for destination dest: a whole line, or a piece of one. A piece not
// ending in '\n' leaves the line open, and the next Line for the same dest continues it
// (one item, written by one Merged.Line call); a line must be finished during the event
// that starts it. p is copied.
func (o *Outbox) Line(dest int, p []byte) {
	if len(p) == 0 {
		return
	}
	if o.direct != nil {
		o.direct.Line(dest, p)
		return
	}
	c := o.chunk()
	if n := len(c.items); n > 0 {
		last := &c.items[n-1]
		if last.kind == itemLine && int(last.dest) == dest && int(last.end) == len(c.data) && c.data[last.end-1] != '\n' {
			c.data = append(c.data, p...)
			last.end = int32(len(c.data))
			if p[len(p)-1] == '\n' { // the line is whole: the chunk may be full (put's rule)
				o.full(c, last.order.Frame)
			}
			return
		}
	}
	off := len(c.data)
	c.data = append(c.data, p...)
	it := c.add()
	it.kind, it.dest, it.off, it.end, it.conn = itemLine, int32(dest), int32(off), int32(len(c.data)), -1
	o.put(c, it)
}

// Event puts a copy of ev for Merged.Event: a *tlsmon.Certificate (its DER copied) or a
// *tlsmon.Weird; the copy's Conn is a snapshot of ev's. extra (copied) goes with it: what
// the shard computed of the event that the serial side would otherwise compute again (the
// command: a certificate's fingerprint). Any other event type is a programming error (it
// panics).
func (o *Outbox) Event(ev tlsmon.Event, extra []byte) {
	o.event(ev, nil, extra)
}

// StableCertificate is Event of a copy of ev whose DER is der: bytes equal to ev.DER that
// are never written again (zeeklog.Set.CertificateStable's), which Merged.Event then
// receives as they are, neither copied nor compared here.
func (o *Outbox) StableCertificate(ev *tlsmon.Certificate, der, extra []byte) {
	o.event(ev, der, extra)
}

func (o *Outbox) event(ev tlsmon.Event, stable, extra []byte) {
	if o.direct != nil {
		if stable != nil { // the copy the sink may keep
			o.stableEv = *ev.(*tlsmon.Certificate)
			o.stableEv.DER = stable
			ev = &o.stableEv
		}
		o.direct.Event(ev, extra)
		return
	}
	c := o.chunk()
	it := c.add()
	it.conn = -1
	var m *tlsmon.Meta
	switch ev := ev.(type) {
	case *tlsmon.Certificate:
		it.kind, it.idx = itemCert, int32(len(c.certs))
		c.certs = append(c.certs, *ev)
		if stable != nil {
			c.certs[it.idx].DER = stable
		} else if der := o.ders.stable(ev.DER); der != nil {
			c.certs[it.idx].DER = der
		} else { // its first sighting: copied into the chunk
			c.certs[it.idx].DER = nil
			it.off = int32(len(c.data))
			c.data = append(c.data, ev.DER...)
			it.end, it.inData = int32(len(c.data)), true
		}
		m = &c.certs[it.idx].Meta
	case *tlsmon.Weird:
		it.kind, it.idx = itemWeird, int32(len(c.weirds))
		c.weirds = append(c.weirds, *ev) // strings: immutable
		m = &c.weirds[it.idx].Meta
	default:
		panic(fmt.Sprintf("engine: Outbox.Event of a %T", ev))
	}
	if m.Conn != nil {
		it.conn = int32(len(c.conns))
		c.conns = append(c.conns, *m.Conn)
	}
	m.Conn = nil // set by the merger (conns may move)
	it.xoff = int32(len(c.data))
	c.data = append(c.data, extra...)
	it.xend = int32(len(c.data))
	o.put(c, it)
}

// add appends a zero item to c and returns it, to be filled in place: an item built aside
// and copied in was reloaded whole right after its fields' narrower stores, which stalled
// on store forwarding.
func (c *chunk) add() *item {
	c.items = append(c.items, item{})
	return &c.items[len(c.items)-1]
}

// put tags it, c's last item, with the engine's Order; a full chunk is handed over.
func (o *Outbox) put(c *chunk, it *item) {
	if o.ending {
		it.order.Frame, it.order.Phase, it.order.Born = math.MaxUint64, phaseEnd, uint64(o.id)
	} else {
		o.e.orderAt(&it.order)
	}
	if it.kind != itemLine || c.data[it.end-1] == '\n' { // else to be continued in this chunk
		o.full(c, it.order.Frame)
	}
}

// full hands c over if it holds maxItems items or maxBytes bytes; every later item of the
// engine is at frame or after (its last item's Order).
func (o *Outbox) full(c *chunk, frame uint64) {
	if len(c.items) >= o.maxItems || len(c.data) >= o.maxBytes {
		o.send(frame, false)
	}
}

// chunk returns the chunk being filled, taking a free one (or waiting for one) if none is.
func (o *Outbox) chunk() *chunk {
	if o.cur != nil {
		return o.cur
	}
	var c *chunk
	select {
	case c = <-o.free:
	default:
		if o.made < o.inFlight {
			o.made++
			c = o.newChunk()
		} else {
			c = <-o.free // backpressure: the merger is inFlight chunks behind
		}
	}
	c.items, c.data, c.certs, c.weirds, c.conns = c.items[:0], c.data[:0], c.certs[:0], c.weirds[:0], c.conns[:0]
	c.frame, c.done = 0, false
	o.cur = c
	return c
}

// newChunk returns a chunk whose buffers start at a quarter of the bounds, which most
// chunks (a batch's items) stay below, instead of growing through the reallocations append
// makes from empty (docs/PERFORMANCE.md, "merger").
func (o *Outbox) newChunk() *chunk {
	return &chunk{items: make([]item, 0, o.maxItems/4), data: make([]byte, 0, o.maxBytes/4)}
}

// send hands the current chunk (an empty one if none: the shard's progress alone) to the
// merger: every later item of the shard is at frame or after; done: there are none.
func (o *Outbox) send(frame uint64, done bool) {
	if o.direct != nil {
		return
	}
	c := o.chunk()
	c.frame, c.done = frame, done
	o.cur = nil
	o.out <- c
}

// runOneSplit is a Split run on one engine: shard 0's consumer gets every event and its
// items go straight to the sink, in the engine's order.
func runOneSplit(r capture.Reader, opts Options) (Stats, error) {
	box := &Outbox{direct: opts.Split.Merged}
	c := opts.Split.Shard(0, box)
	opts.Handler = c
	e := New(opts)
	box.e = e
	err := e.Run(r)
	c.End()
	return e.Stats(), err
}

// derCopies are one shard's copies of the certificates it has seen more than once: such a
// certificate's item refers to the copy instead of copying it again. A copy is never
// written after it is made, so the merger reads it in place (and its lines stay in both
// cores' caches). A certificate seen for the first time is only remembered (its hash) and
// copied into the chunk: traffic without repetition makes no copies to collect. Why:
// perfmix's 37,455 certificate events are a few hundred distinct certificates; copying each
// into the chunk, then reading it on the merger's core, was most of the cost of handing
// them over (docs/PERFORMANCE.md, "Consumers in the shards").
type derCopies struct {
	seed  maphash.Seed
	m     map[uint64][]byte // by the hash of stable; nil: seen once
	bytes int
}

// Bounds of a shard's derCopies: beyond them it starts over (the copies already handed out
// stay valid: they are only forgotten).
const (
	maxDERCopies    = 4096
	maxDERCopyBytes = 2 << 20
	derCopyKeyEdge  = 64 // bytes hashed at each end of a certificate
)

// stable returns a copy of der that is never written again, or nil at der's first
// sighting.
func (d *derCopies) stable(der []byte) []byte {
	if d.m == nil {
		d.seed, d.m = maphash.MakeSeed(), make(map[uint64][]byte)
	}
	k := uint64(len(der))
	if len(der) <= 2*derCopyKeyEdge {
		k ^= maphash.Bytes(d.seed, der)
	} else {
		k ^= maphash.Bytes(d.seed, der[:derCopyKeyEdge]) ^ bits.RotateLeft64(maphash.Bytes(d.seed, der[len(der)-derCopyKeyEdge:]), 17)
	}
	c, seen := d.m[k]
	if c != nil && bytes.Equal(c, der) {
		return c
	}
	if len(d.m) >= maxDERCopies || d.bytes+len(der) > maxDERCopyBytes {
		clear(d.m)
		d.bytes, seen = 0, false
	}
	if !seen {
		d.m[k] = nil
		return nil
	}
	c = append(make([]byte, 0, len(der)), der...)
	d.m[k] = c // a colliding certificate replaces the other one
	d.bytes += len(c)
	return c
}
