package zeeklog

import (
	"encoding/binary"
	"math/bits"
	"slices"
)

// appendUint appends u in decimal, as strconv.AppendUint(b, u, 10). It counts the digits
// first and writes them in place, two at a time from the end: strconv formats into a
// stack buffer and copies it, ≈ 120 instructions a number, and the log rows write ≈ 12
// numbers each (PERFORMANCE.md, branch perf7).
//
// Numbers below 100,000 (ports, packet counts, most byte counts) are written by one append
// of their digits, from at most three digit pairs, without counting the digits first.
func appendUint(b []byte, u uint64) []byte {
	switch {
	case u < 10:
		return append(b, byte('0'+u))
	case u < 100:
		p := decimalPairs[u]
		return append(b, byte(p), byte(p>>8))
	case u < 10000:
		q := u / 100
		lo := decimalPairs[u-q*100]
		if q < 10 {
			return append(b, byte('0'+q), byte(lo), byte(lo>>8))
		}
		hi := decimalPairs[q]
		return append(b, byte(hi), byte(hi>>8), byte(lo), byte(lo>>8))
	case u < 100000:
		q := u / 100
		lo := decimalPairs[u-q*100]
		q2 := q / 100
		mid := decimalPairs[q-q2*100]
		return append(b, byte('0'+q2), byte(mid), byte(mid>>8), byte(lo), byte(lo>>8))
	}
	n := decimalLen(u)
	l := len(b)
	b = slices.Grow(b, n)[:l+n]
	putDecimal(b[l:], u)
	return b
}

// putDecimal writes u's decimal digits into d, which has exactly decimalLen(u) bytes.
func putDecimal(d []byte, u uint64) {
	i := len(d)
	for u >= 100 {
		q := u / 100
		i -= 2
		binary.LittleEndian.PutUint16(d[i:], decimalPairs[u-q*100])
		u = q
	}
	if u >= 10 {
		binary.LittleEndian.PutUint16(d[i-2:], decimalPairs[u])
	} else {
		d[i-1] = byte('0' + u)
	}
}

// decimalLen returns the number of decimal digits of u (1 for 0).
func decimalLen(u uint64) int {
	// log10(2) ≈ 1233/4096: t is the digit count of 2^bits.Len64(u), or one more
	t := bits.Len64(u) * 1233 >> 12
	if u < powersOf10[t] {
		return max(t, 1)
	}
	return t + 1
}

var powersOf10 = [20]uint64{1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12,
	1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19}

// decimalPairs holds the two decimal digits of 0..99, the first in the low byte.
var decimalPairs = func() (t [100]uint16) {
	for i := range t {
		t[i] = uint16('0'+i/10) | uint16('0'+i%10)<<8
	}
	return t
}()
