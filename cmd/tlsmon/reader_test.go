package main

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/tlsmon/tlsmon/capture"
)

// frames is a capture.Reader of n identical frames.
type frames struct{ n, size int }

func (r *frames) Next(f *capture.Frame) error {
	if r.n == 0 {
		return io.EOF
	}
	r.n--
	*f = capture.Frame{Data: make([]byte, r.size), File: "x.pcap", Num: 1}
	return nil
}
func (r *frames) Close() error { return nil }

func TestCountingReaderProgress(t *testing.T) {
	var buf bytes.Buffer
	c := newCountingReader(&frames{n: 3 * progressEvery, size: 100}, time.Now().Add(-3*time.Second))
	c.progress = &buf
	var f capture.Frame
	n := 0
	for c.Next(&f) == nil {
		n++
	}
	if n != 3*progressEvery || c.packets != uint64(n) || c.bytes != uint64(100*n) {
		t.Errorf("read %d frames, counted %d packets %d bytes", n, c.packets, c.bytes)
	}
	// Printed once (the next look at the clock is less than a second later), then cleared.
	if got := strings.Count(buf.String(), "packets"); got != 1 {
		t.Errorf("progress printed %d times: %q", got, buf.String())
	}
	c.clearProgress()
	if !strings.HasSuffix(buf.String(), "\r\x1b[K") {
		t.Errorf("progress line not cleared: %q", buf.String())
	}

	// A fresh run (< 2 s) prints nothing; a stop request ends the input cleanly.
	buf.Reset()
	c = newCountingReader(&frames{n: 2 * progressEvery}, time.Now())
	c.progress = &buf
	for range progressEvery {
		if err := c.Next(&f); err != nil {
			t.Fatal(err)
		}
	}
	c.stop.Store(true)
	if err := c.Next(&f); err != io.EOF || !c.interrupted() {
		t.Errorf("after stop: %v, interrupted %v", err, c.interrupted())
	}
	c.clearProgress()
	if buf.Len() != 0 {
		t.Errorf("progress on a short run: %q", buf.String())
	}
}
