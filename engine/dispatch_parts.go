package engine

import (
	"io"
	"runtime"
	"sync"

	"github.com/tlsmon/tlsmon/capture"
)

// The dispatcher with parallel readers: a mapped pcap (capture.Splitter) is cut into parts
// (capture.Parts) that several walkers read at once, each finding what needs no state of
// its frames' routes (the bucket of TCP over Ethernet: etherHash; a negative timestamp:
// shard 0). A sequencer takes the walkers' batches in file order, verifies that each part
// starts where the previous one ended (else it drops the walker's frames and walks that
// part itself from there; a record out of the ordinary hands the rest to the serial
// reader), numbers the frames and routes them with the one Router in frame order (routeAll:
// the balancer's choices, and a decode for the frames the walkers left) — exactly what the
// serial dispatcher does, so every frame gets the shard it would get there — and hands the
// batches to the shards. Frame indices, batches' contents and routing are those of
// dispatch, whatever the number of walkers.

// partSize is the nominal size of a part (the resident set grows with it: partKeep).
const partSize = 1 << 20

// partKeep is how many parts stay mapped behind the oldest a walker may be walking (the
// walkers' own, one each, and the frames the shards may still read: the queues hold a few
// batches); older ones are dropped from the mapping. Resident: about (partKeep + 2 ×
// readers) parts.
const partKeep = 8

// partMsg is a walker's message: a batch of part k, or (last) the end of part k with the
// offset its walk reached and whether that walk stopped early (a record out of the
// ordinary, or a fault: err).
type partMsg struct {
	b    *batch
	k    int
	last bool
	next int
	ok   bool
	err  error
}

// readersFor is the number of walkers for a run of n shards on procs CPUs. A walker reads
// and routes about as fast as the serial dispatcher, ≈ 2 shards' worth on perfmix
// (docs/PERFORMANCE.md, "Parallel readers and a leaner mapped reader"), and takes a CPU from the shards while it
// runs: below eight CPUs the serial dispatcher feeds what the other CPUs can process;
// from eight on, one walker per three CPUs, rounded up (3 of 8, 6 of 16).
func readersFor(n, procs int) int {
	if n < 2 || procs < 8 {
		return 1
	}
	return min((procs+2)/3, 8) // 8: ≈ 17 shards' worth; the resident set grows with walkers
}

// sequencer numbers the batches of a parts read, routes what the walkers left and hands
// them to the shards, in file order.
type sequencer struct {
	shards []*shard
	free   chan *batch // where the shards release the batches
	pool   chan *batch // where the walkers take them from
	opts   Options
	route  *Router
	i      uint64 // the next frame's index
}

func newSequencer(shards []*shard, free chan *batch, opts Options, pool int) *sequencer {
	d, _ := newRouteDecoder(opts, len(shards)) // its fragments within its share of the budget
	return &sequencer{shards: shards, free: free, pool: make(chan *batch, pool), opts: opts, route: NewRouter(d, len(shards)), i: 1}
}

// hand numbers a batch's frames, routes them and hands the batch to the shards; false at a
// stop.
func (q *sequencer) hand(b *batch) bool {
	n := len(q.shards)
	b.first = q.i
	q.i += uint64(len(b.frames))
	b.routeAll(q.route)
	b.users.Store(int32(n))
	for _, sh := range q.shards {
		sh.in <- b
	}
	for more := true; more; { // the released batches go back to the walkers
		select {
		case x := <-q.free:
			releaseBatch(q.pool, x)
		default:
			more = false
		}
	}
	return q.opts.Stop == nil || !stopped(q.opts.Stop)
}

// walk walks p from at (a verified record boundary) to end itself and hands the batches;
// it returns where it stopped, whether that is end (ok: else a record out of the
// ordinary) and whether the run was stopped.
func (q *sequencer) walk(p *capture.Parts, at, end int) (next int, ok, stop bool) {
	n := len(q.shards)
	for ok = true; ok && at < end; {
		b := newBatch(q.pool, n)
		b.frames, at, ok = p.Walk(frameSpace(b), at, end)
		if len(b.frames) == 0 {
			releaseBatch(q.pool, b)
		} else if b.routeFast(); !q.hand(b) {
			return at, ok, true
		}
	}
	return at, ok, false
}

// serial reads on from at with the serial reader.
func (q *sequencer) serial(p *capture.Parts, at int) error {
	return dispatchFrom(p.Resume(at, q.i-1), q.shards, q.free, q.opts, q.route, q.i)
}

// dispatchParts is dispatch over p with readers walkers (≥ 2), its sequencer running on the
// caller's goroutine; the serial reader (p.Resume) reads what the parts cannot.
func dispatchParts(p *capture.Parts, shards []*shard, free chan *batch, opts Options, readers int) error {
	n := len(shards)
	np := len(p.Bounds) - 1
	quit := make(chan struct{})
	outs := make([]chan partMsg, readers)
	done := make(chan struct{}, readers)
	// The pool holds the batches the walkers fill: more are in flight than with one reader
	// (free, which the shards release them to, is small), so the sequencer moves the
	// released ones there.
	q := newSequencer(shards, free, opts, 4*readers+16)
	for j := range outs {
		outs[j] = make(chan partMsg, 2)
		go walkParts(p, j, readers, n, q.pool, outs[j], quit, done)
	}
	var stop sync.Once
	stopWalkers := func() {
		stop.Do(func() {
			close(quit)
			for range readers {
				<-done
			}
		})
	}
	defer stopWalkers() // also when a fault in the sequencer's own reads unwinds it
	at := p.Bounds[0]   // where the verified chain has reached
	for k := 0; k < np; k++ {
		verified := p.Bounds[k] == at // else a start guessed inside a record
		for {
			msg := <-outs[k%readers]
			if msg.err != nil {
				return msg.err
			}
			if msg.last {
				if verified {
					at = msg.next
					if !msg.ok {
						stopWalkers()
						return q.serial(p, at)
					}
				}
				break
			}
			if !verified {
				releaseBatch(q.pool, msg.b)
			} else if !q.hand(msg.b) {
				return io.EOF
			}
		}
		// A wrong start (a record header guessed inside a record): the walker's frames
		// are dropped and the part walked here from where the previous one ended.
		if at < p.Bounds[k+1] {
			next, ok, stop := q.walk(p, at, p.Bounds[k+1])
			if stop {
				return io.EOF
			}
			if at = next; !ok {
				stopWalkers()
				return q.serial(p, at)
			}
		}
	}
	stopWalkers()
	p.Release(p.Bounds[max(np-partKeep-readers, 0)], at)
	return q.serial(p, at) // io.EOF: the last part ends at the end of the file
}

// walkParts walks parts j, j+readers, ... in turn and sends their batches to out; it stops
// at quit, and signals done when it has.
func walkParts(p *capture.Parts, j, readers, n int, free chan *batch, out chan<- partMsg, quit <-chan struct{}, done chan<- struct{}) {
	defer func() { done <- struct{}{} }()
	if err := faultGuard(func() error { walkOwn(p, j, readers, n, free, out, quit); return nil }); err != nil {
		select {
		case out <- partMsg{err: err}:
		case <-quit:
		}
	}
}

// walkOwn is walkParts' walk (a fault on the mapping panics out of it).
func walkOwn(p *capture.Parts, j, readers, n int, free chan *batch, out chan<- partMsg, quit <-chan struct{}) {
	send := func(m partMsg) bool {
		select {
		case out <- m:
			return true
		case <-quit:
			if m.b != nil {
				releaseBatch(free, m.b)
			}
			return false
		}
	}
	np := len(p.Bounds) - 1
	for k := j; k < np; k += readers {
		off, end := p.Bounds[k], p.Bounds[k+1]
		if old := k - partKeep - readers; old >= 0 {
			// Behind every walker's part and what the shards still read (a few batches):
			// dropped from the mapping, so the resident set stays small.
			p.Release(p.Bounds[old], p.Bounds[old+1])
		}
		ok := true
		for ok && off < end {
			b := newBatch(free, n)
			b.frames, off, ok = p.Walk(frameSpace(b), off, end)
			if len(b.frames) == 0 {
				releaseBatch(free, b)
				break
			}
			b.routeFast()
			if !send(partMsg{b: b, k: k}) {
				return
			}
		}
		if !send(partMsg{k: k, last: true, next: off, ok: ok}) {
			return
		}
	}
}

// frameSpace returns the batch's frames, empty, with room for batchFrames.
func frameSpace(b *batch) []capture.Frame {
	if cap(b.frames) < batchFrames {
		b.frames = make([]capture.Frame, 0, batchFrames)
	}
	return b.frames[:0:batchFrames]
}

func releaseBatch(free chan *batch, b *batch) {
	select {
	case free <- b:
	default:
	}
}

// Route codes a parallel reader leaves in batch.bucket besides a bucket (≥ 0: the bucket
// << 1, | 1 for a connection's first packet): a frame that goes to shard 0 without its
// addresses (a negative timestamp), or one the sequencer's Router has to decode.
const (
	routeFirst  = -1
	routeDecode = -2
)

// routeFast finds what can be found of each frame's route without state (pairHash's own
// shortcuts): its bucket, routeFirst or routeDecode, for the sequencer's routeAll.
func (b *batch) routeFast() {
	net := int64(-1)
	for k := range b.frames {
		f := &b.frames[k]
		net = max(net, f.Ts)
		b.net = append(b.net, net)
		c := int32(routeDecode)
		if f.Ts < 0 {
			c = routeFirst
		} else if f.LinkType == 1 {
			if h, start, ok := etherHash(f.Data); ok {
				c = int32(bucketOf(h))<<1 | int32(b2i(start))
			}
		}
		b.bucket = append(b.bucket, c)
	}
}

// routeAll fills the batch's lists in frame order with r, from what routeFast found: the
// balancer's choices are made here, serially, as the serial dispatcher makes them.
func (b *batch) routeAll(r *Router) {
	own, bal := b.own, &r.bal
	for k, c := range b.bucket {
		var s int
		if c >= 0 { // balancer.shard, inlined
			if s = bal.owned(uint32(c >> 1)); s < 0 {
				s = bal.assign(uint32(c >> 1))
			}
			bal.count(s, frameWork(c&1 != 0))
		} else if c == routeFirst {
			s = bal.first()
		} else {
			s = r.Shard(&b.frames[k])
		}
		own[s] = append(own[s], int32(k))
	}
}

// procs is the CPUs the run may use.
func procs() int { return runtime.GOMAXPROCS(0) }

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
