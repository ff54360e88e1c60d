package main

import (
	"fmt"
	"io"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/tlsmon/tlsmon/capture"
	"github.com/tlsmon/tlsmon/packet"
)

// countingReader passes frames through, prints a progress line now and then when asked to,
// and ends the input early once stop is set (by a signal or a write error).
type countingReader struct {
	capture.Reader
	start    time.Time
	progress io.Writer // nil: no progress line
	// size and position give the share of the input read: the bytes of the capture files
	// and how many of them have been read (size 0: unknown, as for stdin).
	size     int64
	position func() int64
	packets  uint64 // frames and bytes read, counted only for the progress line
	bytes    uint64
	last     time.Time // when the progress line was last printed
	lastPos  int64     // position then
	lastByte uint64    // bytes then
	printed  bool
	stop     atomic.Bool
	stopped  bool
	// warn receives one warning per file and link type that the decoder reads as raw IP
	// (nil: none). knownLink is the last known link type seen (0, NULL, is known): frames of
	// it need no look; lastLink and lastFile are the unknown one's, to look only at changes.
	warn      io.Writer
	knownLink uint32
	lastLink  uint32
	lastFile  string
	warned    map[string]bool
}

// progressEvery is how many frames pass between two looks at the clock.
const progressEvery = 1 << 12

func newCountingReader(r capture.Reader, start time.Time) *countingReader {
	return &countingReader{Reader: r, start: start, last: start}
}

// Next implements capture.Reader.
func (c *countingReader) Next(f *capture.Frame) error {
	if c.stop.Load() {
		c.stopped = true
		return io.EOF
	}
	if err := c.Reader.Next(f); err != nil {
		return err
	}
	if f.LinkType != c.knownLink && c.warn != nil || c.progress != nil {
		c.seen(f)
	}
	return nil
}

// seen warns of a frame's link type and counts it for the progress line, as needed.
func (c *countingReader) seen(f *capture.Frame) {
	if f.LinkType != c.knownLink && c.warn != nil {
		c.linkChanged(f)
	}
	if c.progress != nil {
		c.count(f)
	}
}

// count counts a frame for the progress line and prints it now and then.
func (c *countingReader) count(f *capture.Frame) {
	c.packets++
	c.bytes += uint64(len(f.Data))
	if c.packets%progressEvery == 0 {
		c.maybeProgress(f)
	}
}

// Split implements capture.Splitter for the sharded engine's parallel readers, which read
// the capture without calling Next (the run's stop reaches them through engine.Options.Stop):
// only when the reader below can be split, no progress line is shown (it counts frames) and
// the file's link type needs no warning.
func (c *countingReader) Split(size int) (*capture.Parts, bool) {
	sp, ok := c.Reader.(capture.Splitter)
	if !ok || c.progress != nil {
		return nil, false
	}
	p, ok := sp.Split(size)
	if !ok || (c.warn != nil && !packet.KnownLinkType(p.LinkType())) {
		return nil, false
	}
	return p, true
}

// Cursors implements capture.Cursors for the sharded engine's self-routing shards, which
// each read the whole capture with a cursor of their own (the run's stop reaches them
// through engine.Options.Stop): the last cursor's frames are counted for the progress
// line and looked at for the link-type warning, as Next's are (the last: shard 0 has the
// most frames to process, those that may carry tunnels and those without IP).
func (c *countingReader) Cursors(n int) ([]capture.Reader, bool) {
	cr, ok := c.Reader.(capture.Cursors)
	if !ok {
		return nil, false
	}
	cs, ok := cr.Cursors(n)
	if ok {
		cs[n-1] = countedCursor{cs[n-1], c}
	}
	return cs, ok
}

// countedCursor is a cursor whose frames the countingReader sees.
type countedCursor struct {
	capture.Reader
	c *countingReader
}

func (k countedCursor) Next(f *capture.Frame) error {
	if err := k.Reader.Next(f); err != nil {
		return err
	}
	k.c.seen(f)
	return nil
}

// ReadAhead implements capture.AheadReader for the reader below, if it is one.
func (c *countingReader) ReadAhead() {
	if a, ok := c.Reader.(capture.AheadReader); ok {
		a.ReadAhead()
	}
}

func (c *countingReader) maybeProgress(f *capture.Frame) {
	now := time.Now()
	el := now.Sub(c.start)
	since := now.Sub(c.last)
	if el < 2*time.Second || since < time.Second {
		return
	}
	c.printed = true
	fmt.Fprint(c.progress, "\r\x1b[K", c.progressLine(f, el, since))
	c.last, c.lastByte = now, c.bytes
	if c.position != nil {
		c.lastPos = c.position()
	}
}

// progressLine is the progress line: for files of known size, the share read, the current
// rate and the time left; for stdin, the current rate of captured bytes.
func (c *countingReader) progressLine(f *capture.Frame, el, since time.Duration) string {
	where := fmt.Sprintf("%s packet %d", f.File, f.Num)
	if c.size > 0 && c.position != nil {
		pos := c.position()
		rate := float64(pos-c.lastPos) / since.Seconds() // bytes of the files per second, now
		eta := "?"
		if rate > 0 {
			eta = clock(time.Duration(float64(c.size-pos) / rate * float64(time.Second)))
		}
		return fmt.Sprintf("tlsmon: %3.0f%% of %s read, %s/s, %s left; %s packets; %s",
			100*float64(pos)/float64(c.size), human(float64(c.size), "B"), human(rate, "B"), eta,
			human(float64(c.packets), ""), where)
	}
	rate := float64(c.bytes-c.lastByte) / since.Seconds()
	return fmt.Sprintf("tlsmon: %s packets, %s read in %s, %s/s; %s",
		human(float64(c.packets), ""), human(float64(c.bytes), "B"), clock(el), human(rate, "B"), where)
}

// clock formats d as m:ss or h:mm:ss.
func clock(d time.Duration) string {
	s := int64(d.Round(time.Second) / time.Second)
	if s >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}

// linkChanged warns, once per file and link type, of a link type the decoder has no
// decoder for: its frames are read as raw IP, which yields nothing for most of them.
func (c *countingReader) linkChanged(f *capture.Frame) {
	if packet.KnownLinkType(f.LinkType) {
		c.knownLink = f.LinkType
		return
	}
	if f.LinkType == c.lastLink && f.File == c.lastFile {
		return
	}
	c.lastLink, c.lastFile = f.LinkType, f.File
	key := f.File + "\x00" + strconv.FormatUint(uint64(f.LinkType), 10)
	if c.warned[key] {
		return
	}
	if c.warned == nil {
		c.warned = map[string]bool{}
	}
	c.warned[key] = true
	c.clearProgress()
	fmt.Fprintf(c.warn, "tlsmon: warning: %s: link type %s is not decoded: its frames are read as raw IP (from packet %d)\n",
		f.File, packet.LinkTypeName(f.LinkType), f.Num)
}

// clearProgress erases the progress line, if one was printed.
func (c *countingReader) clearProgress() {
	if c.printed {
		fmt.Fprint(c.progress, "\r\x1b[K")
	}
}

// interrupted reports whether a stop request ended the input.
func (c *countingReader) interrupted() bool { return c.stopped }
