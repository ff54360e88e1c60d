package flow

// UIDGen makes Zeek-like connection uids ("C" + 17 base62 characters), deterministic for a
// given seed: the n-th uid is a keyed mix of n.
type UIDGen struct {
	seed uint64
	n    uint64
}

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

// Next returns the next uid.
func (g *UIDGen) Next() string {
	g.n++
	hi := mix64(g.seed ^ mix64(g.n))
	lo := mix64(hi ^ g.n*0x9e3779b97f4a7c15)
	var b [18]byte
	b[0] = 'C'
	for i := 1; i < 18; i++ {
		// 17 base62 digits draw on ~101 bits of the two words.
		b[i] = base62[lo%62]
		lo /= 62
		if i == 9 {
			lo ^= hi
		}
	}
	return string(b[:])
}
