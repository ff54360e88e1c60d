package certs

import (
	"encoding/binary"
	"math/big"
	"math/bits"
)

// onP256 reports whether the uncompressed point 04 || x || y (65 bytes) lies on P-256 with
// both coordinates reduced: what crypto/ecdh's P256().NewPublicKey checks of such a point.
// Written by hand because on a capture of distinct certificates that check, with its five
// allocations (the point, the key, a copy of the bytes, ...), was ≈ 3 % of the CPU: nearly
// every certificate carries a P-256 key (docs/PERFORMANCE.md, "ubody"). Nothing secret is
// computed, so nothing here needs to run in constant time. TestOnP256MatchesECDH and
// FuzzOnP256 compare it with crypto/ecdh.
func onP256(p []byte) bool {
	if len(p) != 65 || p[0] != 4 {
		return false
	}
	x, xok := p256Element(p[1:33])
	y, yok := p256Element(p[33:65])
	if !xok || !yok {
		return false
	}
	// y² = x³ - 3x + b, both sides times R⁻² (R = 2^256; p256Mul(a, b) = a·b·R⁻¹):
	// y²·R⁻¹·R⁻¹ against (x²·R⁻¹ - 3·R⁻¹)·x·R⁻¹ + b·R⁻²
	y2 := p256Mul(&y, &y)
	y2 = p256Mul(&y2, &p256One)
	t := p256Mul(&x, &x)
	t = p256Sub(&t, &p256ThreeRInv)
	t = p256Mul(&t, &x)
	t = p256Add(&t, &p256BRInv2)
	return y2 == t
}

// p256Elem is a field element of P-256, four 64-bit limbs, least significant first,
// always below p.
type p256Elem [4]uint64

// p256P is the field's prime 2^256 - 2^224 + 2^192 + 2^96 - 1.
var p256P = p256Elem{0xffffffffffffffff, 0x00000000ffffffff, 0, 0xffffffff00000001}

// p256One is 1; p256ThreeRInv is 3·R⁻¹ mod p and p256BRInv2 the curve's b times R⁻² mod p.
// Computed once, read only.
var (
	p256One                   = p256Elem{1}
	p256ThreeRInv, p256BRInv2 = p256Constants()
)

func p256Constants() (threeRInv, bRInv2 p256Elem) {
	p := new(big.Int).SetBytes(p256Bytes(&p256P))
	rInv := new(big.Int).ModInverse(new(big.Int).Lsh(big.NewInt(1), 256), p)
	b, _ := new(big.Int).SetString("5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604b", 16)
	t := new(big.Int).Mul(big.NewInt(3), rInv)
	threeRInv, _ = p256Element(t.Mod(t, p).FillBytes(make([]byte, 32)))
	t.Mul(b, rInv).Mul(t, rInv)
	bRInv2, _ = p256Element(t.Mod(t, p).FillBytes(make([]byte, 32)))
	return threeRInv, bRInv2
}

// p256Bytes is e's big-endian encoding.
func p256Bytes(e *p256Elem) []byte {
	b := make([]byte, 32)
	for i := range 4 {
		binary.BigEndian.PutUint64(b[24-8*i:], e[i])
	}
	return b
}

// p256Element reads a 32-byte big-endian number; ok is false when it is not below p.
func p256Element(b []byte) (e p256Elem, ok bool) {
	for i := range 4 {
		e[i] = binary.BigEndian.Uint64(b[24-8*i:])
	}
	_, borrow := p256SubP(&e)
	return e, borrow != 0
}

// p256SubP returns e - p and the borrow out (1 when e < p).
func p256SubP(e *p256Elem) (d p256Elem, borrow uint64) {
	d[0], borrow = bits.Sub64(e[0], p256P[0], 0)
	d[1], borrow = bits.Sub64(e[1], p256P[1], borrow)
	d[2], borrow = bits.Sub64(e[2], p256P[2], borrow)
	d[3], borrow = bits.Sub64(e[3], p256P[3], borrow)
	return d, borrow
}

// p256Mul returns a·b·R⁻¹ mod p: Montgomery multiplication, a row of a·b[i] then a
// reduction per word. With m the low word, t + m·p is a multiple of 2^64, and p's form
// (words 2^64-1, 2^32-1, 0, 2^64-2^32+1) makes that sum the low word's carry m, then m·2^32
// into words 1 and 2, then m·p[3] into words 3 and 4.
func p256Mul(a, b *p256Elem) p256Elem {
	var t0, t1, t2, t3, t4 uint64
	for _, bi := range b {
		var c, t5 uint64
		c, t0 = p256MulAdd(a[0], bi, t0, 0)
		c, t1 = p256MulAdd(a[1], bi, t1, c)
		c, t2 = p256MulAdd(a[2], bi, t2, c)
		c, t3 = p256MulAdd(a[3], bi, t3, c)
		t4, t5 = bits.Add64(t4, c, 0)
		m := t0
		hi, lo := bits.Mul64(m, p256P[3])
		var cc uint64
		t0, cc = bits.Add64(t1, m<<32, 0)
		t1, cc = bits.Add64(t2, m>>32, cc)
		t2, cc = bits.Add64(t3, lo, cc)
		t3, cc = bits.Add64(t4, hi, cc)
		t4 = t5 + cc
	}
	// below 2p: subtract p once if it is not below p
	r := p256Elem{t0, t1, t2, t3}
	d, borrow := p256SubP(&r)
	if t4 != 0 || borrow == 0 {
		return d
	}
	return r
}

// p256MulAdd returns a·b + c + d as two words.
func p256MulAdd(a, b, c, d uint64) (hi, lo uint64) {
	hi, lo = bits.Mul64(a, b)
	var cc uint64
	lo, cc = bits.Add64(lo, c, 0)
	hi += cc
	lo, cc = bits.Add64(lo, d, 0)
	return hi + cc, lo
}

// p256Add returns a + b mod p.
func p256Add(a, b *p256Elem) p256Elem {
	var s p256Elem
	var carry uint64
	s[0], carry = bits.Add64(a[0], b[0], 0)
	s[1], carry = bits.Add64(a[1], b[1], carry)
	s[2], carry = bits.Add64(a[2], b[2], carry)
	s[3], carry = bits.Add64(a[3], b[3], carry)
	d, borrow := p256SubP(&s)
	if carry != 0 || borrow == 0 {
		return d
	}
	return s
}

// p256Sub returns a - b mod p.
func p256Sub(a, b *p256Elem) p256Elem {
	var d p256Elem
	var borrow uint64
	d[0], borrow = bits.Sub64(a[0], b[0], 0)
	d[1], borrow = bits.Sub64(a[1], b[1], borrow)
	d[2], borrow = bits.Sub64(a[2], b[2], borrow)
	d[3], borrow = bits.Sub64(a[3], b[3], borrow)
	if borrow == 0 {
		return d
	}
	var carry uint64
	d[0], carry = bits.Add64(d[0], p256P[0], 0)
	d[1], carry = bits.Add64(d[1], p256P[1], carry)
	d[2], carry = bits.Add64(d[2], p256P[2], carry)
	d[3], _ = bits.Add64(d[3], p256P[3], carry)
	return d
}
