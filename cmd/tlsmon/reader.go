package main

import (
	"fmt"
	"io"
	"sync/atomic"
	"time"

	"github.com/tlsmon/tlsmon/capture"
)

// countingReader passes frames through, prints a progress line now and then when asked to,
// and ends the input early once stop is set (by a signal).
type countingReader struct {
	capture.Reader
	start    time.Time
	progress io.Writer // nil: no progress line
	packets  uint64
	bytes    uint64
	last     time.Time // when the progress line was last printed
	printed  bool
	stop     atomic.Bool
	stopped  bool
}

// progressEvery is how many frames pass between two looks at the clock.
const progressEvery = 1 << 12

func newCountingReader(r capture.Reader, start time.Time) *countingReader {
	return &countingReader{Reader: r, start: start}
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
	c.packets++
	c.bytes += uint64(len(f.Data))
	if c.progress != nil && c.packets%progressEvery == 0 {
		c.maybeProgress(f)
	}
	return nil
}

func (c *countingReader) maybeProgress(f *capture.Frame) {
	now := time.Now()
	el := now.Sub(c.start)
	if el < 2*time.Second || now.Sub(c.last) < time.Second {
		return
	}
	c.last = now
	c.printed = true
	fmt.Fprintf(c.progress, "\r\x1b[Ktlsmon: %s packets, %s, %.0f s, %s/s — %s packet %d",
		human(float64(c.packets), ""), human(float64(c.bytes), "B"), el.Seconds(),
		human(float64(c.bytes)/el.Seconds(), "B"), f.File, f.Num)
}

// clearProgress erases the progress line, if one was printed.
func (c *countingReader) clearProgress() {
	if c.printed {
		fmt.Fprint(c.progress, "\r\x1b[K")
	}
}

// interrupted reports whether a signal ended the input.
func (c *countingReader) interrupted() bool { return c.stopped }
