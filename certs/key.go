package certs

import (
	encasn1 "encoding/asn1"
	"math/big"

	"golang.org/x/crypto/cryptobyte"
	"golang.org/x/crypto/cryptobyte/asn1"
)

const (
	oidRSA     = "1.2.840.113549.1.1.1"
	oidMD5RSA  = "1.2.840.113549.1.1.4"
	oidRSAPSS  = "1.2.840.113549.1.1.10"
	oidEC      = "1.2.840.10045.2.1"
	oidDSA     = "1.2.840.10040.4.1"
	oidEd25519 = "1.3.101.112"
	oidEd448   = "1.3.101.113"
	oidX25519  = "1.3.101.110"
	oidX448    = "1.3.101.111"
)

// parseKey fills the key fields from a SubjectPublicKeyInfo's content.
func parseKey(c *Certificate, spki cryptobyte.String) {
	var alg, oid cryptobyte.String
	var bits encasn1.BitString
	if !readASN1(&spki, &alg, asn1.SEQUENCE) || !readASN1(&alg, &oid, asn1.OBJECT_IDENTIFIER) {
		return
	}
	algOID := oidString(oid)
	if ln, ok := algLongName(algOID); ok {
		c.KeyAlg = ln
	} else {
		c.KeyAlg = algOID
	}
	if !spki.ReadASN1BitString(&bits) {
		return
	}
	key := cryptobyte.String(bits.Bytes)
	switch algOID {
	case oidRSA, oidMD5RSA, oidRSAPSS:
		var seq cryptobyte.String
		n, e := new(big.Int), new(big.Int)
		if !readASN1(&key, &seq, asn1.SEQUENCE) || !readUnsigned(&seq, n) || !readUnsigned(&seq, e) {
			return
		}
		if algOID == oidRSAPSS {
			c.KeyType = "RSA-PSS"
		} else {
			c.KeyType = "rsa"
			c.Exponent = e.String()
		}
		c.KeyLength = uint64(n.BitLen())
	case oidEC:
		if alg.PeekASN1Tag(asn1.OBJECT_IDENTIFIER) {
			var curve cryptobyte.String
			readASN1(&alg, &curve, asn1.OBJECT_IDENTIFIER)
			curveOID := oidString(curve)
			name, orderBits, ok := curveName(curveOID)
			if !ok {
				return // OpenSSL cannot load a key on a curve it does not know
			}
			if !validECPoint(curveOID, orderBits, bits.Bytes) {
				return // OpenSSL cannot decode the point: the key fields stay absent
			}
			c.KeyType = "ecdsa"
			c.Curve = name
			c.KeyLength = orderBits
			return
		}
		// explicit parameters: SEQUENCE { version, fieldID, curve, base, order, ... }
		var params, skip cryptobyte.String
		order := new(big.Int)
		if !readASN1(&alg, &params, asn1.SEQUENCE) || !params.SkipASN1(asn1.INTEGER) ||
			!readASN1(&params, &skip, asn1.SEQUENCE) || !readASN1(&params, &skip, asn1.SEQUENCE) ||
			!readASN1(&params, &skip, asn1.OCTET_STRING) || !readUnsigned(&params, order) {
			return
		}
		c.KeyType = "ecdsa"
		c.KeyLength = uint64(order.BitLen())
	case oidDSA:
		var params cryptobyte.String
		p := new(big.Int)
		if !readASN1(&alg, &params, asn1.SEQUENCE) || !readUnsigned(&params, p) {
			return
		}
		c.KeyType = "dsa"
		c.KeyLength = uint64(p.BitLen())
	case oidEd25519:
		c.KeyType, c.KeyLength = "ED25519", 253
	case oidEd448:
		c.KeyType, c.KeyLength = "ED448", 456
	case oidX25519:
		c.KeyType, c.KeyLength = "X25519", 253
	case oidX448:
		c.KeyType, c.KeyLength = "X448", 448
	}
}

// readUnsigned reads an INTEGER as a magnitude (sign ignored, as a key's modulus).
func readUnsigned(s *cryptobyte.String, out *big.Int) bool {
	var body cryptobyte.String
	if !readASN1(s, &body, asn1.INTEGER) {
		return false
	}
	out.SetBytes(body)
	return true
}
