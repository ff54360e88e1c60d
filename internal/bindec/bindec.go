// Package bindec reads the binary lines a sharded run's shards hand its merger (the policy
// scripts' decisions, deferred ssl.log rows): bytes, varints and byte strings as
// encoding/binary's Append functions write them. A Reader keeps its first error; once it
// has one, every read returns a zero value.
package bindec

import "encoding/binary"

// Reader reads B from its start. Err is nil until a read finds B too short or a varint
// malformed; it is then Malformed (the caller's error, which names what was being read).
type Reader struct {
	B         []byte
	Err       error
	Malformed error
}

func (r *Reader) fail() { r.Err, r.B = r.Malformed, nil }

// Byte reads one byte.
func (r *Reader) Byte() byte {
	if len(r.B) == 0 {
		r.fail()
		return 0
	}
	c := r.B[0]
	r.B = r.B[1:]
	return c
}

// Uvarint reads an unsigned varint (binary.AppendUvarint).
func (r *Reader) Uvarint() uint64 {
	v, n := binary.Uvarint(r.B)
	if n <= 0 {
		r.fail()
		return 0
	}
	r.B = r.B[n:]
	return v
}

// Varint reads a signed varint (binary.AppendVarint): an unsigned one, zig-zag decoded.
func (r *Reader) Varint() int64 {
	u := r.Uvarint()
	return int64(u>>1) ^ -int64(u&1)
}

// Bytes reads the next n bytes: a slice of B, valid as long as B is.
func (r *Reader) Bytes(n uint64) []byte {
	if r.Err != nil || uint64(len(r.B)) < n {
		r.fail()
		return nil
	}
	p := r.B[:n]
	r.B = r.B[n:]
	return p
}
