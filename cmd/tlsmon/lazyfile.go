package main

import (
	"bufio"
	"os"
)

// lazyFile is a buffered output file created at its first write, as Zeek creates a log file
// only when the first row is written to it. eager files are created by open.
type lazyFile struct {
	path   string
	f      *os.File
	w      *bufio.Writer
	err    error
	closed bool
}

func newLazyFile(path string) *lazyFile { return &lazyFile{path: path} }

// open creates the file now (for the files written even when empty).
func (l *lazyFile) open() error {
	if l.closed {
		return os.ErrClosed
	}
	if l.f != nil || l.err != nil {
		return l.err
	}
	l.f, l.err = os.Create(l.path)
	if l.err == nil {
		l.w = bufio.NewWriterSize(l.f, 64<<10)
	}
	return l.err
}

// Write implements io.Writer.
func (l *lazyFile) Write(p []byte) (int, error) {
	if l.closed {
		return 0, os.ErrClosed
	}
	if l.f == nil {
		if err := l.open(); err != nil {
			return 0, err
		}
	}
	if l.err != nil {
		return 0, l.err
	}
	n, err := l.w.Write(p)
	if err != nil {
		l.err = err
	}
	return n, err
}

// Close flushes and closes the file if it was created; it returns the first error met.
func (l *lazyFile) Close() error {
	if l.closed {
		return nil
	}
	l.closed = true
	if l.f == nil {
		return l.err
	}
	ferr := l.w.Flush()
	cerr := l.f.Close()
	for _, e := range []error{l.err, ferr, cerr} {
		if e != nil {
			return e
		}
	}
	return nil
}
