package engine

import (
	"io"
	"runtime"
	"sync"

	"github.com/tlsmon/tlsmon/capture"
	"github.com/tlsmon/tlsmon/packet"
)

// The dispatcher with parallel readers: a mapped pcap (capture.Splitter) is cut into parts
// (capture.Parts) that several walkers read at once, each routing the frames it can route
// without state (TCP over Ethernet: tcpAddrs; a negative timestamp: shard 0). A sequencer
// takes the walkers' batches in file order, verifies that each part starts where the
// previous one ended (else it drops the walker's frames and walks that part itself from
// there; a record out of the ordinary hands the rest to the serial reader), numbers the
// frames, routes the rest with the one route decoder in frame order — exactly the calls the
// serial dispatcher makes, so every frame gets the shard it would get there — and hands the
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
	route  *packet.Decoder
	pk     packet.Packet
	i      uint64 // the next frame's index
}

func newSequencer(shards []*shard, free chan *batch, opts Options, pool int) *sequencer {
	route, _ := newRouteDecoder(opts, len(shards)) // its fragments within its share of the budget
	return &sequencer{shards: shards, free: free, pool: make(chan *batch, pool), opts: opts, route: route, i: 1}
}

// hand numbers a batch's frames, routes those left to it and hands the batch to the
// shards; false at a stop.
func (q *sequencer) hand(b *batch) bool {
	n := len(q.shards)
	b.first = q.i
	q.i += uint64(len(b.frames))
	if len(b.later) > 0 {
		b.routeLater(q.route, n, &q.pk)
	}
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
		} else if b.routeFast(n); !q.hand(b) {
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
			b.routeFast(n)
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

// routeFast fills the batch's lists with the frames that need no state to route (ShardOf's
// own shortcuts) and puts the others in later, for the sequencer.
func (b *batch) routeFast(n int) {
	net := int64(-1)
	for k := range b.frames {
		f := &b.frames[k]
		net = max(net, f.Ts)
		b.net = append(b.net, net)
		s := 0
		if f.Ts >= 0 {
			if f.LinkType != 1 {
				b.later = append(b.later, int32(k))
				continue
			}
			if s = etherShard(f.Data, n); s < 0 {
				b.later = append(b.later, int32(k))
				continue
			}
		}
		b.own[s] = append(b.own[s], int32(k))
	}
}

// routeLater routes the frames of later with ShardOf, in frame order, and merges them into
// the lists (which stay ascending).
func (b *batch) routeLater(route *packet.Decoder, n int, p *packet.Packet) {
	if len(b.laterOwn) < n {
		b.laterOwn = make([][]int32, n)
	}
	for s := range b.laterOwn {
		b.laterOwn[s] = b.laterOwn[s][:0]
	}
	for _, k := range b.later {
		s := ShardOf(route, &b.frames[k], n, p)
		b.laterOwn[s] = append(b.laterOwn[s], k)
	}
	for s, l := range b.laterOwn[:n] {
		if len(l) == 0 {
			continue
		}
		o := b.own[s]
		if len(o) == 0 || o[len(o)-1] < l[0] {
			b.own[s] = append(o, l...)
			continue
		}
		m := b.merge[:0]
		x, y := 0, 0
		for x < len(o) && y < len(l) {
			if o[x] < l[y] {
				m = append(m, o[x])
				x++
			} else {
				m = append(m, l[y])
				y++
			}
		}
		m = append(append(m, o[x:]...), l[y:]...)
		b.own[s], b.merge = m, o // the old list's array is the next merge's scratch
	}
}

// procs is the CPUs the run may use.
func procs() int { return runtime.GOMAXPROCS(0) }
