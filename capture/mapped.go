package capture

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"sync/atomic"
)

// OpenMapped reads the classic pcap file f (named name in errors and frames) through a
// read-only memory map of the whole file: frames are handed out straight from the mapping,
// with no copy and no read system call, and stay valid until Close (Frame.Stable), so the
// sharded engine's dispatcher hands them to the shards by reference. pos, if not nil,
// receives the number of bytes read so far (updated every MiB and at the end), for
// progress reports. Pages read long ago (mappedKeep behind the reading) are dropped from
// the mapping as it goes, so the resident set stays small; a page touched again after that
// is read again from the page cache (a lagging consumer costs time, never correctness).
//
// It returns nil, nil when f is not a regular, uncompressed classic pcap file or cannot be
// mapped (pcapng, compressed, empty, stdin, a platform without mmap): read it with NewReader
// then; f's offset is not moved. Closing the reader unmaps the file but does not close f.
//
// A file truncated while mapped makes the next access past its new end fault (SIGBUS):
// the goroutines that read the frames must run with runtime/debug.SetPanicOnFault and
// turn the recovered panic into an error with FaultError, as engine.Run does.
func OpenMapped(name string, f *os.File, pos *atomic.Int64) (Reader, error) {
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() || fi.Size() < 24 || fi.Size() > maxMapped {
		return nil, nil
	}
	var head [24]byte
	if _, err := f.ReadAt(head[:], 0); err != nil || !isPcapMagic(head[:]) {
		return nil, nil
	}
	m, unmap, ok := mapFile(f, fi.Size())
	if !ok {
		return nil, nil
	}
	pr, err := newPcap(name, bufio.NewReaderSize(bytes.NewReader(m[:24]), 24), nil)
	if err != nil {
		unmap()
		return nil, err
	}
	r := &mappedPcap{pcapReader: pr.(*pcapReader), m: m, unmap: unmap, off: 24, pos: pos}
	r.br = nil
	r.fast = r.le && r.recLen == 16
	// With four CPUs or more the reader (a sharded run's serial part) gets a helper; on
	// fewer, the helper's extra CPU (≈ a third more than the reading it saves: lines
	// read twice, by two cores) costs more than it gives (docs/PERFORMANCE.md).
	if runtime.GOMAXPROCS(0) >= 4 {
		r.help, r.helpDone = make(chan int, 1), make(chan struct{})
		go readAhead(m, r.help, r.helpDone, &r.helpSink)
	}
	r.setPos()
	return r, nil
}

const (
	// mappedKeep is how far behind the reading position pages stay mapped; mappedStep is
	// how much is dropped at once (one madvise call per step).
	mappedKeep = 4 << 20
	mappedStep = 1 << 20
	// mappedPosStep is how often the progress position is updated and the pages behind
	// dropped; mappedAhead is how much the read-ahead helper maps in at once.
	mappedPosStep = 1 << 20
	mappedAhead   = 2 << 20
)

// mappedPcap is a classic pcap reader over a mapped file. It shares pcapReader's header
// fields and frame filling; Next walks the mapping.
type mappedPcap struct {
	*pcapReader
	m       []byte
	unmap   func()
	off     int  // offset of the next record
	dropped int  // bytes at the start of m already dropped from the mapping
	touched int  // bytes at the start of m already read once (touchAhead)
	touch   bool // whether Next calls touchAhead (ReadAhead)
	fast    bool // Next's common case applies: little-endian, 16-byte headers, no error yet
	sink    byte
	posAt   int // off when pos was last updated
	pos     *atomic.Int64
	closed  bool
	// help, when not nil (four CPUs or more), asks readAhead to map in and read the pages
	// up to the offset sent; helpDone is closed when it has stopped.
	help     chan int
	helpDone chan struct{}
	helpSink atomic.Uint32 // keeps readAhead's reads from being optimized away
	// group, when not nil, makes this reader one of a mapping's cursors (Cursors), number
	// slot: the group drops the pages and publishes the position.
	group *cursorGroup
	slot  int
}

func (r *mappedPcap) Next(f *Frame) error {
	// The common case, in one place and without calls: a little-endian file, a whole record
	// within the snaplen (so within MaxCapLen: no overflow below). Everything else, errors
	// and the end of the file included, goes the general way (nextSlow).
	if off, m := r.off, r.m; r.fast && off <= len(m)-16 {
		h := m[off : off+16]
		capLen := binary.LittleEndian.Uint32(h[8:])
		start := off + 16
		if end := start + int(capLen); capLen <= r.snaplen && end <= len(m) {
			frac := int64(binary.LittleEndian.Uint32(h[4:]))
			if r.nano {
				frac /= 1000
			}
			r.num++
			r.off = end
			f.Data = m[start:end:end]
			f.Ts = int64(int32(binary.LittleEndian.Uint32(h)))*1_000_000 + frac
			f.LinkType = r.linkType
			f.WireLen = int(binary.LittleEndian.Uint32(h[12:]))
			f.Num = r.num
			f.File = r.name
			f.Stable = true
			if r.touch && r.touched < end+touchAhead {
				r.touchAhead(end)
			}
			if end-r.posAt >= mappedPosStep {
				r.setPos()
			}
			if end < len(m)-4096 {
				// the next record's header and first line, and a line a page ahead (its
				// translation): loaded while this frame is processed instead of when the
				// next Next waits for them (docs/PERFORMANCE.md, "onecore5")
				prefetch(&m[end], &m[end+4096])
			}
			return nil
		}
	}
	err := r.nextSlow(f)
	if err != nil {
		r.fast = false
	}
	return err
}

// nextSlow is Next for every case.
func (r *mappedPcap) nextSlow(f *Frame) error {
	if r.err != nil {
		return r.err
	}
	m, off, rl := r.m, r.off, r.recLen
	if len(m)-off < rl {
		if off == len(m) {
			r.err = io.EOF
			r.setPos()
			return io.EOF
		}
		r.num++
		return r.fail(readErr(io.ErrUnexpectedEOF, "record header", rl, len(m)-off))
	}
	sec, frac, capLen, wireLen := r.recordHeader(m[off : off+16])
	r.num++
	if capLen > MaxCapLen {
		return r.fail(fmt.Errorf("%w %d, bigger than maximum of %d", ErrCapLen, capLen, MaxCapLen))
	}
	keep := min(capLen, r.snaplen) // libpcap: keep the first snaplen bytes, skip the rest
	start := off + rl
	if uint64(len(m)-start) < uint64(keep) {
		return r.fail(readErr(io.ErrUnexpectedEOF, "captured", int(capLen), len(m)-start))
	}
	end := start + int(keep)
	f.Data = m[start:end:end]
	if skip := int(capLen - keep); skip > 0 {
		if len(m)-end < skip {
			return r.fail(readErr(io.ErrUnexpectedEOF, "captured", int(capLen), len(m)-start))
		}
		end += skip // beyond the snaplen: skipped
	}
	r.off = end
	if r.touch && r.touched < end+touchAhead {
		r.touchAhead(end)
	}
	r.fill(f, sec, frac, wireLen)
	f.Stable = true
	if end-r.posAt >= mappedPosStep {
		r.setPos()
	}
	return nil
}

// ReadAhead implements AheadReader: Next reads ahead of the record chain (touchAhead).
func (r *mappedPcap) ReadAhead() { r.touch = true }

// touchAhead reads one byte of each cache line up to touchAhead bytes beyond off. The
// record headers form a chain (each gives the next one's offset), so walking them waits
// for one memory load after the other; these loads do not depend on each other, so the
// processor has them in flight together and the walk finds the lines in its cache.
func (r *mappedPcap) touchAhead(off int) {
	to := min(off+2*touchAhead, len(r.m))
	var x byte
	for o := max(r.touched, off); o < to; o += 64 {
		x += r.m[o]
	}
	r.sink += x
	r.touched = to
}

// touchAhead is how far ahead of the reading touchAhead reads.
const touchAhead = 8 << 10

// setPos publishes the reading position and drops the pages far behind it.
func (r *mappedPcap) setPos() {
	r.posAt = r.off
	if r.group != nil {
		r.group.advance(r.slot, r.off)
		return
	}
	if r.pos != nil {
		r.pos.Store(int64(r.off))
	}
	if upTo := (r.off - mappedKeep) &^ (pageSize - 1); upTo-r.dropped >= mappedStep {
		dropPages(r.m[r.dropped:upTo])
		r.dropped = upTo
	}
	if r.help != nil {
		select {
		case r.help <- min(r.off+helpAhead, len(r.m)):
		default: // the helper is busy: it gets a later offset
		}
	}
	// Without a helper the pages are mapped by the reader's page faults: the kernel maps
	// the cached pages around a faulting one (fault-around) more cheaply than
	// MADV_POPULATE_READ maps them one by one (docs/PERFORMANCE.md, "Parallel readers and a
	// leaner mapped reader").
}

// helpAhead is how far ahead of the reading readAhead works.
const helpAhead = 6 << 20

// readAhead maps in and reads (one byte per cache line) the pages of m up to each offset it
// is sent, on another CPU than the reader's: the reader, the serial part of a sharded run,
// then finds the pages mapped and their lines in the shared cache instead of paying the
// page mapping and the memory latency itself. It never works more than helpAhead behind
// the offset sent (pages the reader has passed may already be dropped).
func readAhead(m []byte, req <-chan int, done chan<- struct{}, sink *atomic.Uint32) {
	defer close(done)
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		// A truncated file: stop helping; the reader meets the fault itself and reports it.
		if v := recover(); v != nil {
			if _, ok := FaultError(v); !ok {
				panic(v)
			}
		}
	}()
	at := 0
	var x byte
	for upTo := range req {
		at = max(at, upTo-helpAhead)
		for at < upTo {
			end := min(at+mappedAhead, upTo)
			populate(m[at:end])
			for o := at; o < end; o += 64 {
				x += m[o]
			}
			at = end
		}
	}
	sink.Store(uint32(x))
}

func (r *mappedPcap) Close() error {
	if r.group != nil {
		if !r.closed {
			r.closeCursor()
		}
		return nil
	}
	if !r.closed {
		r.closed = true
		if r.help != nil {
			close(r.help)
			<-r.helpDone
		}
		r.unmap()
		r.m, r.fast = nil, false
		if r.err == nil {
			r.err = &Error{File: r.name, Packet: r.num, Err: os.ErrClosed}
		}
	}
	return nil
}
