package certs

import (
	"golang.org/x/crypto/cryptobyte"
	"golang.org/x/crypto/cryptobyte/asn1"
)

// readASN1, readAnyASN1 and readAnyASN1Element are cryptobyte's ReadASN1, ReadAnyASN1
// and ReadAnyASN1Element (same results, s advanced alike) with a fast path for the short
// form: one identifier octet and a length below 128, most elements of a certificate
// (cryptobyte's general reader was a third of parsing one).
func readASN1(s, out *cryptobyte.String, tag asn1.Tag) bool {
	if b := *s; len(b) >= 2 && b[0] == uint8(tag) && b[1] < 0x80 && int(b[1]) <= len(b)-2 {
		n := 2 + int(b[1])
		*s, *out = b[n:], b[2:n] // out last, as cryptobyte: s and out may be one
		return true
	}
	return s.ReadASN1(out, tag)
}

func readAnyASN1(s, out *cryptobyte.String, tag *asn1.Tag) bool {
	if b := *s; len(b) >= 2 && b[0]&0x1f != 0x1f && b[1] < 0x80 && int(b[1]) <= len(b)-2 {
		n := 2 + int(b[1])
		*tag, *s, *out = asn1.Tag(b[0]), b[n:], b[2:n]
		return true
	}
	return s.ReadAnyASN1(out, tag)
}

func readAnyASN1Element(s, out *cryptobyte.String, tag *asn1.Tag) bool {
	if b := *s; len(b) >= 2 && b[0]&0x1f != 0x1f && b[1] < 0x80 && int(b[1]) <= len(b)-2 {
		n := 2 + int(b[1])
		*tag, *s, *out = asn1.Tag(b[0]), b[n:], b[:n]
		return true
	}
	return s.ReadAnyASN1Element(out, tag)
}
