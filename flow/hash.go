package flow

import (
	"encoding/binary"
	"math/bits"
	"math/rand/v2"
)

// connMap is the table's index: a chained hash table of connections by key. The chain
// link, the key's hash and its addresses live in Conn (its ports are the ID's), so the
// index costs one pointer per bucket and nothing per lookup.
type connMap struct {
	buckets []*Conn
	n       int
	// mix holds the hash's words: the table's random seed, three constants and the seed
	// xor the second, loaded by the hash rather than built (a 64-bit constant costs an
	// instruction of its own).
	mix [5]uint64
	// last is the connection the previous lookup found (nil once it leaves the map): about
	// a third of the packets belong to the previous packet's connection, and for them the
	// lookup skips the hash and the chain.
	last *Conn
}

const minBuckets = 1024

func (m *connMap) init() {
	m.buckets = make([]*Conn, minBuckets)
	seed := rand.Uint64() | 1 // random per table: chains cannot be predicted from outside
	const m1, m2, m3 = 0xa0761d6478bd642f, 0xe7037ed1a0b428db, 0x8ebc6af09c88c6e3
	m.mix = [5]uint64{seed, m1, m2, m3, seed ^ m2}
}

// get returns the connection of a key (already canonical, so both directions hash alike),
// if any, and the key's hash.
func (m *connMap) get(k *Key) (*Conn, uint32) {
	return m.getTuple(&k.A, &k.B, k.PA, k.PB, k.Proto)
}

// getTuple is get with the key given by its parts (a, pa: the endpoint that sorts first),
// so that the per-packet path need not copy the addresses into a Key. It hashes the key
// too, and the key comparison is written out: this is one of the few calls every packet
// makes, and one call rather than three keeps the caller's values in registers.
func (m *connMap) getTuple(a, b *[16]byte, pa, pb uint16, proto uint8) (*Conn, uint32) {
	a0 := binary.LittleEndian.Uint64(a[:8])
	a1 := binary.LittleEndian.Uint64(a[8:])
	b0 := binary.LittleEndian.Uint64(b[:8])
	b1 := binary.LittleEndian.Uint64(b[8:])
	// (the second words first: an IPv4 address's first word is zero, as IPv4-mapped)
	if c := m.last; c != nil && c.keyA[1] == a1 && c.keyB[1] == b1 && c.hasPorts(pa, pb) &&
		c.keyA[0] == a0 && c.keyB[0] == b0 && c.proto == proto {
		return c, c.hash
	}
	ports := uint64(pa)<<24 | uint64(pb)<<8 | uint64(proto)
	x := &m.mix
	h64 := mum(a0^x[0], a1^x[1]) ^ mum(b0^x[2], b1^x[0]) ^ mum(ports^x[3], x[4])
	h := uint32(h64 ^ h64>>32)
	for c := m.buckets[h&uint32(len(m.buckets)-1)]; c != nil; c = c.next {
		if c.hash != h || c.proto != proto {
			continue
		}
		if c.hasPorts(pa, pb) && c.keyA == [2]uint64{a0, a1} && c.keyB == [2]uint64{b0, b1} {
			m.last = c
			return c, h
		}
	}
	return nil, h
}

// hasPorts reports whether the key's ports are pa and pb: the ID's, unflipped (pa is the
// port of the endpoint that sorts first).
func (c *Conn) hasPorts(pa, pb uint16) bool {
	id := &c.Info.ID
	px, py := id.OrigP, id.RespP
	if c.origSide != 0 {
		px, py = py, px
	}
	return px == pa && py == pb
}

func mum(a, b uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	return hi ^ lo
}

// put adds c, whose hash is set and whose key is not in the map.
func (m *connMap) put(c *Conn) {
	if m.n >= len(m.buckets) {
		m.grow(len(m.buckets) * 2)
	}
	b := &m.buckets[c.hash&uint32(len(m.buckets)-1)]
	c.next = *b
	*b = c
	m.n++
}

// del removes c if it is in the map.
func (m *connMap) del(c *Conn) bool {
	for p := &m.buckets[c.hash&uint32(len(m.buckets)-1)]; *p != nil; p = &(*p).next {
		if *p == c {
			*p = c.next
			c.next = nil
			m.n--
			if m.last == c {
				m.last = nil
			}
			if m.n < len(m.buckets)/8 && len(m.buckets) > minBuckets {
				m.grow(len(m.buckets) / 2)
			}
			return true
		}
	}
	return false
}

func (m *connMap) grow(size int) {
	old := m.buckets
	m.buckets = make([]*Conn, size)
	mask := uint32(size - 1)
	for _, c := range old {
		for c != nil {
			next := c.next
			b := &m.buckets[c.hash&mask]
			c.next = *b
			*b = c
			c = next
		}
	}
}

// each calls f for every connection.
func (m *connMap) each(f func(*Conn)) {
	for _, c := range m.buckets {
		for c != nil {
			next := c.next
			f(c)
			c = next
		}
	}
}
