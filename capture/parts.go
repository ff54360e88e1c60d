package capture

import (
	"encoding/binary"
	"sync/atomic"
)

// Parts is a mapped classic pcap (OpenMapped) cut into parts that several goroutines walk
// at once: the record chain is a chain of dependent loads, the serial part of a sharded
// run's reading. A part's start is found by looking for a plausible record header near a
// nominal offset (resync), which may be wrong: the caller must *verify* every part's start
// by walking the previous part, whose chain has to land exactly on it (Walk returns where
// it landed). By induction from the first part (which starts where the reader stands), a
// verified start is a true record boundary. When a start is not verified, or a record is
// out of the ordinary, the caller goes on with the serial reader (Resume) from the last
// verified offset: never a wrong frame.
type Parts struct {
	r    *mappedPcap
	sink atomic.Uint32 // keeps Walk's reads ahead from being optimized away
	// Bounds[k] is where part k starts (Bounds[0]: the reader's position) and
	// Bounds[len(Bounds)-1] the end of the file; non-decreasing (a part may be empty).
	Bounds []int
}

// LinkType is the link type of every frame of the file.
func (p *Parts) LinkType() uint32 { return p.r.linkType }

// Splitter is implemented by readers that can be cut into Parts (OpenMapped's, for
// classic pcap files with 16-byte record headers, before their first frame is read).
type Splitter interface {
	Reader
	// Split cuts the input into parts of about size bytes; ok is false when it cannot.
	Split(size int) (p *Parts, ok bool)
}

// Split implements Splitter.
func (r *mappedPcap) Split(size int) (*Parts, bool) {
	if r.err != nil || r.num != 0 || r.recLen != 16 || size < 1 {
		return nil, false
	}
	m := r.m
	k := max((len(m)-r.off)/size, 1)
	b := make([]int, k+1)
	b[0], b[k] = r.off, len(m)
	// A record starts within every snaplen+16 bytes of a file: a longer look finds nothing
	// more, and files whose records do not look like records (plausible) would otherwise
	// be scanned whole here, serially.
	look := int(r.snaplen) + 16
	missed := 0
	for i := k - 1; i >= 1; i-- {
		from := r.off + i*size
		o := resync(m, from, min(b[i+1], from+look), r.snaplen, r.le, r.nano)
		if o < 0 {
			o = b[i+1] // none: the part is empty, the previous one walks on
			if missed++; missed > 4 && missed > k/4 {
				return nil, false // records that do not look like records: read serially
			}
		}
		b[i] = o
	}
	return &Parts{r: r, Bounds: b}, true
}

// resync returns the first offset in m from from up to to where a record
// header starts that looks like one (plausible) and is followed by plausible ones up to
// resyncChain records (or exactly the end of m), or -1. It is a guess: see Parts.
func resync(m []byte, from, to int, snaplen uint32, le, nano bool) int {
	to = min(to, len(m)-16)
	for o := max(from, 0); o <= to; o++ {
		if chainPlausible(m, o, snaplen, le, nano) {
			return o
		}
	}
	return -1
}

// resyncChain is how many consecutive plausible records resync asks for.
const resyncChain = 8

func chainPlausible(m []byte, o int, snaplen uint32, le, nano bool) bool {
	sec0, ok := plausible(m[o:], snaplen, le, nano)
	if !ok {
		return false
	}
	for range resyncChain {
		capLen := hdrField(m[o+8:], le)
		o += 16 + int(capLen)
		if o == len(m) {
			return true
		}
		if o > len(m)-16 {
			return false
		}
		sec, ok := plausible(m[o:], snaplen, le, nano)
		if !ok || sec-sec0 > resyncSpan || sec0-sec > resyncSpan {
			return false
		}
	}
	return true
}

// resyncSpan bounds the seconds between the records of a chain resync accepts.
const resyncSpan = 86400

// plausible reports whether h (at least 16 bytes) looks like a record header of a file
// with this snaplen (its effective one), byte order and resolution: sub-second field in
// range, captured length not zero (runs of zero bytes would look like empty records), within
// the snaplen and not above the length on the wire. It returns the seconds field.
func plausible(h []byte, snaplen uint32, le, nano bool) (sec int64, ok bool) {
	sec = int64(int32(hdrField(h, le)))
	frac, capLen, wireLen := hdrField(h[4:], le), hdrField(h[8:], le), hdrField(h[12:], le)
	lim := uint32(1_000_000)
	if nano {
		lim = 1_000_000_000
	}
	return sec, frac < lim && capLen > 0 && capLen <= snaplen && capLen <= MaxCapLen && capLen <= wireLen && wireLen <= 1<<24
}

func hdrField(b []byte, le bool) uint32 {
	if le {
		return binary.LittleEndian.Uint32(b)
	}
	return binary.BigEndian.Uint32(b)
}

// Walk appends to fs the frames of the records from off on, while off < end and fs has
// room (len < cap), and returns them with the offset after the last one (next). ok is false
// when the record at next is out of the ordinary (captured length above the snaplen or the
// cap, or past the end of the file): walk it with the serial reader (Resume). The frames
// are Stable; their Num is 0: their number is known only once the parts before are
// walked (the caller knows it). Safe for concurrent use on distinct ranges.
func (p *Parts) Walk(fs []Frame, off, end int) (_ []Frame, next int, ok bool) {
	r := p.r
	m, snap := r.m, r.snaplen
	touched := off
	var x byte
	defer func() { p.sink.Add(uint32(x)) }()
	for off < end && len(fs) < cap(fs) {
		if touched < off+touchAhead {
			// The chain of headers is a chain of dependent loads: read one byte per cache
			// line ahead of it, loads the processor has in flight together (touchAhead).
			to := min(off+2*touchAhead, len(m))
			for o := max(touched, off); o < to; o += 64 {
				x += m[o]
			}
			touched = to
		}
		if len(m)-off < 16 {
			return fs, off, false
		}
		sec, frac, capLen, wireLen := r.recordHeader(m[off : off+16])
		start := off + 16
		if capLen > snap || uint64(len(m)-start) < uint64(capLen) {
			return fs, off, false
		}
		off = start + int(capLen)
		fs = fs[:len(fs)+1]
		f := &fs[len(fs)-1]
		f.Data = m[start:off:off]
		r.fill(f, sec, frac, wireLen)
		f.Num = 0
		f.Stable = true
	}
	return fs, off, true
}

// Resume returns the reader positioned at off, a verified record boundary, with num frames
// read before it: Next goes on from there as if it had read them.
func (p *Parts) Resume(off int, num uint64) Reader {
	r := p.r
	r.off, r.num = off, num
	r.dropped = max(r.dropped, min((off-mappedKeep)&^(pageSize-1), off&^(pageSize-1)), 0)
	r.touched = off
	r.setPos()
	return r
}

// Release drops the pages wholly inside m[from:to] from the mapping (they stay in the page
// cache) and publishes to as the reading position if it is further than the last one (the
// progress report). Dropped pages touched again are mapped again: releasing early costs
// time, never correctness. Safe for concurrent use.
func (p *Parts) Release(from, to int) {
	r := p.r
	a := (from + pageSize - 1) &^ (pageSize - 1)
	z := to &^ (pageSize - 1)
	if z > a {
		dropPages(r.m[a:z])
	}
	if r.pos != nil {
		for {
			at := r.pos.Load()
			if at >= int64(to) || r.pos.CompareAndSwap(at, int64(to)) {
				break
			}
		}
	}
}
