package certs

import (
	"crypto/ecdh"
	"crypto/elliptic"
	"math/big"
)

// fieldBits are the field sizes of the named prime curves whose order size (the bits of
// curveNames) differs from it.
var fieldBits = map[string]uint64{
	"1.3.132.0.7":  112, // secp112r2
	"1.3.132.0.29": 128, // secp128r2
	"1.3.132.0.9":  160, // secp160k1
	"1.3.132.0.8":  160, // secp160r1
	"1.3.132.0.30": 160, // secp160r2
	"1.3.132.0.32": 224, // secp224k1
}

// goCurves are the curves whose points are checked to lie on the curve (Go's elliptic
// package knows them); on the others only the encoding's form and length are checked.
var goCurves = map[string]elliptic.Curve{
	"1.3.132.0.33":        elliptic.P224(),
	"1.2.840.10045.3.1.7": elliptic.P256(),
	"1.3.132.0.34":        elliptic.P384(),
	"1.3.132.0.35":        elliptic.P521(),
}

// ecdhCurves check the uncompressed points of the curves crypto/ecdh knows: the same
// test as goCurves' (coordinates reduced, point on the curve) without big.Int
// conversions (docs/PERFORMANCE.md, perf4).
var ecdhCurves = map[string]ecdh.Curve{
	"1.2.840.10045.3.1.7": ecdh.P256(),
	"1.3.132.0.34":        ecdh.P384(),
	"1.3.132.0.35":        ecdh.P521(),
}

const oidP256 = "1.2.840.10045.3.1.7"

// validECPoint reports whether OpenSSL would decode p as a public point of the curve
// (EC_POINT_oct2point): the point at infinity (a single 0), a compressed (2, 3),
// uncompressed (4) or hybrid (6, 7) encoding of the field's length, and on the curves Go
// knows, a point on the curve (with, for the hybrid form, the parity the form claims).
func validECPoint(curveOID string, orderBits uint64, p []byte) bool {
	if len(p) == 1 && p[0] == 0 {
		return true
	}
	field := orderBits
	if f, ok := fieldBitsOf(curveOID); ok {
		field = f
	}
	fb := int(field+7) / 8
	if len(p) == 0 {
		return false
	}
	switch p[0] {
	case 2, 3:
		if len(p) != 1+fb {
			return false
		}
	case 4, 6, 7:
		if len(p) != 1+2*fb {
			return false
		}
	default:
		return false
	}
	if p[0] == 4 {
		if curveOID == oidP256 {
			return onP256(p)
		}
		if ec, ok := ecdhCurves[curveOID]; ok {
			_, err := ec.NewPublicKey(p)
			return err == nil
		}
	}
	c, ok := goCurves[curveOID]
	if !ok {
		return true
	}
	if p[0] == 2 || p[0] == 3 {
		x, _ := elliptic.UnmarshalCompressed(c, p)
		return x != nil
	}
	params := c.Params()
	x := new(big.Int).SetBytes(p[1 : 1+fb])
	y := new(big.Int).SetBytes(p[1+fb:])
	if x.Cmp(params.P) >= 0 || y.Cmp(params.P) >= 0 || !c.IsOnCurve(x, y) {
		return false
	}
	return p[0] == 4 || uint(p[0]&1) == y.Bit(0)
}
