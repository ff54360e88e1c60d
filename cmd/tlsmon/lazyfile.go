package main

import (
	"bytes"
	"io"
	"os"
)

// outFile is what lazyFile needs of an open file (an *os.File; a fake in tests).
type outFile interface {
	io.WriteCloser
	Truncate(size int64) error
}

func createFile(path string) (outFile, error) { return os.Create(path) }

// lazyFileBuffer is how much a lazyFile buffers before writing out its whole lines.
const lazyFileBuffer = 64 << 10

// lazyFile is a buffered output file created at its first write, as Zeek creates a log file
// only when the first row is written to it (files written even when empty are created by
// open). It hands the file whole lines only, so that a file cut short by a write error or a
// stop ends with a complete line: after a failed write it truncates the file back to the
// end of the last complete line on disk. Its first error is kept and passed to onErr, which
// the command uses to stop reading at once.
type lazyFile struct {
	path   string
	create func(string) (outFile, error)
	onErr  func(error) // may be nil
	size   int         // buffer size at which whole lines are written out
	f      outFile
	buf    []byte
	off    int64 // bytes on disk, all of them whole lines
	err    error
	closed bool
}

func newLazyFile(path string) *lazyFile {
	return &lazyFile{path: path, create: createFile, size: lazyFileBuffer}
}

// fail records the file's first error.
func (l *lazyFile) fail(err error) error {
	if l.err == nil {
		l.err = err
		if l.onErr != nil {
			l.onErr(err)
		}
	}
	return l.err
}

// open creates the file now (for the files written even when empty).
func (l *lazyFile) open() error {
	if l.closed {
		return os.ErrClosed
	}
	if l.f != nil || l.err != nil {
		return l.err
	}
	f, err := l.create(l.path)
	if err != nil {
		return l.fail(err)
	}
	l.f = f
	l.buf = make([]byte, 0, l.size+l.size/4)
	return nil
}

// Write implements io.Writer. p should hold whole lines (a log row, an event line); it is
// buffered and written out with the whole lines before it.
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
	l.buf = append(l.buf, p...)
	if len(l.buf) >= l.size {
		if i := bytes.LastIndexByte(l.buf, '\n'); i >= 0 {
			if err := l.writeOut(l.buf[:i+1]); err != nil {
				return 0, err
			}
			l.buf = l.buf[:copy(l.buf, l.buf[i+1:])]
		}
	}
	return len(p), nil
}

// writeOut writes b, which ends a line, to the file. On a failed write it cuts the file
// back to the last whole line that reached it.
func (l *lazyFile) writeOut(b []byte) error {
	n, err := l.f.Write(b)
	if err == nil {
		l.off += int64(n)
		return nil
	}
	if n > 0 {
		if i := bytes.LastIndexByte(b[:n], '\n'); i >= 0 {
			l.off += int64(i + 1)
		}
		_ = l.f.Truncate(l.off) // best effort: a device file cannot be truncated
	}
	return l.fail(err)
}

// Close writes what is buffered and closes the file if it was created; it returns the
// file's first error.
func (l *lazyFile) Close() error {
	if l.closed {
		return nil
	}
	l.closed = true
	if l.f == nil {
		return l.err
	}
	if l.err == nil && len(l.buf) > 0 {
		_ = l.writeOut(l.buf)
	}
	l.buf = nil
	if err := l.f.Close(); err != nil {
		l.fail(err)
	}
	return l.err
}
