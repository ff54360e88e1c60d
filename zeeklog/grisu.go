package zeeklog

import (
	"math"
	"math/big"
	"math/bits"
	"sync"
)

// Zeek's JSON writer prints doubles with rapidjson's Writer::Double: Loitsch's Grisu2
// ("Printing Floating-Point Numbers Quickly and Accurately with Integers", 2010), with the
// choices of the rapidjson that Zeek bundles (auxil/rapidjson, github.com/zeek/rapidjson at
// 6089180e, whose internal/dtoa.h has the "small errors" fix that rapidjson 1.1.0 lacks).
// Grisu2 always reads back as the same double but is not always the shortest such string,
// e.g. 0.025217056274414063 where strconv's shortest is 0.02521705627441406; so tlsmon
// generates the same digits instead of using strconv. testdata/rapidjson-oracle holds the
// program that printed testdata/rapidjson-doubles.txt, which TestGrisuOracle compares with;
// 28 M further random values (bit patterns, short significands, timestamps, durations,
// subnormals, neighbours of powers of ten) matched the oracle too. Cost: appendJSONDouble
// takes about as long as strconv.AppendFloat(f, 'e', -1, 64) alone (BenchmarkJSONDouble,
// 45–60 ns), which the previous version called and then re-parsed.

// diyFp is a floating-point number f·2^e with a 64-bit integer significand.
type diyFp struct {
	f uint64
	e int
}

// mul returns x·y rounded to its upper 64 bits, halves rounding up.
func (x diyFp) mul(y diyFp) diyFp {
	h, l := bits.Mul64(x.f, y.f)
	h += l >> 63
	return diyFp{h, x.e + y.e + 64}
}

// normalize shifts f left until its top bit is set.
func (x diyFp) normalize() diyFp {
	s := bits.LeadingZeros64(x.f)
	return diyFp{x.f << s, x.e - s}
}

// Cached powers of ten: 10^k for k = -348, -340, …, 340 (a step of 8), each as the 64-bit
// significand with its top bit set and the binary exponent, rounded to nearest.
const (
	cachedPowMinK = -348
	cachedPowStep = 8
	cachedPowN    = 87
)

type cachedPowTable struct {
	f [cachedPowN]uint64
	e [cachedPowN]int16
}

// cachedPows computes the table with math/big rather than listing 87 constants
// (TestCachedPowers checks entries against rapidjson's table). It runs on the first JSON
// double, not at start-up: it takes 0.4–0.6 ms and 700 allocations (GODEBUG=inittrace=1),
// which TSV runs need not pay.
var cachedPows = sync.OnceValue(func() *cachedPowTable {
	t := new(cachedPowTable)
	t.f, t.e = cachedPowers()
	return t
})

func cachedPowers() (f [cachedPowN]uint64, e [cachedPowN]int16) {
	ten := big.NewInt(10)
	for i := range cachedPowN {
		k := cachedPowMinK + cachedPowStep*i
		p := new(big.Int).Exp(ten, big.NewInt(int64(abs(k))), nil)
		var num, den *big.Int
		var bexp int
		if k >= 0 {
			// 10^k = p; keep its top 64 bits.
			num, den = p, big.NewInt(1)
			bexp = p.BitLen() - 64
			if bexp > 0 {
				den = new(big.Int).Lsh(den, uint(bexp))
			} else {
				num = new(big.Int).Lsh(num, uint(-bexp))
			}
		} else {
			// 10^k = 1/p = 2^s/p · 2^-s with s chosen so that 2^s/p has 64 bits.
			s := p.BitLen() + 63
			num, den = new(big.Int).Lsh(big.NewInt(1), uint(s)), p
			if new(big.Int).Quo(num, den).BitLen() < 64 {
				s++
				num.Lsh(num, 1)
			}
			bexp = -s
		}
		// Round num/den to nearest (no ties: 10^k is not a 65-bit dyadic here).
		q, r := new(big.Int).QuoRem(num, den, new(big.Int))
		if r.Lsh(r, 1).Cmp(den) >= 0 {
			q.Add(q, big.NewInt(1))
		}
		if q.BitLen() > 64 { // rounded up to 2^64
			q.Rsh(q, 1)
			bexp++
		}
		f[i], e[i] = q.Uint64(), int16(bexp)
	}
	return f, e
}

func abs(k int) int {
	if k < 0 {
		return -k
	}
	return k
}

// cachedPower returns the cached power c = 10^-K that rapidjson picks for a boundary with
// binary exponent e, and K. The index comes from rapidjson's floating-point estimate of
// ceil((-61-e)·log10 2); the explicit float64 conversion keeps the compiler from fusing
// the multiply and add (a fused result could round differently; for every e in
// [-1200, 1100] both give the same index, so an FMA build of Zeek agrees as well).
func cachedPower(e int) (diyFp, int) {
	dk := float64(float64(-61-e)*0.30102999566398114) + 347
	k := int(dk)
	if dk-float64(k) > 0 {
		k++
	}
	i := k>>3 + 1
	t := cachedPows()
	return diyFp{t.f[i], int(t.e[i])}, -(cachedPowMinK + i*cachedPowStep)
}

// grisu2 writes the decimal digits of v (finite, > 0) into buf and returns their count and
// the decimal exponent K of the last digit: v ≈ digits·10^K.
func grisu2(v float64, buf *[32]byte) (n, K int) {
	const (
		hidden  = 1 << 52
		sigMask = hidden - 1
	)
	u := math.Float64bits(v)
	var w diyFp
	if be := int(u >> 52 & 0x7FF); be != 0 {
		w = diyFp{u&sigMask + hidden, be - 1075}
	} else {
		w = diyFp{u & sigMask, -1074}
	}
	// Boundaries m+ and m−, halfway to the neighbouring doubles, with m+ normalized and
	// m− on the same exponent. Like rapidjson, the lower gap is taken as half as wide
	// whenever the significand is the hidden bit alone (also for the smallest normal).
	plus := diyFp{w.f<<1 + 1, w.e - 1}.normalize()
	var minus diyFp
	if w.f == hidden {
		minus = diyFp{w.f<<2 - 1, w.e - 2}
	} else {
		minus = diyFp{w.f<<1 - 1, w.e - 1}
	}
	minus.f <<= minus.e - plus.e
	minus.e = plus.e

	c, K := cachedPower(plus.e)
	W := w.normalize().mul(c)
	Wp := plus.mul(c)
	Wm := minus.mul(c)
	Wm.f++
	Wp.f--
	return digitGen(W, Wp, Wp.f-Wm.f, buf, K)
}

// pow10u64 holds 10^0 … 10^19.
var pow10u64 = [20]uint64{1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12,
	1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19}

// countDigits32 is rapidjson's CountDecimalDigit32: it never answers 10 (its DigitGen
// assumes the integral part stays below 10^9).
func countDigits32(n uint32) int {
	switch {
	case n < 10:
		return 1
	case n < 100:
		return 2
	case n < 1000:
		return 3
	case n < 10000:
		return 4
	case n < 100000:
		return 5
	case n < 1000000:
		return 6
	case n < 10000000:
		return 7
	case n < 100000000:
		return 8
	}
	return 9
}

// digitGen generates the digits of Mp (the scaled upper boundary) until the rest is
// within delta of it, then moves the last digit towards W (Loitsch's DigitGen and
// round_weed without the safety check, as rapidjson does). All arithmetic is uint64 with
// wrap-around, as in C.
func digitGen(W, Mp diyFp, delta uint64, buf *[32]byte, K int) (n, outK int) {
	shift := uint(-Mp.e)
	one := uint64(1) << shift
	wpw := Mp.f - W.f
	p1 := uint32(Mp.f >> shift)
	p2 := Mp.f & (one - 1)
	kappa := countDigits32(p1)
	for kappa > 0 {
		div := uint32(pow10u64[kappa-1])
		d := p1 / div
		p1 %= div
		if d != 0 || n > 0 {
			buf[n] = '0' + byte(d)
			n++
		}
		kappa--
		if rest := uint64(p1)<<shift + p2; rest <= delta {
			grisuRound(buf[:n], delta, rest, pow10u64[kappa]<<shift, wpw)
			return n, K + kappa
		}
	}
	for n < len(buf) {
		p2 *= 10
		delta *= 10
		d := byte(p2 >> shift)
		if d != 0 || n > 0 {
			buf[n] = '0' + d
			n++
		}
		p2 &= one - 1
		kappa--
		if p2 < delta {
			var scaled uint64 // rapidjson multiplies by 0 past 10^19
			if -kappa < len(pow10u64) {
				scaled = wpw * pow10u64[-kappa]
			}
			grisuRound(buf[:n], delta, p2, one, scaled)
			return n, K + kappa
		}
	}
	return n, K + kappa // not reached: delta ≥ 1 ends the loop within 20 digits
}

// grisuRound lowers the last digit while that brings the number closer to W (wpw away
// from Mp) and stays within the boundaries (delta).
func grisuRound(d []byte, delta, rest, tenKappa, wpw uint64) {
	if len(d) == 0 {
		return
	}
	for rest < wpw && delta-rest >= tenKappa &&
		(rest+tenKappa < wpw || wpw-rest > rest+tenKappa-wpw) {
		d[len(d)-1]--
		rest += tenKappa
	}
}
