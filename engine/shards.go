package engine

import (
	"errors"
	"io"
	"math"
	"runtime"
	"runtime/debug"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tlsmon/tlsmon"
	"github.com/tlsmon/tlsmon/capture"
)

// Run processes every frame of r with opts.Workers engines (shards; 0 or 1: one engine, as
// Engine.Run) and returns their summed counters and the first fatal capture error. Every
// event reaches opts.Handler in the order one engine raises it, with the same content
// (docs/SCALING.md): a dispatcher reads and numbers the frames, finds each one's shard
// (ShardOf) and hands the shards batches of consecutive frames, each batch with the list of
// the frames every shard owns; a shard processes its own frames and, for the others, only
// moves its clock on (Engine.Tick where a timer falls due). The shards run in parallel and
// take turns, by Order, to hand their events to the Handler while the event is still valid.
// The Handler is called from the shards' goroutines, one call at a time. Frames that stay
// valid after the next read (capture.Frame.Stable: a mapped file) are handed over by
// reference, the others copied. With opts.Split the shards' consumers run in the shards
// instead, and a merger goroutine orders their output (split.go, merge.go). A reader with
// cursors (capture.Cursors: a mapped pcap) on fewer than eight CPUs, with no more shards
// than CPUs, has no dispatcher: every shard reads and routes every frame itself
// (selfroute.go).
func Run(r capture.Reader, opts Options) (Stats, error) { return runRouted(r, opts, routeAuto) }

// runRouted is Run, routing as route says (selfroute.go).
func runRouted(r capture.Reader, opts Options, route routing) (Stats, error) {
	n := min(opts.Workers, maxWorkers)
	if n <= 1 {
		if opts.Split != nil {
			return runOneSplit(r, opts)
		}
		e := New(opts)
		err := e.Run(r)
		return e.Stats(), err
	}
	var m *turns
	var boxes []*Outbox
	if opts.Split == nil {
		m = newTurns(n)
	}
	shards := make([]*shard, n)
	for s := range shards {
		sh := &shard{turns: m, id: s, in: make(chan *batch, 2), next: opts.Handler, known: make([]uint64, n)}
		if sh.next == nil {
			sh.next = nopHandler{}
		}
		o := shardOptions(opts, n) // dispatch_budget.go: the budget less the dispatcher's share, divided
		o.Handler = sh
		if opts.Split != nil { // split.go: the shard's own consumer, its items to the merger
			sh.box = newOutbox(nil, s, n)
			sh.end = opts.Split.Shard(s, sh.box)
			o.Handler = sh.end
			boxes = append(boxes, sh.box)
		}
		sh.e = New(o)
		if sh.box != nil {
			sh.box.e = sh.e
		}
		shards[s] = sh
	}
	merged := make(chan struct{})
	if opts.Split != nil {
		go func() {
			defer close(merged)
			newMerger(opts.Split.Merged, boxes).run()
		}()
	} else {
		close(merged)
	}
	var err error
	if cs, ok := selfRouted(r, n, route); ok { // selfroute.go: no dispatcher
		err = runSelfRouted(cs, shards, opts)
	} else {
		free := make(chan *batch, 4)
		var wg sync.WaitGroup
		for _, sh := range shards {
			wg.Add(1)
			go func() {
				defer wg.Done()
				sh.run(free, opts.Stop)
			}()
		}
		err = guardedDispatch(r, shards, free, opts)
		for _, sh := range shards {
			close(sh.in)
		}
		wg.Wait()
	}
	<-merged
	all := make([]Stats, len(shards))
	for i, sh := range shards {
		all[i] = sh.e.Stats()
		if sh.err != nil && (err == nil || errors.Is(err, io.EOF)) {
			err = sh.err // the first shard's fault, unless reading failed first
		}
	}
	if errors.Is(err, io.EOF) {
		err = nil
	}
	return Sum(all...), err
}

// add sums another shard's counters into s.
func (s *Stats) add(o Stats) {
	s.Packets += o.Packets
	s.Bytes += o.Bytes
	s.IPPackets += o.IPPackets
	s.Skipped += o.Skipped
	s.Fragments += o.Fragments
	s.DecodeErrors += o.DecodeErrors
	s.Connections += o.Connections
	s.Active += o.Active
	s.AckEvents += o.AckEvents
	s.GapEvents += o.GapEvents
	for k, v := range o.CapHits {
		s.CapHits[k] += v
	}
	s.CapWeirds += o.CapWeirds
	for _, lt := range o.UnknownLinkTypes {
		if !slices.Contains(s.UnknownLinkTypes, lt) {
			s.UnknownLinkTypes = append(s.UnknownLinkTypes, lt)
		}
	}
}

const maxWorkers = 1024

type shard struct {
	e     *Engine
	id    int
	in    chan *batch
	turns *turns
	next  tlsmon.Handler
	known []uint64 // the other shards' frames as last read (below)
	err   error    // a fault on a truncated mapped capture (guardedProcess)
	// readErr is a self-routed shard's read error (selfroute.go): io.EOF at the end.
	readErr error
	// With Options.Split (turns nil): the shard's consumer (the engine's Handler) and its
	// outbox, handed over at the end of every batch.
	box *Outbox
	end ShardConsumer
}

// publish records the shard's progress for the turns (with Split, the outbox carries it).
func (sh *shard) publish(i uint64) {
	if sh.turns != nil {
		sh.turns.publish(sh.id, i)
	}
}

func (sh *shard) run(free chan *batch, stop <-chan struct{}) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	for b := range sh.in {
		if sh.err == nil && (stop == nil || !stopped(stop)) {
			sh.guardedProcess(b)
		}
		if sh.box != nil {
			sh.box.send(b.first+uint64(len(b.frames)), false)
		}
		if b.users.Add(-1) == 0 {
			select {
			case free <- b:
			default:
			}
		}
	}
	sh.finish()
}

// finish ends the shard's run once it has seen its last frame: its connections flushed
// (unless a fault left its state incomplete), its last events and outbox handed over.
func (sh *shard) finish() {
	sh.publish(math.MaxUint64 - 1) // below the flush's events (Frame MaxUint64)
	if sh.box != nil {
		sh.box.send(math.MaxUint64-1, false)
	}
	if sh.err == nil {
		sh.e.Flush()
	}
	if sh.box != nil {
		sh.box.ending = true
		sh.end.End()
		sh.box.send(math.MaxUint64, true)
		return
	}
	sh.turns.done(sh.id)
}

// guardedProcess is process, with a fault on a truncated mapped capture (frames by
// reference) recovered into sh.err: the shard then stops processing (its state is
// incomplete), lets the other shards' events through and ends without a flush.
func (sh *shard) guardedProcess(b *batch) {
	defer func() {
		if v := recover(); v != nil {
			ferr, ok := capture.FaultError(v)
			if !ok {
				panic(v)
			}
			sh.err = ferr
			sh.publish(math.MaxUint64 - 1)
		}
	}()
	sh.process(b)
}

// process runs the shard's frames of a batch and moves its clock over the others', in
// one pass with the clock in locals: most frames are another shard's, and most of those
// only move the clock, which the batch's network times (net) give without reading them.
func (sh *shard) process(b *batch) {
	e := sh.e
	frames, net, first, own := b.frames, b.net[:len(b.frames)], b.first, b.own[sh.id]
	k := 0
	c := clock{e.now, e.table.Due()}
	for j := 0; j <= len(own); j++ {
		to := len(frames)
		if j < len(own) {
			to = int(own[j])
		}
		// Other shards' frames k..to-1 (other): where no timer can fall due, skip to the
		// first frame whose network time reaches due (net ascends) at once.
		for k < to {
			if c.now < c.due {
				if net[to-1] < c.due {
					c.now, k = max(c.now, net[to-1]), to
					break
				}
				lo, hi := k, to-1
				for lo < hi {
					if m := int(uint(lo+hi) >> 1); net[m] >= c.due {
						hi = m
					} else {
						lo = m + 1
					}
				}
				if lo > k {
					c.now, k = max(c.now, net[lo-1]), lo
				}
			}
			if ts := frames[k].Ts; c.over(ts) {
				c = sh.tick(c, first+uint64(k), ts)
			}
			k++
		}
		if j < len(own) {
			c = sh.own(c, first+uint64(k), &frames[k])
			k++
		}
	}
	sh.batchEnd(c, first+uint64(len(frames)))
}

// clock is a shard's network time (now) and the deadline of its next timer (due), kept in
// locals while the shard goes over a run of frames (process, walk) and stored in the
// engine around the calls into it.
type clock struct{ now, due int64 }

// over moves the clock over a frame of time ts that another shard owns, and reports
// whether a timer falls due there (its deadline, Due, is at or before the frame's time or
// the clock): then the shard calls tick. Elsewhere only the clock moves, as Tick would
// move it, and skipping the Tick changes nothing any event can see. A frame with a
// negative time moves nothing.
func (c *clock) over(ts int64) bool {
	if ts < 0 {
		return false
	}
	c.now = max(c.now, ts)
	return c.now >= c.due
}

// tick is Tick of frame i, of time ts, where a timer falls due (over). The clock travels
// by value (tick, own), so that it stays in registers.
func (sh *shard) tick(c clock, i uint64, ts int64) clock {
	e := sh.e
	e.now = c.now
	sh.publish(i)
	e.Tick(i, ts)
	return clock{e.now, e.table.Due()}
}

// own processes frame i, which the shard owns.
func (sh *shard) own(c clock, i uint64, f *capture.Frame) clock {
	e := sh.e
	e.now = c.now
	sh.publish(i)
	e.FrameAt(i, f)
	return clock{e.now, e.table.Due()}
}

// batchEnd ends a run of frames before frame next (a batch): the engine is left as a Tick
// of its last frame would leave it when no timer is due (tickedTo), so that its state does
// not depend on which Ticks were skipped, and every later event of the shard is at a later
// frame.
func (sh *shard) batchEnd(c clock, next uint64) {
	sh.e.now = c.now
	sh.e.tickedTo(next - 1)
	sh.publish(next)
}

// HandleEvent waits for the shard's turn, then passes the event on.
func (sh *shard) HandleEvent(ev tlsmon.Event) {
	o := sh.e.Order()
	if !sh.below(o.Frame) {
		sh.turns.wait(sh.id, o)
	}
	sh.next.HandleEvent(ev)
}

// below reports whether frame i is below every other shard's published frame, reading a
// shard's frame only when the one last read from it is not enough (published frames only
// grow): most events then read no line that another core writes.
func (sh *shard) below(i uint64) bool {
	for u, k := range sh.known {
		if k > i || u == sh.id {
			continue
		}
		at := &sh.turns.at[u]
		if k = at.frame.Load(); at.done.Load() {
			k = math.MaxUint64
		}
		sh.known[u] = k
		if k <= i {
			return false
		}
	}
	return true
}

// turns orders the shards' events. Each shard publishes the frame it is at (frame: every
// later event of it has a Frame at least that) and, while it waits for its turn, the Order
// of its pending event. A shard may hand over an event of Order o once o is below every
// other shard's bound (or equal, for the lower-numbered shard: events of two shards never
// share an Order, but a bound may equal one). The common case, o's frame below every other
// shard's frame, takes no lock; waiting spins and yields (waits are short: the shards
// walk the same frames).
type turns struct {
	at   []shardAt
	mu   sync.Mutex // guards pend and waiting
	pend []Order
	// waiting[s]: shard s waits with its event's Order in pend[s]; nwait counts them.
	waiting []bool
	nwait   atomic.Int32
}

// shardAt is a shard's published frame, alone in its cache line (written at every frame).
type shardAt struct {
	frame atomic.Uint64
	done  atomic.Bool // the shard has raised its last event
	_     [48]byte
}

func newTurns(n int) *turns {
	return &turns{at: make([]shardAt, n), pend: make([]Order, n), waiting: make([]bool, n)}
}

// publish records that every later event of shard s is at frame i or after.
func (t *turns) publish(s int, i uint64) { t.at[s].frame.Store(i) }

// wait returns once shard s may hand over its event of Order o. While other shards are
// not waiting, their published frames decide, read without the lock; the pending Orders
// are compared (under the lock) only while another shard waits too.
func (t *turns) wait(s int, o Order) {
	if t.below(s, o.Frame) {
		return
	}
	t.mu.Lock()
	t.pend[s], t.waiting[s] = o, true
	t.nwait.Add(1)
	t.mu.Unlock()
	for spins := 0; ; spins++ {
		ok := t.below(s, o.Frame)
		if !ok && t.nwait.Load() > 1 {
			t.mu.Lock()
			ok = t.mine(s, &o)
			t.mu.Unlock()
		}
		if ok {
			t.mu.Lock()
			t.waiting[s] = false
			t.nwait.Add(-1)
			t.mu.Unlock()
			return
		}
		if spins < 1000 {
			runtime.Gosched()
		} else {
			time.Sleep(20 * time.Microsecond) // a long wait (a blocked consumer): no busy loop
		}
	}
}

// done records that shard s raises no more events.
func (t *turns) done(s int) { t.at[s].done.Store(true) }

// below reports whether frame i is below every other shard's frame.
func (t *turns) below(s int, i uint64) bool {
	for u := range t.at {
		if u != s && t.at[u].frame.Load() <= i && !t.at[u].done.Load() {
			return false
		}
	}
	return true
}

func (t *turns) mine(s int, o *Order) bool {
	for u := range t.at {
		if u == s || t.at[u].done.Load() {
			continue
		}
		b := Order{Frame: t.at[u].frame.Load()}
		if t.waiting[u] {
			b = t.pend[u]
		}
		c := o.Compare(&b)
		if c > 0 || (c == 0 && u < s) {
			return false
		}
	}
	return true
}
