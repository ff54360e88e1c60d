package ssl

import "math/bits"

// freeList is a bounded stack of recycled objects. Unlike a sync.Pool it is not emptied by
// garbage collections, so a long run keeps reusing the same objects (no fresh memory to
// fault in after each collection), and unlike an unbounded pool it never holds more than
// max of them, however many connections ended at once. It belongs to one Shared, so to one
// goroutine: no lock.
type freeList[T any] struct {
	items []*T
	max   int
}

// get returns a recycled object, or nil when there is none.
func (f *freeList[T]) get() *T {
	n := len(f.items)
	if n == 0 {
		return nil
	}
	x := f.items[n-1]
	f.items[n-1] = nil
	f.items = f.items[:n-1]
	return x
}

// put keeps x for a later get unless the list is full; it reports whether x was kept.
func (f *freeList[T]) put(x *T) bool {
	ok := len(f.items) < f.max
	if ok {
		f.items = append(f.items, x)
	}
	return ok
}

// Byte buffers — the gathering buffers of records split over segments (record.go) and the
// large buffers of handshake reassembly (hs_buf.go) — come from one free list of
// power-of-two size classes and go back to it as soon as what they hold was parsed, so a
// session holds a record buffer only while a record is incomplete. Before, each session
// kept up to two 18 kB buffers for its whole life (8.8 MB of perfmix's live heap at 80 % of
// the run); on this VM a page fault costs ≈ 5 µs, more than the copies: handing record
// buffers back took the one-CPU CLI run on perfmix from 16.5 k to 12.0 k page faults and
// from 755 to 650 ms of CPU (medians of 5). The list keeps at most maxFreeBytes (2 MiB:
// 35 k faults; 16 or 32 MiB: no better than 8); unlike a sync.Pool it is not emptied by
// every collection.
const (
	minFreeClass = 9  // 512 bytes: the smallest buffer
	maxBufClass  = 21 // 2 MiB: holds MaxHandshakeMessage (1 MiB) plus the header
	maxFreeBytes = 8 << 20
)

// bufFree is the free list of buffers, by log2 of the capacity.
type bufFree struct {
	bytes int
	class [maxBufClass + 1][][]byte
}

// getBuf returns an empty buffer of capacity 1<<k.
func (sh *Shared) getBuf(k int) []byte {
	if b := sh.freeBuf(k); b != nil {
		return b
	}
	return make([]byte, 0, 1<<k)
}

// freeBuf takes a buffer of capacity 1<<k from the free list; nil if there is none (or no
// free list: sh nil).
func (sh *Shared) freeBuf(k int) []byte {
	if sh == nil {
		return nil
	}
	f := &sh.bufs
	l := f.class[k]
	if len(l) == 0 {
		return nil
	}
	b := l[len(l)-1]
	l[len(l)-1] = nil
	f.class[k] = l[:len(l)-1]
	f.bytes -= cap(b)
	return b
}

// putBuf gives back a buffer of capacity 1<<k, unless the free list is full.
func (sh *Shared) putBuf(k int, b []byte) {
	if sh == nil {
		return
	}
	f := &sh.bufs
	if f.bytes+cap(b) <= maxFreeBytes {
		f.class[k] = append(f.class[k], b[:0])
		f.bytes += cap(b)
	}
}

// putLarge gives b to the free list when its capacity is one of the list's sizes.
func (sh *Shared) putLarge(b []byte) {
	c := cap(b)
	if k := bits.Len(uint(c - 1)); k >= minFreeClass && k <= maxBufClass && c == 1<<k {
		sh.putBuf(k, b)
	}
}

// smallBufClass is the class of the smallest free-list buffer holding n bytes (n ≤ 1<<maxBufClass).
func smallBufClass(n int) int {
	return max(bits.Len(uint(n-1)), minFreeClass)
}
