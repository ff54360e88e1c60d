package zeeklog

import (
	"encoding/binary"
	"errors"
	"math"

	"github.com/tlsmon/tlsmon/internal/bindec"
)

// A row's values encoded as bytes, to be written on another goroutine: a sharded run's
// shard hands the merger an ssl.log row some of whose cells only the merger can fill (the
// validate scripts' columns, policy.Site.ResolveRow), and the merger writes it with the
// log's writer. AppendRow and DecodeRow round-trip every Value exactly (a string's
// PlainString mark included), so the written bytes are those of the original row.

// AppendRow appends an encoding of vals to b.
func AppendRow(b []byte, vals []Value) []byte {
	b = binary.AppendUvarint(b, uint64(len(vals)))
	for i := range vals {
		v := &vals[i]
		b = append(b, byte(v.k))
		switch v.k {
		case kTime, kInterval, kDouble:
			b = binary.BigEndian.AppendUint64(b, math.Float64bits(v.f))
		case kString, kEnum:
			b = binary.AppendUvarint(b, v.u)
			b = appendCodecString(b, v.s)
		case kAddr:
			a, _ := v.a.MarshalBinary()
			b = binary.AppendUvarint(b, uint64(len(a)))
			b = append(b, a...)
		case kPort, kCount, kBool:
			b = binary.AppendUvarint(b, v.u)
		case kInt:
			b = binary.AppendVarint(b, v.i)
		case kStrings:
			b = binary.AppendUvarint(b, uint64(len(v.ss)))
			for _, s := range v.ss {
				b = appendCodecString(b, s)
			}
		case kCounts:
			b = binary.AppendUvarint(b, uint64(len(v.cs)))
			for _, c := range v.cs {
				b = binary.AppendUvarint(b, c)
			}
		}
	}
	return b
}

func appendCodecString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

var errRowCodec = errors.New("zeeklog: malformed encoded row")

// DecodeRow appends to vals the values AppendRow encoded in b (which must be exactly one
// encoding). The values' strings are copies: b may be reused after the call.
func DecodeRow(b []byte, vals []Value) ([]Value, error) {
	d := rowDecoder{bindec.Reader{B: b, Malformed: errRowCodec}}
	n := d.Uvarint()
	if n > uint64(len(b)) {
		return vals, errRowCodec
	}
	for range n {
		if d.Err != nil {
			break
		}
		var v Value
		v.k = kind(d.Byte())
		switch v.k {
		case kUnset:
		case kTime, kInterval, kDouble:
			if p := d.Bytes(8); p != nil {
				v.f = math.Float64frombits(binary.BigEndian.Uint64(p))
			}
		case kString, kEnum:
			v.u = d.Uvarint()
			v.s = string(d.Bytes(d.Uvarint()))
		case kAddr:
			if p := d.Bytes(d.Uvarint()); d.Err == nil && v.a.UnmarshalBinary(p) != nil {
				d.Err = errRowCodec
			}
		case kPort, kCount, kBool:
			v.u = d.Uvarint()
		case kInt:
			v.i = d.Varint()
		case kStrings:
			m := d.Uvarint()
			if m > uint64(len(d.B)) {
				d.Err = errRowCodec
				break
			}
			if m > 0 { // else nil: empty and nil write alike
				v.ss = make([]string, 0, m)
			}
			for range m {
				v.ss = append(v.ss, string(d.Bytes(d.Uvarint())))
			}
		case kCounts:
			m := d.Uvarint()
			if m > uint64(len(d.B)) {
				d.Err = errRowCodec
				break
			}
			if m > 0 {
				v.cs = make([]uint64, 0, m)
			}
			for range m {
				v.cs = append(v.cs, d.Uvarint())
			}
		default:
			d.Err = errRowCodec
		}
		vals = append(vals, v)
	}
	if d.Err != nil || len(d.B) != 0 {
		return vals, errRowCodec
	}
	return vals, nil
}

type rowDecoder struct{ bindec.Reader }

// CountValue returns v's count and true if v is a count (Count).
func (v Value) CountValue() (uint64, bool) { return v.u, v.k == kCount }
