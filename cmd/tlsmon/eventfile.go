package main

import (
	"bufio"
	"io"

	"github.com/tlsmon/tlsmon"
)

// eventFile writes every SSL event it receives as one canonical JSON line (FORMAT.md of the
// conformance corpus); other events are ignored. It reuses one line buffer: no allocation
// per event once the buffer has grown to the longest line.
type eventFile struct {
	w    *bufio.Writer
	line []byte
	err  error // first write error; later events are dropped
}

func newEventFile(w io.Writer) *eventFile {
	return &eventFile{w: bufio.NewWriterSize(w, 64<<10), line: make([]byte, 0, 1024)}
}

// HandleEvent implements tlsmon.Handler.
func (f *eventFile) HandleEvent(e tlsmon.Event) {
	ev, ok := e.(tlsmon.SSLEvent)
	if !ok || f.err != nil {
		return
	}
	f.line = tlsmon.AppendCanonical(f.line[:0], ev)
	f.line = append(f.line, '\n')
	_, f.err = f.w.Write(f.line)
}

// Flush writes out what is buffered and returns the first error met.
func (f *eventFile) Flush() error {
	if f.err != nil {
		return f.err
	}
	return f.w.Flush()
}
