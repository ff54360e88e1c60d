package ssl

import (
	"math/bits"
	"sync"
)

// Handshake messages that span records are reassembled in a per-direction buffer. Small
// buffers stay with the connection's state (and are recycled with it); buffers larger than
// keepHandshakeBuffer are taken from, and given back to, a free list of power-of-two size
// classes as soon as the message they hold was parsed, so a capture full of large
// certificate chains allocates them once rather than once per connection. The free list
// keeps at most maxFreeBytes (unlike a sync.Pool it is not emptied by every collection).
const (
	keepHandshakeBuffer = 16 << 10
	minBufClass         = 15 // 32 KiB: the smallest pooled buffer
	maxBufClass         = 21 // 2 MiB: holds MaxHandshakeMessage (1 MiB) plus the header
	maxFreeBytes        = 8 << 20
)

// freeBufs is the free list of large reassembly buffers, by log2 of the capacity.
var freeBufs struct {
	sync.Mutex
	bytes int
	class [maxBufClass + 1][][]byte
}

// getBuf returns an empty buffer of capacity 1<<k.
func getBuf(k int) []byte {
	if b := freeBuf(k); b != nil {
		return b
	}
	return make([]byte, 0, 1<<k)
}

// freeBuf takes a buffer of capacity 1<<k from the free list; nil if there is none.
func freeBuf(k int) []byte {
	f := &freeBufs
	f.Lock()
	defer f.Unlock()
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
func putBuf(k int, b []byte) {
	f := &freeBufs
	f.Lock()
	if f.bytes+cap(b) <= maxFreeBytes {
		f.class[k] = append(f.class[k], b[:0])
		f.bytes += cap(b)
	}
	f.Unlock()
}

// bufClass is the pool class (log2 of the capacity) holding at least n bytes, or -1 when
// n is too large to pool.
func bufClass(n int) int {
	k := max(bits.Len(uint(n-1)), minBufClass)
	if k > maxBufClass {
		return -1
	}
	return k
}

// reserve makes room in r.buf for add more bytes of a message whose full size (header
// included) is total, or unknown when total is 0. Capacity grows at most by doubling and
// never beyond the message, so what is held stays within twice what arrived: an announced
// length alone does not reserve memory. The exception is a free buffer that holds the whole
// message: it is already paid for, and taking it spares the copies of step-by-step growth.
func (r *hsReasm) reserve(add, total int) {
	need := len(r.buf) + add
	if need <= cap(r.buf) {
		return
	}
	var nb []byte
	if k := bufClass(total); total > keepHandshakeBuffer && total >= need && k >= 0 {
		nb = freeBuf(k)
	}
	if nb == nil {
		nb = newBuf(r.grownCap(need, total))
	}
	nb = append(nb, r.buf...)
	r.release()
	r.buf = nb
}

// grownCap is the capacity for need bytes of a message of total bytes (0: unknown).
func (r *hsReasm) grownCap(need, total int) int {
	c := max(need, 2*cap(r.buf), 256)
	if total >= need {
		c = min(c, total)
		if total > keepHandshakeBuffer && 2*need >= 1<<minBufClass {
			c = max(c, 1<<minBufClass) // headed for the free list's sizes: skip the small one
		}
	}
	return c
}

// newBuf returns an empty buffer of capacity c or more: small ones are allocated, large
// ones come in the free list's power-of-two sizes.
func newBuf(c int) []byte {
	if k := bufClass(c); c > keepHandshakeBuffer && k >= 0 {
		return getBuf(k)
	}
	return make([]byte, 0, c)
}

// release empties r.buf, giving it back to the free list when it is a large one; small
// buffers are kept.
func (r *hsReasm) release() {
	c := cap(r.buf)
	if c <= keepHandshakeBuffer {
		r.buf = r.buf[:0]
		return
	}
	if k := bufClass(c); k >= 0 && c == 1<<k {
		putBuf(k, r.buf)
	}
	r.buf = nil
}
