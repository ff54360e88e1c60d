package rdp

// framer cuts one direction's stream into TPKTs. A frame split over deliveries is
// buffered; its length field (16 bits) caps the buffer at 65535 bytes.
type framer struct {
	buf     []byte
	pending bool // buf holds a complete frame returned by next, to drop on consumed
}

// next returns the next complete frame starting with the buffered bytes and data, and the
// unused rest of data. It returns a nil frame when data ran out first (the partial frame is
// then buffered). The frame is valid until consumed is called.
func (f *framer) next(data []byte) (frame, rest []byte) {
	if len(f.buf) == 0 && len(data) >= tpktHeaderLen {
		if n := frameLen(data); len(data) >= n {
			return data[:n], data[n:]
		}
	}
	if len(f.buf) < tpktHeaderLen {
		k := min(tpktHeaderLen-len(f.buf), len(data))
		f.buf = append(f.buf, data[:k]...)
		data = data[k:]
		if len(f.buf) < tpktHeaderLen {
			return nil, data
		}
	}
	n := frameLen(f.buf)
	k := min(n-len(f.buf), len(data))
	f.buf = append(f.buf, data[:k]...)
	data = data[k:]
	if len(f.buf) < n {
		return nil, data
	}
	f.pending = true
	return f.buf, data
}

// consumed drops the buffered frame returned by the last next, if any.
func (f *framer) consumed() {
	if f.pending {
		f.buf = f.buf[:0]
		f.pending = false
	}
}

// release frees the buffer: the direction is not framed any more.
func (f *framer) release() { *f = framer{} }
