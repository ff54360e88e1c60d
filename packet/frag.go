package packet

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"slices"

	"github.com/tlsmon/tlsmon/budget"
)

// IP fragment reassembly, following Zeek's FragReassembler: datagrams are keyed by
// (version, src, dst, id) like Zeek (the protocol is checked, not keyed: a mismatch is a
// fragment_protocol_inconsistency weird); the first bytes received for an offset win and
// later overlapping bytes are compared (fragment_overlap / fragment_inconsistency); the
// datagram is complete when contiguous data reaches the size implied by the last fragment,
// and it is delivered with the timestamp of the completing fragment. Pending datagrams
// expire FragmentTimeout after their first fragment (Zeek's frag_timeout, 5 min).

const (
	maxDatagram         = 65535 // bytes of fragment data past the header
	minAcceptableFrag   = 64
	maxAcceptableFrag   = 64000
	maxFreeDatagrams    = 16
	maxUnfragmentableV6 = 512 // IPv6 headers before the fragment header
)

type fragKey struct {
	v6       bool
	src, dst [16]byte
	id       uint32
}

type span struct{ lo, hi int }

type datagram struct {
	key      fragKey
	expiry   int64
	hdr      []byte // IP header (v4) or unfragmentable part (v6) of the first fragment seen
	nhPos    int    // v6: offset in hdr of the next-header byte that named the fragment header
	proto    uint8  // v4: ip_p of the first fragment; v6: next header of the offset-0 fragment
	data     []byte // fragment data, len = highest end seen
	have     []span // sorted, disjoint, non-adjacent
	fragSize int    // 0: not known yet
	nfrags   int
	seq      uint64 // order of creation (ties of expiry when shedding)
}

type fragTable struct {
	m          map[fragKey]*datagram
	bytes      int
	nextExpiry int64
	free       []*datagram
	// mem is the memory budget the bytes are drawn from (Config.Budget; nil: none);
	// growing is the datagram being grown (never shed meanwhile); seq counts datagrams.
	mem     *budget.Budget
	growing *datagram
	seq     uint64
}

func (t *fragTable) init() {
	t.m = make(map[fragKey]*datagram)
	t.nextExpiry = 1<<63 - 1
}

// due reports whether a datagram may have timed out by ts: one comparison a frame. With
// nothing pending, nextExpiry is past every time, or an expiry that has since been
// removed, for which expire finds nothing and moves nextExpiry past every time.
func (t *fragTable) due(ts int64) bool { return ts >= t.nextExpiry }

func (t *fragTable) cost(g *datagram) int { return cap(g.data) + cap(g.hdr) }

func (t *fragTable) remove(g *datagram) {
	delete(t.m, g.key)
	t.bytes -= t.cost(g)
	t.mem.Release(nil, budget.Fragments, int64(t.cost(g)))
	if len(t.free) < maxFreeDatagrams && cap(g.data) <= maxDatagram {
		g.data, g.hdr, g.have = g.data[:0], g.hdr[:0], g.have[:0]
		t.free = append(t.free, g)
	}
}

// expire drops datagrams whose timeout passed and returns how many.
func (t *fragTable) expire(now int64) uint64 {
	var n uint64
	next := int64(1<<63 - 1)
	for _, g := range t.m {
		if g.expiry <= now {
			t.remove(g)
			n++
		} else if g.expiry < next {
			next = g.expiry
		}
	}
	t.nextExpiry = next
	return n
}

func (d *Decoder) lookup(key fragKey, ts int64, hdr []byte) *datagram {
	t := &d.frags
	if g := t.m[key]; g != nil {
		return g
	}
	var g *datagram
	if n := len(t.free); n > 0 {
		g, t.free = t.free[n-1], t.free[:n-1]
	} else {
		g = &datagram{}
	}
	g.hdr = append(g.hdr[:0], hdr...)
	if t.bytes+t.cost(g) > d.cfg.MaxFragmentBytes {
		d.stats.FragBytesCapHits++
		return nil // g is left to the garbage collector
	}
	if !t.mem.Draw(nil, budget.Fragments, int64(t.cost(g))) {
		return nil // refused by the memory budget (which reports it)
	}
	t.seq++
	g.seq = t.seq
	g.key = key
	g.expiry = ts + d.cfg.FragmentTimeout.Microseconds()
	g.fragSize, g.nfrags = 0, 0
	t.m[key] = g
	t.bytes += t.cost(g)
	if len(t.m) == 1 || g.expiry < t.nextExpiry {
		t.nextExpiry = g.expiry
	}
	return g
}

func (d *Decoder) fragment4(b []byte, hl, total int, ff uint16, p *Packet) (Status, error) {
	var key fragKey
	key.src, key.dst = p.Src, p.Dst
	key.id = uint32(binary.BigEndian.Uint16(b[4:]))
	g := d.frags.m[key]
	if g == nil {
		g = d.lookup(key, p.Ts, b[:hl])
		if g == nil {
			return Malformed, errFragDropped
		}
		g.proto = b[9]
	} else if b[9] != g.proto || hl != len(g.hdr) {
		p.Weirds = append(p.Weirds, "fragment_protocol_inconsistency")
	}
	if ff&0x4000 != 0 {
		p.Weirds = append(p.Weirds, "fragment_with_DF")
	}
	off := int(ff&0x1fff) * 8
	st, err := d.addFragment(g, off, b[hl:total], ff&0x2000 != 0, total, p)
	if st != OK {
		return st, err
	}
	// Rebuild: first fragment's header, fixed length, no fragment bits.
	hl, size := len(g.hdr), g.fragSize
	n := hl + size
	d.reasm = append(append(d.reasm[:0], g.hdr...), g.data[:size]...)
	binary.BigEndian.PutUint16(d.reasm[2:], uint16(n))
	binary.BigEndian.PutUint16(d.reasm[6:], 0)
	d.frags.remove(g)
	d.stats.Reassembled++
	p.Reassembled = true
	p.IPLen = n
	p.TTL = d.reasm[8]
	p.Proto = d.reasm[9]
	return d.transport(d.reasm[hl:n], size, p)
}

// fragment6 handles an IPv6 fragment; b is the whole captured packet (cut to its length),
// off the fragment header's offset and nhPos the offset of the next-header byte naming it.
func (d *Decoder) fragment6(b []byte, off, nhPos int, p *Packet) (Status, error) {
	if off > maxUnfragmentableV6 {
		d.stats.FragTooLarge++
		return Malformed, errFragDropped
	}
	h := b[off : off+8]
	var key fragKey
	key.v6 = true
	copy(key.src[:], b[8:24])
	copy(key.dst[:], b[24:40])
	key.id = binary.BigEndian.Uint32(h[4:])
	fo := binary.BigEndian.Uint16(h[2:])
	g := d.frags.m[key]
	if g == nil {
		g = d.lookup(key, p.Ts, b[:off])
		if g == nil {
			return Malformed, errFragDropped
		}
		g.nhPos = nhPos
		g.proto = h[0]
	} else if h[0] != g.proto || off != len(g.hdr) {
		p.Weirds = append(p.Weirds, "fragment_protocol_inconsistency")
	}
	if fo&0xfff8 == 0 {
		g.proto = h[0] // the offset-0 fragment's next header is the one that counts
	}
	st, err := d.addFragment(g, int(fo&0xfff8), b[off+8:], fo&1 != 0, len(b), p)
	if st != OK {
		return st, err
	}
	hl := len(g.hdr)
	n := hl + g.fragSize
	d.reasm = append(append(d.reasm[:0], g.hdr...), g.data[:g.fragSize]...)
	binary.BigEndian.PutUint16(d.reasm[4:], uint16(n-40))
	d.reasm[g.nhPos] = g.proto
	d.frags.remove(g)
	d.stats.Reassembled++
	p.Reassembled = true
	// Decode the rebuilt datagram from its IPv6 header: the extension headers after the
	// fragment header (now part of the data) are parsed as usual.
	weirds := p.Weirds
	ts := p.Ts
	*p = Packet{Ts: ts, Weirds: weirds, Reassembled: true}
	return d.ipv6(d.reasm, -1, p)
}

// addFragment adds one fragment's data at off. It returns OK when the datagram is complete
// (g.fragSize bytes of g.data are valid), Fragment while it is not, Malformed when the
// fragment was dropped. fragLen is the fragment's length counted as Zeek does (with its
// header) for the small-fragment check.
func (d *Decoder) addFragment(g *datagram, off int, data []byte, mf bool, fragLen int, p *Packet) (Status, error) {
	t := &d.frags
	upper := off + len(data)
	if !mf {
		if g.fragSize == 0 {
			g.fragSize = upper
		} else if upper != g.fragSize {
			p.Weirds = append(p.Weirds, "fragment_size_inconsistency")
			g.fragSize = max(g.fragSize, upper)
		}
	} else if fragLen < minAcceptableFrag {
		p.Weirds = append(p.Weirds, "excessively_small_fragment")
	}
	if upper > maxAcceptableFrag {
		p.Weirds = append(p.Weirds, "excessively_large_fragment")
	}
	if g.fragSize != 0 && upper > g.fragSize {
		p.Weirds = append(p.Weirds, "fragment_size_inconsistency")
		g.fragSize = upper
	}
	if upper > maxDatagram || g.fragSize > maxDatagram {
		d.stats.FragTooLarge++
		t.remove(g)
		return Malformed, errFragDropped
	}
	g.nfrags++
	if g.nfrags > d.cfg.MaxFragmentsPerDatagram {
		d.stats.FragCountCapHits++
		t.remove(g)
		return Malformed, errFragDropped
	}
	if upper > len(g.data) {
		grow := upper - len(g.data)
		if upper > cap(g.data) {
			newCap := max(upper, min(2*cap(g.data), maxDatagram), 1024)
			if t.bytes+newCap-cap(g.data) > d.cfg.MaxFragmentBytes {
				d.stats.FragBytesCapHits++
				t.remove(g)
				return Malformed, errFragDropped
			}
			t.growing = g
			ok := t.mem.Draw(nil, budget.Fragments, int64(newCap-cap(g.data)))
			t.growing = nil
			if !ok {
				t.remove(g)
				return Malformed, errFragDropped
			}
			nd := make([]byte, len(g.data), newCap)
			copy(nd, g.data)
			t.bytes += newCap - cap(g.data)
			g.data = nd
		}
		g.data = g.data[:len(g.data)+grow]
	}
	d.stats.Fragments++
	g.insert(off, data, p)
	if !g.complete(p) {
		return Fragment, nil
	}
	return OK, nil
}

// insert copies data into the holes of [off, off+len(data)) and compares the rest.
func (g *datagram) insert(off int, data []byte, p *Packet) {
	lo, hi := off, off+len(data)
	if lo == hi {
		return
	}
	pos := lo
	overlap, differ := false, false
	for _, s := range g.have {
		if s.hi <= pos {
			continue
		}
		if s.lo >= hi {
			break
		}
		if s.lo > pos {
			copy(g.data[pos:s.lo], data[pos-lo:s.lo-lo])
		}
		ol, oh := max(s.lo, pos), min(s.hi, hi)
		overlap = true
		if !bytes.Equal(g.data[ol:oh], data[ol-lo:oh-lo]) {
			differ = true
		}
		pos = oh
	}
	if pos < hi {
		copy(g.data[pos:hi], data[pos-lo:])
	}
	if differ {
		p.Weirds = append(p.Weirds, "fragment_inconsistency")
	} else if overlap {
		p.Weirds = append(p.Weirds, "fragment_overlap")
	}
	// Merge [lo, hi) into the span list (touching spans coalesce).
	i := 0
	for i < len(g.have) && g.have[i].hi < lo {
		i++
	}
	j := i
	for j < len(g.have) && g.have[j].lo <= hi {
		lo, hi = min(lo, g.have[j].lo), max(hi, g.have[j].hi)
		j++
	}
	if i == j {
		g.have = append(g.have, span{})
		copy(g.have[i+1:], g.have[i:])
		g.have[i] = span{lo, hi}
		return
	}
	g.have[i] = span{lo, hi}
	g.have = append(g.have[:i+1], g.have[j:]...)
}

// complete reports whether the datagram can be delivered, adjusting fragSize the way Zeek
// does when data runs past it.
func (g *datagram) complete(p *Packet) bool {
	if g.fragSize == 0 || len(g.have) == 0 || g.have[0].lo > 0 {
		return false
	}
	e := g.have[0].hi
	if len(g.have) > 1 { // a hole
		if e >= g.fragSize {
			p.Weirds = append(p.Weirds, "fragment_size_inconsistency")
			g.fragSize = e
			return true
		}
		return false
	}
	if e > g.fragSize {
		p.Weirds = append(p.Weirds, "fragment_size_inconsistency")
		g.fragSize = e
	}
	return e >= g.fragSize
}

// ShedFragments is the memory budget's fragment shedder (budget.Budget.Fragments): it drops
// the datagrams never completed, oldest first, until need bytes (and at least a quarter of
// the bytes held, so that a flood does not make it run for every fragment) were released,
// and returns the bytes released. Each dropped datagram is counted in
// DecoderStats.FragShed.
func (d *Decoder) ShedFragments(need int64) int64 {
	t := &d.frags
	gs := make([]*datagram, 0, len(t.m))
	for _, g := range t.m {
		if g != t.growing {
			gs = append(gs, g)
		}
	}
	slices.SortFunc(gs, func(a, b *datagram) int {
		if a.expiry != b.expiry {
			return cmp.Compare(a.expiry, b.expiry)
		}
		return cmp.Compare(a.seq, b.seq)
	})
	before := t.bytes
	target := max(need, int64(before)/4)
	for _, g := range gs {
		if int64(before-t.bytes) >= target {
			break
		}
		t.remove(g)
		d.stats.FragShed++
	}
	return int64(before - t.bytes)
}
