package ssl

import (
	"math/bits"

	"github.com/tlsmon/tlsmon/budget"
)

// Handshake messages that span records are reassembled in a per-direction buffer. Small
// buffers stay with the connection's state (and are recycled with it); buffers larger than
// keepHandshakeBuffer are taken from, and given back to, the free list of power-of-two
// size classes (freelist.go) as soon as the message they hold was parsed, so a capture
// full of large certificate chains allocates them once rather than once per connection.
const (
	keepHandshakeBuffer = 16 << 10
	minBufClass         = 15          // 32 KiB: the smallest buffer of a handshake message
	chunkClass          = minBufClass // chunks of large messages: 32 KiB
)

// bufClass is the pool class (log2 of the capacity) holding at least n bytes, or -1 when
// n is too large to pool.
func bufClass(n int) int {
	k := max(bits.Len(uint(n-1)), minBufClass)
	if k > maxBufClass {
		return -1
	}
	return k
}

// add appends data to the message being reassembled, whose full size (header included)
// is total (0: unknown). A message larger than keepHandshakeBuffer that outgrows the
// direction's buffer is gathered in chunks of 1<<chunkClass bytes from the free list and
// joined once complete (join), instead of growing one buffer by doubling: each byte is
// copied once on the way in and once when joined, never at every growth step, and the
// joined buffer, held only while the message is parsed, goes straight back to the free
// list. What is held stays within a chunk of what arrived.
//
// With a message cache c (nil: none), a large message is not stored here but compared with,
// or written into, the cache's entry for its header (verify mode, hs_cache.go); it comes
// here only from its first difference with the entry on.
func (r *hsReasm) add(c *msgCache, data []byte, total int) {
	if r.ver != nil || (c != nil && total > cacheMinMessage && r.chunked == 0 && len(r.buf) <= 4 && r.startVerify(c, data)) {
		if r.verify(c, data, total) {
			return
		}
	}
	if len(r.chunks) == 0 {
		if len(r.buf)+len(data) <= cap(r.buf) || total <= keepHandshakeBuffer {
			r.reserve(len(data), total)
			r.buf = append(r.buf, data...)
			return
		}
		r.drawChunk()
		c := append(r.sh.getBuf(chunkClass), r.buf...)
		r.buf = r.buf[:0]
		r.chunks = append(r.chunks, c)
		r.chunked = len(c)
	}
	for len(data) > 0 {
		last := &r.chunks[len(r.chunks)-1]
		if len(*last) == cap(*last) {
			r.drawChunk()
			r.chunks = append(r.chunks, r.sh.getBuf(chunkClass))
			continue
		}
		n := copy((*last)[len(*last):cap(*last)], data)
		*last = (*last)[:len(*last)+n]
		r.chunked += n
		data = data[n:]
	}
}

// drawChunk counts a chunk in the memory budget (Config.Budget), for the session's holder
// when there is one. The draw is never refused (the message is within its own cap): when
// the budget is short it sheds others first (package budget).
func (r *hsReasm) drawChunk() {
	if b := r.sh.Budget(); b != nil {
		b.Force(r.mem, budget.Handshake, 1<<chunkClass)
		r.drawn += 1 << chunkClass
	}
}

// size is the number of bytes of the message buffered so far.
func (r *hsReasm) size() int { return r.chunked + len(r.buf) + r.verified }

// header returns the first bytes buffered (the message header once size() >= 4).
func (r *hsReasm) header() []byte {
	if r.ver != nil {
		return r.ver.b
	}
	if len(r.chunks) > 0 {
		return r.chunks[0]
	}
	return r.buf
}

// join returns the buffered message as one slice, valid until release.
func (r *hsReasm) join() []byte {
	if r.ver != nil {
		return r.ver.b[:r.verified] // every byte matched the cached message
	}
	switch len(r.chunks) {
	case 0:
		return r.buf
	case 1:
		return r.chunks[0]
	}
	k := bufClass(r.chunked)
	var b []byte
	if k >= 0 {
		b = r.sh.getBuf(k)
	}
	for _, c := range r.chunks {
		b = append(b, c...)
	}
	r.joined = b
	return b
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
		nb = r.sh.freeBuf(k)
	}
	if nb == nil {
		nb = r.sh.newBuf(r.grownCap(need, total))
	}
	nb = append(nb, r.buf...)
	r.releaseBuf()
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
func (sh *Shared) newBuf(c int) []byte {
	if k := bufClass(c); c > keepHandshakeBuffer && k >= 0 {
		return sh.getBuf(k)
	}
	return make([]byte, 0, c)
}

// release empties the reassembly state, giving chunks and large buffers back to the free
// list; small buffers are kept. A direction in verify mode drops its cached message.
func (r *hsReasm) release() {
	r.endVerify()
	for i, c := range r.chunks {
		r.sh.putLarge(c)
		r.chunks[i] = nil
	}
	r.chunks = r.chunks[:0]
	r.chunked = 0
	if r.joined != nil {
		r.sh.putLarge(r.joined)
		r.joined = nil
	}
	if r.drawn > 0 {
		r.sh.Budget().Release(r.mem, budget.Handshake, r.drawn)
		r.drawn = 0
	}
	r.releaseBuf()
}

// releaseBuf empties r.buf, giving it back to the free list when it is a large one.
func (r *hsReasm) releaseBuf() {
	if cap(r.buf) <= keepHandshakeBuffer {
		r.buf = r.buf[:0]
		return
	}
	r.sh.putLarge(r.buf)
	r.buf = nil
}
