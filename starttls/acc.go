package starttls

// MaxMessage is the default cap of a buffered protocol message (bytes).
const MaxMessage = 1 << 16

// Acc accumulates one direction's bytes until a whole message is there, up to Max bytes
// (MaxMessage if zero).
type Acc struct {
	Max int
	b   []byte
}

// Append adds p; it returns false, keeping nothing more, when the cap would be passed.
func (a *Acc) Append(p []byte) bool {
	max := a.Max
	if max <= 0 {
		max = MaxMessage
	}
	if len(a.b)+len(p) > max {
		return false
	}
	a.b = append(a.b, p...)
	return true
}

// Bytes returns the accumulated bytes.
func (a *Acc) Bytes() []byte { return a.b }

// Consume drops the first n bytes.
func (a *Acc) Consume(n int) {
	if n >= len(a.b) {
		a.b = a.b[:0]
		return
	}
	a.b = a.b[:copy(a.b, a.b[n:])]
}

// Release drops the buffer.
func (a *Acc) Release() { a.b = nil }
