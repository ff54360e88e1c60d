package zeeklog

import (
	"encoding/binary"
	"math"
	"net/netip"
	"slices"
	"strconv"
)

type kind uint8

const (
	kUnset kind = iota
	kTime
	kInterval
	kDouble
	kString
	kEnum
	kAddr
	kPort
	kCount
	kInt
	kBool
	kStrings
	kCounts
)

// Value is one field of a log row. The zero Value is unset.
type Value struct {
	k  kind
	u  uint64
	i  int64
	f  float64
	s  string
	a  netip.Addr
	ss []string
	cs []uint64
}

// plainString marks (in Value.u) a string its maker knows needs no TSV escaping.
const plainString = 1

// PlainString is String(s) for a string known to be printable ASCII without a backslash
// (hex digests, fingerprints): the TSV writer appends it without scanning it for bytes to
// escape. Why: scanning the three fingerprint columns of every ssl.log row was a third of
// what --fingerprints cost on perfmix (docs/PERFORMANCE.md).
func PlainString(s string) Value { return Value{k: kString, s: s, u: plainString} }

// IsSet reports whether the value is set.
func (v Value) IsSet() bool { return v.k != kUnset }

// Unset returns an unset value (written "-" in TSV, omitted in JSON).
func Unset() Value { return Value{} }

// Time returns a time value from microseconds since the Unix epoch, converted to a
// double the way Zeek converts a libpcap timestamp (seconds + microseconds/1e6).
func Time(us int64) Value { return Value{k: kTime, f: zeekSeconds(us)} }

// Interval returns an interval of us microseconds.
func Interval(us int64) Value { return Value{k: kInterval, f: float64(us) / 1e6} }

// IntervalBetween returns the interval to-from computed as Zeek does: the difference of
// the two timestamps as doubles (so JSON shows the same rounding artifacts Zeek's does).
func IntervalBetween(fromUs, toUs int64) Value {
	return Value{k: kInterval, f: zeekSeconds(toUs) - zeekSeconds(fromUs)}
}

// Double returns a double value.
func Double(f float64) Value { return Value{k: kDouble, f: f} }

// String returns a string value (any bytes; escaped on output as Zeek does).
func String(s string) Value { return Value{k: kString, s: s} }

// Enum returns an enum value.
func Enum(s string) Value { return Value{k: kEnum, s: s} }

// Addr returns an address value.
func Addr(a netip.Addr) Value { return Value{k: kAddr, a: a} }

// Port returns a port value (the number only, as Zeek logs ports).
func Port(p uint16) Value { return Value{k: kPort, u: uint64(p)} }

// Count returns a count value.
func Count(c uint64) Value { return Value{k: kCount, u: c} }

// Int returns an int value.
func Int(i int64) Value { return Value{k: kInt, i: i} }

// Bool returns a bool value.
func Bool(b bool) Value {
	if b {
		return Value{k: kBool, u: 1}
	}
	return Value{k: kBool}
}

// Strings returns a vector or set value; its elements are written as strings (addresses
// already rendered by the caller). A nil or empty slice is an empty container, not unset.
func Strings(ss []string) Value { return Value{k: kStrings, ss: ss} }

// Counts returns a vector of counts (Zeek's index_vec); a nil or empty slice is an empty
// container, not unset.
func Counts(cs []uint64) Value { return Value{k: kCounts, cs: cs} }

// zeekSeconds converts microseconds to Zeek's double seconds: tv_sec + tv_usec/1e6.
func zeekSeconds(us int64) float64 {
	sec := us / 1e6
	rem := us % 1e6
	if rem < 0 {
		sec--
		rem += 1e6
	}
	return float64(sec) + float64(rem)/1e6
}

// addrString renders an address as Zeek does (IPv4-mapped IPv6 as dotted quad).
func addrString(a netip.Addr) string {
	if !a.IsValid() {
		return "::"
	}
	return a.Unmap().String()
}

// appendAddr appends addrString(a) to b without allocating.
func appendAddr(b []byte, a netip.Addr) []byte {
	if !a.IsValid() {
		return append(b, "::"...)
	}
	if a = a.Unmap(); a.Is4() {
		return appendIPv4(b, a.As4())
	}
	return a.AppendTo(b)
}

// appendIPv4 writes a dotted quad as netip does: each byte's text (digits and a dot) from
// a table, the first two and the last two joined in a word each, two 8-byte stores (every
// row has two addresses; netip's byte appends cost three times as much, a store per byte
// twice as much).
func appendIPv4(b []byte, a [4]byte) []byte {
	const textMask = 1<<32 - 1
	n := len(b)
	b = slices.Grow(b, 16)[:n+16]
	d := b[n : n+16]
	t0, t1, t2, t3 := octetText[a[0]], octetText[a[1]], octetText[a[2]], octetText[a[3]]
	n0, n2 := t0>>56, t2>>56
	n01 := n0 + t1>>56 // at most 8
	binary.LittleEndian.PutUint64(d, t0&textMask|(t1&textMask)<<(8*n0))
	binary.LittleEndian.PutUint64(d[n01:], t2&textMask|(t3&textMask)<<(8*n2))
	return b[:n+int(n01+n2+t3>>56)-1] // without the last dot
}

// octetText holds, for each byte value, its decimal digits and a dot in the low bytes and
// their count in the top byte.
var octetText = func() (t [256]uint64) {
	for o := range t {
		s := strconv.Itoa(o) + "."
		for i := range len(s) {
			t[o] |= uint64(s[i]) << (8 * i)
		}
		t[o] |= uint64(len(s)) << 56
	}
	return t
}()

func isFinite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }
