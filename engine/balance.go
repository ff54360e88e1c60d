package engine

import (
	"github.com/tlsmon/tlsmon/capture"
	"github.com/tlsmon/tlsmon/packet"
)

// Load-aware routing. A frame's address pair (pairHash) picks one of a fixed number of
// buckets; the first frame of a bucket gives the bucket to the shard that has been given
// the least work lately, and the bucket stays there. Hashing the pair straight to a shard
// leaves the shards as unequal as a capture's host pairs happen to fall (perfmix: 53 / 47 %
// of the frames, 7 % more instructions in one shard than in the other with two shards;
// docs/PERFORMANCE.md, "balance"). Every router of a run sees the same frames in the same
// order (the serial dispatcher; each self-routed shard; the parallel readers' sequencer,
// in frame order), so all of them give every frame the same shard; the outputs do not
// depend on which shard that is (the merge is by frame index, uids by creation frame:
// docs/SCALING.md).

// bucketBits sizes a router's bucket table: 2^15 buckets (64 KiB). Fewer buckets than host
// pairs leave the balancer less to choose (docs/PERFORMANCE.md, "balance").
const bucketBits = 15

// connWork is what a connection's first packet (a TCP SYN without ACK) counts besides its
// frame: a connection's own work (its table entry, handshake, certificates, log rows)
// costs about as much as 48 frames (docs/PERFORMANCE.md, "balance"), and a split with
// equal frames but unequal connections is the more unequal in work.
const connWork = 48

// decayFrames is how often the shards' loads are halved: a new bucket goes to the shard
// with the least recent work, not the least work since the start. The shards run at most
// a few batches apart (split.go, inFlight), so what makes one wait for another is work
// unequal over a few thousand frames: with loads counted since the start, a shard that
// drew a heavy bucket is given no new bucket until the others catch up, and the new
// connections of that stretch all go elsewhere (docs/PERFORMANCE.md, "balance").
const decayFrames = 256

// bucketOf is the bucket of a pair hash (its high bits, after folding in lower ones).
func bucketOf(h uint64) uint32 {
	h ^= h >> 29
	return uint32(h>>(64-bucketBits)) & (1<<bucketBits - 1) // the mask spares the table's bounds check
}

// frameWork is what a frame counts towards its shard's load (start: a connection's first
// packet).
func frameWork(start bool) uint64 {
	w := uint64(1)
	if start {
		w += connWork
	}
	return w
}

// balancer gives buckets to shards in the order they are first seen, each to the shard with
// the least recent work, and counts every frame's work on its shard. Its memory is fixed:
// the table and one counter per shard.
type balancer struct {
	owner  *[1 << bucketBits]uint16 // shard+1 of each bucket; 0: not seen yet (maxWorkers < 2^16)
	load   []uint64                 // recent work per shard (frameWork, halved every decayFrames frames)
	frames uint32                   // frames counted, modulo decayFrames
}

func newBalancer(n int) balancer {
	return balancer{owner: new([1 << bucketBits]uint16), load: make([]uint64, n)}
}

// shard returns the shard of bucket k and counts w on it.
func (b *balancer) shard(k uint32, w uint64) int {
	s := b.owned(k)
	if s < 0 {
		s = b.assign(k)
	}
	b.count(s, w)
	return s
}

// owned is the shard of bucket k, -1 if it has none yet.
func (b *balancer) owned(k uint32) int { return int(b.owner[k&(1<<bucketBits-1)]) - 1 }

// assign gives bucket k, not seen before, to the shard with the least recent work (the
// first of equals).
//
//go:noinline // rare (a bucket's first frame): out of line, so that the per-frame path inlines
func (b *balancer) assign(k uint32) int {
	s := 0
	for j, l := range b.load {
		if l < b.load[s] {
			s = j
		}
	}
	b.owner[k&(1<<bucketBits-1)] = uint16(s + 1)
	return s
}

// first counts a frame on shard 0, the shard of frames routed without their addresses.
func (b *balancer) first() int {
	b.count(0, 1)
	return 0
}

// count counts a frame's work w on shard s; every decayFrames frames the loads are
// halved.
func (b *balancer) count(s int, w uint64) {
	b.load[s] += w
	if b.frames++; b.frames == decayFrames {
		b.halve()
	}
}

// halve halves every shard's load (rounding up).
//
//go:noinline // once every decayFrames frames: out of line, so that the per-frame path inlines
func (b *balancer) halve() {
	b.frames = 0
	for j, l := range b.load {
		b.load[j] = l - l>>1
	}
}

// A Router finds the shard (of n) that owns each frame of a sharded run: frames that may
// carry a tunnel, frames without an IP header and frames of a link type Zeek does not
// dispatch go to shard 0 (pairHash); the others to the shard of their address pair's
// bucket (balancer). It must be given every frame of the run, in frame order: its choices
// depend on the frames before. A Router is not safe for concurrent use.
type Router struct {
	d   *packet.Decoder
	n   int
	bal balancer
	p   packet.Packet
}

// NewRouter returns a router for n shards that decodes with d (its own decoder: it
// reassembles fragments as the shards' do, so that a datagram's shard is that of its
// contents).
func NewRouter(d *packet.Decoder, n int) *Router {
	r := &Router{d: d, n: n}
	if n > 1 {
		r.bal = newBalancer(n)
	}
	return r
}

// Shard returns the shard of the run's next frame, f.
func (r *Router) Shard(f *capture.Frame) int {
	if b := f.Data; f.LinkType == 1 && f.Ts >= 0 && v4TCP(b) && r.n > 1 { // pairHash's common case, in place
		k := bucketOf(v4Hash(b))
		s := r.bal.owned(k)
		if s < 0 {
			s = r.bal.assign(k)
		}
		r.bal.count(s, frameWork(v4Start(b))) // balancer.shard, inlined
		return s
	}
	return r.shard(f)
}

// shard is Shard of any frame.
func (r *Router) shard(f *capture.Frame) int {
	if r.n <= 1 {
		return 0
	}
	h, start, ok := pairHash(r.d, f, &r.p)
	if !ok {
		return r.bal.first()
	}
	return r.bal.shard(bucketOf(h), frameWork(start))
}
