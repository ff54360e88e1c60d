package ssl

import (
	"slices"

	"github.com/tlsmon/tlsmon"
)

// Real traffic repeats the same large handshake messages over and over: every connection
// to a server carries the same certificate chain. Reassembling such a message costs two
// copies of every byte (into the chunks, then the join) and, on this VM, page faults on the
// fresh memory the chunks of ≈ 90 connections in flight need (perfmix's 339 kB certificate
// chain, in 21 records of ≈ 12 segments each, took 0.2 s of the 0.57 s one-core CLI run:
// memmove 49 %, page faults 25 % of that capture's profile).
//
// A msgCache holds the last few large messages seen (header included), complete or still
// arriving. When a message begins whose header (type and length) is that of a cached one,
// its bytes are not stored but compared with the cached bytes as they arrive (verify mode,
// hsReasm.ver); bytes beyond what the entry knows yet extend it, so connections carrying
// the same message at the same time (a browser's parallel connections to one server) share
// one copy, and the first connection to bring a message writes it straight into the entry.
// Every byte a verifying direction delivered is thus equal to the entry's byte at its
// offset; when all of them are in, the entry's bytes are the message and are parsed in
// place, with the same events, no chunk, no join and no fresh memory. At the first
// difference the direction falls back to the ordinary path: the matched prefix goes into
// its own buffers from the entry, then the new bytes follow; the message it completes
// that way replaces the entry (remember).
//
// A cache belongs to one engine (CachingSpec): the per-packet path shares no mutable state
// across engines. A verifying direction holds a reference to its entry (refs), so evicting
// the entry never invalidates a message in progress; the entry's buffer goes back to the
// free list once nobody verifies against it any more. An evicted entry may still grow with
// its verifiers' bytes: what it holds stays within twice what they delivered, as a
// direction's own buffers would.
type msgCache struct {
	sh      *Shared      // the free lists its buffers come from and go back to
	entries []*cachedMsg // least recently used first
	bytes   int          // capacity of the entries' buffers
	hits    int          // messages parsed from an entry
}

// cachedMsg is one cached message: header and body, or their first bytes while the
// message is still arriving, in a buffer the cache owns.
type cachedMsg struct {
	b       []byte
	refs    int  // directions in verify mode against this entry
	evicted bool // no longer in the cache: the last reference gives the buffer back
	// its identity for consumers (tlsmon.SameBytes): the bytes of b are never written
	// again once there (an entry only grows, by copying), so all the messages parsed from
	// it are the same bytes
	id tlsmon.MessageID
}

// Bounds of a message cache. Only messages of more than cacheMinMessage bytes (header
// included) are cached: smaller ones fit the direction's own buffer and cost little.
const (
	cacheMinMessage = keepHandshakeBuffer
	cacheMaxBytes   = 4 << 20 // buffer capacity held by one cache
	cacheMaxEntries = 16
)

// lookup returns the entry whose header is hdr (marked as the most recently used), or nil.
func (c *msgCache) lookup(hdr [4]byte) *cachedMsg {
	for i, e := range c.entries {
		if [4]byte(e.b) == hdr {
			copy(c.entries[i:], c.entries[i+1:])
			c.entries[len(c.entries)-1] = e
			return e
		}
	}
	return nil
}

// insert caches the complete message b (header and body) and takes ownership of its
// buffer.
func (c *msgCache) insert(b []byte) {
	if cap(b) > cacheMaxBytes || len(b) < 4 {
		c.sh.putLarge(b)
		return
	}
	c.add(&cachedMsg{b: b})
}

// begin caches the start of a message whose header is hdr, for its first direction to
// write the message into.
func (c *msgCache) begin(hdr [4]byte) *cachedMsg {
	b := c.sh.wholeBuf(4 + msgLen(hdr[:]))
	if b == nil {
		b = c.sh.getBuf(chunkClass)
	}
	e := &cachedMsg{b: append(b, hdr[:]...)}
	c.add(e)
	return e
}

// wholeBuf returns a free buffer that holds a message of total bytes, or nil. As in
// reserve, an announced length alone does not reserve memory, but a free buffer is
// already paid for, and taking it spares the copies of growth: with it, 8 distinct
// 300 kB messages (BenchmarkLargeMessageCache/distinct) take ≈ 395 µs instead of ≈ 505 µs
// when their entries grew by doubling, and ≈ 440 µs without the cache (medians of 3).
func (sh *Shared) wholeBuf(total int) []byte {
	if k := bufClass(total); k >= 0 {
		return sh.freeBuf(k)
	}
	return nil
}

// add lists e as the most recently used entry, evicting the entry of the same header and
// least recently used ones to stay within cacheMaxEntries and cacheMaxBytes.
func (c *msgCache) add(e *cachedMsg) {
	hdr := [4]byte(e.b)
	for i, o := range c.entries {
		if [4]byte(o.b) == hdr {
			c.evict(i)
			break
		}
	}
	c.entries = append(c.entries, e)
	c.bytes += cap(e.b)
	c.fit()
}

// fit evicts least recently used entries until the cache is within its bounds.
func (c *msgCache) fit() {
	for len(c.entries) > cacheMaxEntries || c.bytes > cacheMaxBytes {
		c.evict(0)
	}
}

// grow makes room in e.b for need bytes of a message of total bytes: capacity at most
// doubles, from the free list's sizes (newBuf), and never exceeds the message's class.
func (c *msgCache) grow(sh *Shared, e *cachedMsg, need, total int) {
	old := e.b
	nb := sh.wholeBuf(total)
	if nb == nil {
		nb = sh.newBuf(min(max(need, 2*cap(old)), total))
	}
	e.b = append(nb, old...)
	sh.putLarge(old)
	if c == nil {
		return
	}
	if i := slices.Index(c.entries, e); i >= 0 {
		c.bytes += cap(e.b) - cap(old)
		c.entries = append(slices.Delete(c.entries, i, i+1), e) // most recently used
		c.fit()
	}
}

// evict removes entry i; its buffer goes back to the free list unless a direction still
// verifies against it.
func (c *msgCache) evict(i int) {
	e := c.entries[i]
	c.entries = slices.Delete(c.entries, i, i+1)
	c.bytes -= cap(e.b)
	e.evicted = true
	if e.refs == 0 {
		c.sh.putLarge(e.b)
		e.b = nil
	}
}

// unref ends one direction's use of e.
func (e *cachedMsg) unref(sh *Shared) {
	e.refs--
	if e.refs == 0 && e.evicted {
		sh.putLarge(e.b)
		e.b = nil
	}
}

// startVerify puts r, which holds at most a message header, in verify mode against the
// cached message whose header is r.buf followed by data, or a new entry for it.
func (r *hsReasm) startVerify(c *msgCache, data []byte) bool {
	var hdr [4]byte
	n := copy(hdr[:], r.buf)
	if n+copy(hdr[n:], data) < 4 {
		return false
	}
	e := c.lookup(hdr)
	if e == nil {
		e = c.begin(hdr)
	}
	e.refs++
	r.ver, r.verified = e, len(r.buf) // r.buf is the header's start: e.b's
	r.buf = r.buf[:0]
	return true
}

// verify compares data, the next bytes of the message, with the cached message, and
// appends to the entry those beyond the bytes it knows. It returns true when they match;
// otherwise r has left verify mode and holds, in its ordinary buffers, the bytes that
// matched, for data to be added after them.
func (r *hsReasm) verify(c *msgCache, data []byte, total int) bool {
	e := r.ver
	known := e.b[r.verified:] // a verifier is never ahead of the entry: it extends it
	n := min(len(data), len(known))
	if string(data[:n]) == string(known[:n]) && r.verified+len(data) <= total {
		if rest := data[n:]; len(rest) > 0 {
			if need := len(e.b) + len(rest); need > cap(e.b) {
				c.grow(r.sh, e, need, total)
			}
			e.b = append(e.b, rest...)
		}
		r.verified += len(data)
		return true
	}
	k := r.verified
	r.ver, r.verified = nil, 0
	r.add(nil, e.b[:k], total)
	e.unref(r.sh) // after the copy: it may give the buffer back
	return false
}

// complete returns the message r has reassembled, valid until release: in verify mode,
// the cached message, every byte of which matched.
func (r *hsReasm) complete(c *msgCache) []byte {
	if r.ver != nil {
		c.hits++
	}
	return r.join()
}

// proven returns the identity of the message complete returned when it is a cached one,
// or nil.
func (r *hsReasm) proven() *tlsmon.MessageID {
	if r.ver == nil {
		return nil
	}
	return &r.ver.id
}

// endVerify drops r's reference to its cached message.
func (r *hsReasm) endVerify() {
	if e := r.ver; e != nil {
		r.ver, r.verified = nil, 0
		e.unref(r.sh)
	}
}

// remember caches the message r has just reassembled in its own buffers (total bytes,
// header included; a direction that left verify mode) in c when it is large enough,
// handing over the buffer that holds it, or a copy when r may not give that one away.
func (r *hsReasm) remember(c *msgCache, total int) {
	if c == nil || r.ver != nil || total <= cacheMinMessage {
		return
	}
	var b []byte
	switch {
	case r.joined != nil:
		b, r.joined = r.joined, nil
	case len(r.chunks) == 1:
		b = r.chunks[0]
		r.chunks[0] = nil
		r.chunks, r.chunked = r.chunks[:0], 0
	case len(r.chunks) == 0 && cap(r.buf) > keepHandshakeBuffer:
		b, r.buf = r.buf, nil
	default:
		k := bufClass(total)
		if k < 0 {
			return
		}
		b = append(r.sh.getBuf(k), r.join()...)
	}
	c.insert(b)
}
