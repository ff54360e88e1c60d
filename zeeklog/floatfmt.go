package zeeklog

import (
	"encoding/binary"
	"math"
	"slices"
	"strconv"
)

// appendFixed6 writes f with exactly six decimals (Zeek's rendering of time and interval
// in TSV).
func appendFixed6(b []byte, f float64) []byte {
	return strconv.AppendFloat(b, f, 'f', 6, 64)
}

// appendZeekDouble writes a double as Zeek's ASCII writer does (util::double_to_str with
// precision 6 and no exponent): fixed with six decimals, trailing zeros removed, and
// ".0" added when the value is integral.
func appendZeekDouble(b []byte, f float64) []byte {
	if math.IsNaN(f) {
		return append(b, "nan"...)
	}
	if f < 0 {
		b = append(b, '-')
		f = -f
	}
	if math.IsInf(f, 0) {
		return append(b, "inf"...)
	}
	start := len(b)
	b = strconv.AppendFloat(b, f, 'f', 6, 64)
	end := len(b)
	for end > start && b[end-1] == '0' {
		end--
	}
	if b[end-1] == '.' {
		end--
	}
	b = b[:end]
	if math.Abs(f-math.RoundToEven(f)) < 1e-9 {
		b = append(b, ".0"...)
	}
	return b
}

// appendJSONDouble writes a double as rapidjson's Writer::Double does (Grisu2 digits, see
// grisu.go, then its "prettify" layout); NaN and infinities become null (Zeek's
// NullDoubleWriter).
func appendJSONDouble(b []byte, f float64) []byte {
	if !isFinite(f) {
		return append(b, "null"...)
	}
	if f == 0 {
		if math.Signbit(f) {
			return append(b, "-0.0"...)
		}
		return append(b, "0.0"...)
	}
	if f < 0 {
		b = append(b, '-')
		f = -f
	}
	var digits [32]byte
	nd, k := grisu2(f, &digits)
	// value = d1d2...dn · 10^k; rapidjson: kk = nd + k, so 10^(kk-1) <= value < 10^kk
	kk := nd + k
	d := digits[:nd]
	switch {
	case k >= 0 && kk <= 21:
		b = append(b, d...)
		for j := nd; j < kk; j++ {
			b = append(b, '0')
		}
		return append(b, '.', '0')
	case kk > 0 && kk <= 21:
		b = append(b, d[:kk]...)
		b = append(b, '.')
		return append(b, d[kk:]...)
	case kk > -6 && kk <= 0:
		b = append(b, '0', '.')
		for j := kk; j < 0; j++ {
			b = append(b, '0')
		}
		return append(b, d...)
	case nd == 1:
		b = append(b, d[0], 'e')
		return strconv.AppendInt(b, int64(kk-1), 10)
	default:
		b = append(b, d[0], '.')
		b = append(b, d[1:]...)
		b = append(b, 'e')
		return strconv.AppendInt(b, int64(kk-1), 10)
	}
}

// exactSecLimit bounds the timestamps whose six-decimal rendering appendTime6 and
// appendInterval6 compute from the integer microseconds. Below 2^31 s, a double's half
// ulp is at most 2^-23 s ≈ 1.2e-7 s, so zeekSeconds(us) is within 1.2e-7 s of the exact
// value and the difference of two of them within 3.6e-7 s (two conversions and the
// subtraction's rounding): less than half the last printed digit (5e-7 s), so the
// rounding to six decimals gives back the exact microseconds. Other values take the
// floating-point path (TestTime6MatchesFloat checks both).
const exactSecLimit = 1 << 31

// appendTime6 appends appendFixed6(zeekSeconds(us)) without the float formatting
// (BenchmarkTime6: 23 ns instead of 62 ns for strconv.AppendFloat 'f' 6).
func appendTime6(b []byte, us int64) []byte {
	if us < 0 || us >= exactSecLimit*1e6 && us%1e6 != 0 {
		// whole seconds beyond 2^31 (certificates' validity ends) are exact too: the
		// double is float64(sec) + 0, and any int64's sec is below 2^53
		return appendFixed6(b, zeekSeconds(us))
	}
	return appendMicros(b, uint64(us))
}

// appendInterval6 appends appendFixed6 of IntervalBetween(fromUs, toUs) (Zeek's difference
// of the two timestamps as doubles), computed from the integers when that is exact.
func appendInterval6(b []byte, fromUs, toUs int64) []byte {
	if fromUs < 0 || toUs < fromUs || toUs >= exactSecLimit*1e6 {
		return appendFixed6(b, zeekSeconds(toUs)-zeekSeconds(fromUs))
	}
	return appendMicros(b, uint64(toUs-fromUs))
}

// appendMicros writes us microseconds as seconds with six decimals.
func appendMicros(b []byte, us uint64) []byte {
	return appendFraction6(appendUint(b, us/1e6), us%1e6)
}

// appendFraction6 writes a dot and the six digits of frac (below 1e6).
func appendFraction6(b []byte, frac uint64) []byte {
	l := len(b)
	b = slices.Grow(b, 7)[:l+7]
	d := b[l:]
	d[0] = '.'
	binary.LittleEndian.PutUint16(d[1:], decimalPairs[frac/1e4])
	binary.LittleEndian.PutUint16(d[3:], decimalPairs[frac/100%100])
	binary.LittleEndian.PutUint16(d[5:], decimalPairs[frac%100])
	return b
}
