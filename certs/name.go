package certs

import (
	"golang.org/x/crypto/cryptobyte"
	"golang.org/x/crypto/cryptobyte/asn1"
)

// attr is one attribute of a distinguished name.
type attr struct {
	oid   string
	tag   asn1.Tag
	value []byte // content bytes
	full  []byte // full DER (tag, length, content) of the value
	set   int    // index of the RDN (SET) it belongs to
}

// parseName appends to out the attributes of a Name's RDN sequence content. Unparsable
// pieces are skipped.
func parseName(out []attr, name cryptobyte.String, max int) []attr {
	for set := 0; !name.Empty() && len(out) < max; set++ {
		var rdn cryptobyte.String
		if !readASN1(&name, &rdn, asn1.SET) {
			return out
		}
		for !rdn.Empty() && len(out) < max {
			var atv, oid cryptobyte.String
			if !readASN1(&rdn, &atv, asn1.SEQUENCE) || !readASN1(&atv, &oid, asn1.OBJECT_IDENTIFIER) {
				break
			}
			var full, val cryptobyte.String
			var tag asn1.Tag
			if !readAnyASN1Element(&atv, &full, &tag) {
				break
			}
			val = full
			readAnyASN1(&val, &val, &tag)
			out = append(out, attr{oid: oidString(oid), tag: tag, value: val, full: full, set: set})
		}
	}
	return out
}

// formatRFC2253 renders a name as OpenSSL's X509_NAME_print_ex with XN_FLAG_RFC2253:
// RDNs in reverse order separated by ",", multi-valued RDN parts by "+", short names,
// values escaped per RFC 2253 with control and non-ASCII bytes as \XX.
func formatRFC2253(attrs []attr) string {
	var buf [256]byte // most names fit: the only allocation is the string's
	b := buf[:0]
	prevSet := -1
	for i := len(attrs) - 1; i >= 0; i-- {
		a := attrs[i]
		if prevSet != -1 {
			if a.set == prevSet {
				b = append(b, '+')
			} else {
				b = append(b, ',')
			}
		}
		prevSet = a.set
		sn, known := attrShortName(a.oid)
		if !known {
			sn = a.oid
		}
		b = append(b, sn...)
		b = append(b, '=')
		if !known {
			b = appendDERDump(b, a.full)
		} else {
			b = appendASN1StringRFC2253(b, a)
		}
		if len(b) > MaxNameLen {
			return string(b[:MaxNameLen])
		}
	}
	return string(b)
}

const hexUpper = "0123456789ABCDEF"

func appendDERDump(b, der []byte) []byte {
	b = append(b, '#')
	for _, c := range der {
		b = append(b, hexUpper[c>>4], hexUpper[c&0xf])
	}
	return b
}

// charWidth is OpenSSL's tag2nbyte: bytes per character of a string type, 0 for
// UTF8String, -1 for types that are dumped as DER.
func charWidth(tag asn1.Tag) int {
	switch tag {
	case asn1.UTF8String:
		return 0
	case 18, asn1.PrintableString, 20 /* T61 */, asn1.IA5String, asn1.UTCTime, asn1.GeneralizedTime, 26 /* Visible */ :
		return 1
	case 28: // UniversalString
		return 4
	case 30: // BMPString
		return 2
	}
	return -1
}

// appendASN1StringRFC2253 renders a value with ASN1_STRFLGS_RFC2253 semantics.
func appendASN1StringRFC2253(b []byte, a attr) []byte {
	w := charWidth(a.tag)
	if w < 0 {
		return appendDERDump(b, a.full)
	}
	if w <= 1 && plainRFC2253(a.value) {
		return append(b, a.value...)
	}
	if w == 0 {
		// UTF8String is read one byte per character (OpenSSL avoids converting twice)
		n := len(a.value)
		for i, c := range a.value {
			b = appendEscChar(b, c, i == 0, i == n-1)
		}
		return b
	}
	// Single-byte types are Latin-1, BMPString (2) and UniversalString (4) big-endian;
	// each character is converted to UTF-8 and its bytes escaped (first and last refer
	// to the whole value). Nothing is printed of a value whose length is not a multiple
	// of the width.
	if len(a.value)%w != 0 {
		return b
	}
	n := len(a.value) / w
	var ub [8]byte
	for i := range n {
		var r uint32
		for _, c := range a.value[i*w : i*w+w] {
			r = r<<8 | uint32(c)
		}
		enc := putUTF8(ub[:0], r)
		for j, c := range enc {
			b = appendEscChar(b, c, i == 0 && j == 0, i == n-1 && j == len(enc)-1)
		}
	}
	return b
}

// rfc2253Specials has a bit set for each ASCII byte below 64 that appendEscChar escapes
// wherever it is: , + " < > ;
const rfc2253Specials = 1<<',' | 1<<'+' | 1<<'"' | 1<<'<' | 1<<'>' | 1<<';'

// plainRFC2253 reports whether appendEscChar leaves every byte of v as it is (and, v
// being ASCII, a single-byte type's conversion to UTF-8 too): the usual value, copied
// whole.
func plainRFC2253(v []byte) bool {
	if len(v) == 0 || v[0] == ' ' || v[0] == '#' || v[len(v)-1] == ' ' {
		return len(v) == 0
	}
	for _, c := range v {
		if !rfc2253Plain[c] {
			return false
		}
	}
	return true
}

// rfc2253Plain tells the bytes appendEscChar leaves as they are anywhere in a value
// (printable ASCII but for the backslash and rfc2253Specials): one load per byte of
// every name's values. Read-only after init.
var rfc2253Plain = func() (t [256]bool) {
	for c := 0x20; c < 0x7f; c++ {
		t[c] = c != '\\' && (c >= 64 || rfc2253Specials>>c&1 == 0)
	}
	return t
}()

// putUTF8 encodes like OpenSSL's UTF8_putc (no validity checks on surrogates).
func putUTF8(b []byte, c uint32) []byte {
	switch {
	case c < 0x80:
		return append(b, byte(c))
	case c < 0x800:
		return append(b, byte(0xc0|c>>6), byte(0x80|c&0x3f))
	case c < 0x10000:
		return append(b, byte(0xe0|c>>12), byte(0x80|(c>>6)&0x3f), byte(0x80|c&0x3f))
	case c < 0x200000:
		return append(b, byte(0xf0|c>>18), byte(0x80|(c>>12)&0x3f), byte(0x80|(c>>6)&0x3f), byte(0x80|c&0x3f))
	case c < 0x4000000:
		return append(b, byte(0xf8|c>>24), byte(0x80|(c>>18)&0x3f), byte(0x80|(c>>12)&0x3f), byte(0x80|(c>>6)&0x3f), byte(0x80|c&0x3f))
	}
	return append(b, byte(0xfc|c>>30), byte(0x80|(c>>24)&0x3f), byte(0x80|(c>>18)&0x3f), byte(0x80|(c>>12)&0x3f), byte(0x80|(c>>6)&0x3f), byte(0x80|c&0x3f))
}

// appendEscChar escapes one byte as OpenSSL's do_esc_char does under RFC 2253 flags.
func appendEscChar(b []byte, c byte, first, last bool) []byte {
	switch {
	case c > 0x7f || c < 0x20 || c == 0x7f:
		return append(b, '\\', hexUpper[c>>4], hexUpper[c&0xf])
	case c == ',' || c == '+' || c == '"' || c == '\\' || c == '<' || c == '>' || c == ';':
		return append(b, '\\', c)
	case first && (c == ' ' || c == '#'):
		return append(b, '\\', c)
	case last && c == ' ':
		return append(b, '\\', c)
	}
	return append(b, c)
}

// asn1StringPrint renders a string value as OpenSSL's ASN1_STRING_print: bytes outside
// printable ASCII (except \n and \r) become '.'; the result is cut at the first newline
// and at 2047 bytes, as Zeek reads it back with BIO_gets.
func asn1StringPrint(v []byte) string {
	var buf [128]byte // a usual name fits: the string is the only allocation
	out := buf[:0]
	for _, c := range v {
		if c > '~' || (c < ' ' && c != '\n' && c != '\r') {
			c = '.'
		}
		out = append(out, c)
		if c == '\n' || len(out) == MaxNameLen {
			break
		}
	}
	return string(out)
}
