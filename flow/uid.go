package flow

import "unsafe"

// UIDGen makes Zeek-like connection uids ("C" + 17 base62 characters), deterministic for a
// given seed: a uid is a keyed mix of its number n. Without Frame, n counts the uids drawn;
// with Frame, n is (frame index << uidFrameShift) + the uid's position among those drawn
// during that frame, so a connection's uid depends on the seed and where in the capture it
// starts, not on how many uids were drawn before (docs/SCALING.md: the same uids whichever
// engine or shard draws them).
type UIDGen struct {
	seed uint64
	n    uint64
	// frame is the last index given to Frame: n is raised to frame<<uidFrameShift when a
	// uid is drawn (or N asked) rather than at every frame, which most do not draw one.
	frame uint64
	// slab is where the next uids' bytes go: uids are carved out of shared 4 KiB blocks
	// (227 uids each) rather than allocated one string each. On perfmix.pcap (31,200
	// connections) this removes 31,000 of the 62,453 allocations of a read+decode+lookup
	// pass. A block stays alive while any of its uids is referenced (at most 4 KiB per
	// retained uid); its bytes are never written once handed out, so the strings are
	// immutable as Go requires.
	slab []byte
}

const (
	uidLen  = 18
	uidSlab = 4096 / uidLen * uidLen
)

// NewUIDGen returns a generator; the same seed gives the same sequence of uids.
func NewUIDGen(seed uint64) *UIDGen { return &UIDGen{seed: seed} }

func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// uidFrameShift leaves room for 255 uids per frame (a frame draws one per connection it
// creates and per IP tunnel it opens, at each encapsulation level); beyond that n runs
// into the next frame's range and stays unique, as n never decreases.
const uidFrameShift = 8

// Frame sets the index of the frame being processed: the next uid drawn is the first of
// that frame. Indices must not decrease.
func (g *UIDGen) Frame(i uint64) { g.frame = i }

// N is the number of the last uid drawn: increasing in the order uids are drawn, and the
// same whichever generator draws it once frames are numbered (Frame).
func (g *UIDGen) N() uint64 { return max(g.n, g.frame<<uidFrameShift) }

// Next returns the next uid.
func (g *UIDGen) Next() string {
	g.n = g.N() + 1
	hi := mix64(g.seed ^ mix64(g.n))
	lo := mix64(hi ^ g.n*0x9e3779b97f4a7c15)
	if len(g.slab) < uidLen {
		g.slab = make([]byte, uidSlab)
	}
	b := g.slab[:uidLen:uidLen]
	g.slab = g.slab[uidLen:]
	b[0] = 'C'
	// 17 base62 digits draw on ~101 bits of the two words: 9 from lo, then 8 from lo^hi
	// (what is left of lo), least significant first; two at a time (one division by 62²).
	for i := 1; i < 9; i += 2 {
		d := &base62Pairs[lo%(62*62)]
		b[i], b[i+1] = d[0], d[1]
		lo /= 62 * 62
	}
	b[9] = base62[lo%62]
	lo = lo/62 ^ hi
	for i := 10; i < uidLen; i += 2 {
		d := &base62Pairs[lo%(62*62)]
		b[i], b[i+1] = d[0], d[1]
		lo /= 62 * 62
	}
	return unsafe.String(&b[0], uidLen)
}

// base62Pairs[v] are the two base62 digits of v < 62², least significant first.
var base62Pairs = func() (t [62 * 62][2]byte) {
	for v := range t {
		t[v] = [2]byte{base62[v%62], base62[v/62]}
	}
	return t
}()
