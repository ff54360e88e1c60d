package engine

import (
	"errors"
	"io"
	"sync"

	"github.com/tlsmon/tlsmon/capture"
	"github.com/tlsmon/tlsmon/packet"
)

// Self-routing shards: a sharded run over a mapped pcap (capture.Cursors) without a
// dispatcher. Every shard walks the whole mapping with a cursor of its own, numbers the
// frames and routes each one (ShardOf) with a route decoder of its own, configured as every
// other shard's, so that all shards agree on every frame's owner; it processes its own
// frames (FrameAt) and, over the others', moves its clock as a dispatched shard does
// (clock.over, shard.tick). No frame is read on one core and processed on another, and
// there is no serial reader: what each shard pays instead is reading every record header
// and routing every frame (docs/PERFORMANCE.md, "selfroute").

// routing chooses between a dispatcher and self-routing shards (runRouted).
type routing uint8

const (
	routeAuto     routing = iota // selfRouteFor decides
	routeSelf                    // self-routed whenever the reader has cursors (tests)
	routeDispatch                // always the dispatcher (tests, benchmarks)
)

// selfRouteFor reports whether a run of n shards on procs CPUs routes in the shards:
// where the serial dispatcher would read (below eight CPUs: readersFor), with no more
// shards than CPUs. Each shard walks every frame, so the walks cost n times one; with
// more shards than CPUs the dispatcher's single walk costs less (docs/PERFORMANCE.md,
// "selfroute").
func selfRouteFor(n, procs int) bool {
	return n >= 2 && n <= procs && readersFor(n, procs) == 1
}

// selfRouted returns the cursors of a self-routed run of n shards over r, if the run is one.
func selfRouted(r capture.Reader, n int, route routing) ([]capture.Reader, bool) {
	if n < 2 || route == routeDispatch || (route == routeAuto && !selfRouteFor(n, procs())) {
		return nil, false
	}
	c, ok := r.(capture.Cursors)
	if !ok {
		return nil, false
	}
	return c.Cursors(n)
}

// runSelfRouted runs every shard on its cursor until its end of input and returns the
// run's read error: every shard reads the same frames and meets a read error at the same
// frame, so the first shard that has one gives it (io.EOF at a clean end).
func runSelfRouted(cs []capture.Reader, shards []*shard, opts Options) error {
	n := len(shards)
	var wg sync.WaitGroup
	for s, sh := range shards {
		route, _ := routeDecoder(opts, n, n) // n routers within the dispatcher's share
		wg.Add(1)
		go func() {
			defer wg.Done()
			sh.selfRoute(cs[s], route, n, opts.Stop)
		}()
	}
	wg.Wait()
	for _, sh := range shards {
		if sh.readErr != nil && !errors.Is(sh.readErr, io.EOF) {
			return sh.readErr
		}
	}
	return io.EOF
}

// selfRoute is a self-routed shard's run. A memory fault on a truncated mapping while it
// processes one of its frames leaves its state incomplete (sh.err, no flush, as
// guardedProcess); one while it reads or routes is a read error (its connections are
// flushed, as after a dispatcher's fault).
func (sh *shard) selfRoute(cur capture.Reader, route *packet.Decoder, n int, stop <-chan struct{}) {
	defer cur.Close()
	inFrame := false
	err := faultGuard(func() error { return sh.walk(cur, route, n, stop, &inFrame) })
	if inFrame {
		sh.err = err
	} else {
		sh.readErr = err
	}
	cur.Close() // before the flush: the other shards' cursors no longer wait for this one
	sh.finish()
}

// walk reads every frame from cur, numbering them from 1, processes the shard's own and
// moves the clock over the others', in runs of batchFrames frames as a dispatcher's
// batches (the outbox is handed over and Options.Stop looked at between two runs). It
// returns the reader's error (io.EOF at the end, or at a stop). inFrame is true while one
// of the shard's frames is processed.
func (sh *shard) walk(cur capture.Reader, route *packet.Decoder, n int, stop <-chan struct{}, inFrame *bool) error {
	e := sh.e
	var f capture.Frame
	var p packet.Packet
	for i := uint64(1); ; {
		if stop != nil && stopped(stop) {
			return io.EOF
		}
		first := i
		c := clock{e.now, e.table.Due()}
		var err error
		for ; i < first+batchFrames; i++ {
			if err = cur.Next(&f); err != nil {
				break
			}
			if ShardOf(route, &f, n, &p) != sh.id {
				if c.over(f.Ts) {
					c = sh.tick(c, i, f.Ts)
				}
				continue
			}
			*inFrame = true
			c = sh.own(c, i, &f)
			*inFrame = false
		}
		if i > first {
			sh.batchEnd(c, i)
			if sh.box != nil {
				sh.box.send(i, false)
			}
		}
		if err != nil {
			return err
		}
	}
}
