package engine

import (
	"github.com/tlsmon/tlsmon/capture"
	"github.com/tlsmon/tlsmon/packet"
)

// Load-aware routing. A frame's address pair (pairHash) picks one of a fixed number of
// buckets; the first frame of a bucket gives the bucket to the shard that has been given
// the least work so far, and the bucket stays there. Hashing the pair straight to a shard
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
// the least work so far, and counts every frame's work on its shard. Its memory is fixed:
// the table and one counter per shard.
type balancer struct {
	owner *[1 << bucketBits]uint16 // shard+1 of each bucket; 0: not seen yet (maxWorkers < 2^16)
	load  []uint64                 // work counted per shard (frameWork)
}

func newBalancer(n int) balancer {
	return balancer{owner: new([1 << bucketBits]uint16), load: make([]uint64, n)}
}

// shard returns the shard of bucket k and counts w on it.
func (b *balancer) shard(k uint32, w uint64) int {
	o := &b.owner[k&(1<<bucketBits-1)]
	s := int(*o) - 1
	if s < 0 {
		s = b.least()
		*o = uint16(s + 1)
	}
	b.load[s] += w
	return s
}

// first counts a frame on shard 0, the shard of frames routed without their addresses.
func (b *balancer) first() int {
	b.load[0]++
	return 0
}

// least is the shard with the least load (the first of equals).
func (b *balancer) least() int {
	s := 0
	for j, l := range b.load {
		if l < b.load[s] {
			s = j
		}
	}
	return s
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
		return r.bal.shard(bucketOf(v4Hash(b)), frameWork(v4Start(b)))
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
