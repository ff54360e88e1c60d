package main

import (
	"errors"
	"io"
	"os"
	"sync/atomic"

	"github.com/tlsmon/tlsmon/capture"
)

// errStopped ends the read of standard input when the run is stopped (a signal) while
// waiting for data.
var errStopped = errors.New("stopped while waiting for input")

// inputs are the opened captures with what the progress line needs to know of them.
type inputs struct {
	reader capture.Reader
	files  []*os.File
	size   int64          // bytes of the regular files among them (0: unknown, e.g. stdin)
	read   []atomic.Int64 // bytes read so far from each file (compressed bytes for a compressed file)
}

// position returns how many bytes of the files have been read.
func (in *inputs) position() int64 {
	var n int64
	for i := range in.read {
		n += in.read[i].Load()
	}
	return n
}

// Close closes the captures and the files.
func (in *inputs) Close() error {
	err := in.reader.Close()
	for _, f := range in.files {
		if f != os.Stdin {
			if cerr := f.Close(); err == nil {
				err = cerr
			}
		}
	}
	return err
}

// openInputs opens every capture ("-" is standard input); several are merged by
// timestamp. Reads of what is not a regular file (stdin, a pipe) end with errStopped once
// stop is closed. The errors name the file.
func openInputs(paths []string, stop <-chan struct{}) (*inputs, error) {
	in := &inputs{read: make([]atomic.Int64, len(paths))}
	rs := make([]capture.Reader, 0, len(paths))
	fail := func(err error) (*inputs, error) {
		for _, r := range rs {
			r.Close()
		}
		for _, f := range in.files {
			if f != os.Stdin {
				f.Close()
			}
		}
		return nil, err
	}
	for i, p := range paths {
		f, sized, err := openInput(p)
		if err != nil {
			return fail(err)
		}
		in.files = append(in.files, f)
		in.size += sized
		if sized > 0 { // a plain pcap file is read through a memory map (capture.OpenMapped)
			r, err := capture.OpenMapped(p, f, &in.read[i])
			if err != nil {
				return fail(err)
			}
			if r != nil {
				rs = append(rs, r)
				continue
			}
		}
		var src io.Reader = f
		if sized == 0 { // stdin, a pipe, a device: a read may wait for ever
			src = newStopReader(f, stop)
		}
		r, err := capture.NewReader(p, &countReads{r: src, n: &in.read[i]})
		if err != nil {
			return fail(err)
		}
		rs = append(rs, r)
	}
	in.reader = rs[0]
	if len(rs) > 1 {
		in.reader = capture.Merge(rs...)
	}
	return in, nil
}

// openInput opens one capture file, refusing a directory with a clear message. size is the
// file's size if it is a regular file, else 0.
func openInput(p string) (f *os.File, size int64, err error) {
	if p == "-" {
		return os.Stdin, 0, nil
	}
	f, err = os.Open(p)
	if err != nil {
		return nil, 0, err // *PathError: names the file
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, err
	}
	if fi.IsDir() {
		f.Close()
		return nil, 0, &capture.Error{File: p, Err: capture.ErrIsDir}
	}
	if fi.Mode().IsRegular() {
		size = fi.Size()
	}
	return f, size, nil
}

// countReads counts the bytes read through it (read by the decompressors' goroutines too,
// hence atomic).
type countReads struct {
	r io.Reader
	n *atomic.Int64
}

func (c *countReads) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// stopReader reads r (standard input) in a goroutine so that a read waiting on an idle
// pipe or terminal can be abandoned when stop is closed: a read blocked in the kernel on a
// non-pollable descriptor cannot be interrupted otherwise. The goroutine reads into two
// buffers of its own and hands them over in turn; at a stop it is left blocked in its read
// (the process is about to exit).
type stopReader struct {
	full chan chunk
	free chan []byte
	stop <-chan struct{}
	cur  []byte // the part of the current chunk not read yet
	buf  []byte // the current chunk's buffer, handed back when cur is used up
	err  error  // the error that ended the input, once cur is used up
}

type chunk struct {
	b   []byte
	err error
}

const stopReaderChunk = 256 << 10

func newStopReader(r io.Reader, stop <-chan struct{}) *stopReader {
	s := &stopReader{full: make(chan chunk), free: make(chan []byte, 2), stop: stop}
	s.free <- make([]byte, stopReaderChunk)
	s.free <- make([]byte, stopReaderChunk)
	go s.pump(r)
	return s
}

func (s *stopReader) pump(r io.Reader) {
	for {
		var buf []byte
		select {
		case buf = <-s.free:
		case <-s.stop:
			return
		}
		n, err := r.Read(buf)
		select {
		case s.full <- chunk{b: buf[:n], err: err}:
		case <-s.stop:
			return
		}
		if err != nil {
			return
		}
	}
}

// Read implements io.Reader.
func (s *stopReader) Read(p []byte) (int, error) {
	for len(s.cur) == 0 {
		if s.buf != nil {
			s.free <- s.buf[:cap(s.buf)]
			s.buf = nil
		}
		if s.err != nil {
			return 0, s.err
		}
		select {
		case c := <-s.full:
			s.cur, s.buf, s.err = c.b, c.b, c.err
		case <-s.stop:
			s.err = errStopped
			return 0, s.err
		}
	}
	n := copy(p, s.cur)
	s.cur = s.cur[n:]
	return n, nil
}
