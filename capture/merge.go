package capture

import (
	"errors"
	"io"
)

// Merge interleaves several readers by frame timestamp, as Zeek does when given several -r
// options: the next frame is always the earliest pending one; ties go to the reader listed
// first. A reader that fails is dropped after its error has been returned once, so the
// caller may stop at the first error or keep reading the others. Close closes every reader.
func Merge(rs ...Reader) Reader {
	// Even one reader is wrapped: returned as is, it would repeat its error on every call.
	m := &merger{rs: rs, heads: make([]Frame, len(rs)), state: make([]uint8, len(rs)), last: -1}
	return m
}

const (
	headEmpty = iota // needs a Next call
	headReady        // heads[i] holds the reader's next frame
	headDone         // EOF or failed
)

type merger struct {
	rs    []Reader
	heads []Frame
	state []uint8
	last  int // reader whose head was handed out by the previous Next
}

func (m *merger) Next(f *Frame) error {
	if m.last >= 0 {
		m.state[m.last] = headEmpty // its frame was consumed; its buffer may now be reused
		m.last = -1
	}
	best := -1
	for i, r := range m.rs {
		if m.state[i] == headEmpty {
			if err := r.Next(&m.heads[i]); err != nil {
				m.state[i] = headDone
				if errors.Is(err, io.EOF) {
					continue
				}
				return err
			}
			m.state[i] = headReady
		}
		if m.state[i] == headReady && (best < 0 || m.heads[i].Ts < m.heads[best].Ts) {
			best = i
		}
	}
	if best < 0 {
		return io.EOF
	}
	*f = m.heads[best]
	m.last = best
	return nil
}

func (m *merger) Close() error {
	var first error
	for _, r := range m.rs {
		if err := r.Close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}
