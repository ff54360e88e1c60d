package validate

import (
	"sort"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// canonicalName returns a comparison key for a DER Name that is equal for two names
// exactly when OpenSSL's X509_NAME_cmp finds them equal: directory strings of the usual
// types are compared as UTF-8 with ASCII letters lowercased, leading and trailing white
// space removed and inner runs of white space collapsed; other values compare by type
// and bytes; the order of RDNs matters, the order inside a multi-valued RDN does not.
// An unparsable name compares by its bytes.
func canonicalName(der []byte) string {
	s := cryptobyte.String(der)
	var seq cryptobyte.String
	if !s.ReadASN1(&seq, cbasn1.SEQUENCE) {
		return "\xff" + string(der)
	}
	var b strings.Builder
	for !seq.Empty() {
		var set cryptobyte.String
		if !seq.ReadASN1(&set, cbasn1.SET) {
			return "\xff" + string(der)
		}
		var entries []string
		for !set.Empty() {
			var atv, oid, val cryptobyte.String
			var tag cbasn1.Tag
			if !set.ReadASN1(&atv, cbasn1.SEQUENCE) || !atv.ReadASN1Element(&oid, cbasn1.OBJECT_IDENTIFIER) ||
				!atv.ReadAnyASN1(&val, &tag) {
				return "\xff" + string(der)
			}
			e := string(oid) + "\x00"
			if u, ok := dirStringUTF8(tag, val); ok {
				e += "s" + canonString(u)
			} else {
				e += "r" + string([]byte{byte(tag)}) + string(val)
			}
			entries = append(entries, e)
		}
		sort.Strings(entries)
		b.WriteByte('{')
		for _, e := range entries {
			b.WriteString(e)
			b.WriteByte(0x01)
		}
		b.WriteByte('}')
	}
	return b.String()
}

// dirStringUTF8 converts the string types OpenSSL canonicalises (ASN1_MASK_CANON) to
// UTF-8.
func dirStringUTF8(tag cbasn1.Tag, v []byte) (string, bool) {
	switch tag {
	case cbasn1.UTF8String, cbasn1.PrintableString, cbasn1.IA5String, 26 /* VisibleString */ :
		return string(v), true
	case cbasn1.T61String:
		// OpenSSL treats T61 bytes as Latin-1.
		r := make([]rune, len(v))
		for i, c := range v {
			r[i] = rune(c)
		}
		return string(r), true
	case 30: // BMPString
		if len(v)%2 != 0 {
			return "", false
		}
		u := make([]uint16, len(v)/2)
		for i := range u {
			u[i] = uint16(v[2*i])<<8 | uint16(v[2*i+1])
		}
		return string(utf16.Decode(u)), true
	case 28: // UniversalString
		if len(v)%4 != 0 {
			return "", false
		}
		var b []byte
		for i := 0; i < len(v); i += 4 {
			r := rune(v[i])<<24 | rune(v[i+1])<<16 | rune(v[i+2])<<8 | rune(v[i+3])
			b = utf8.AppendRune(b, r)
		}
		return string(b), true
	}
	return "", false
}

func isSpace(c byte) bool { return c == ' ' || c >= '\t' && c <= '\r' }

// canonString is OpenSSL's asn1_string_canon on UTF-8 bytes.
func canonString(s string) string {
	i, j := 0, len(s)
	for i < j && isSpace(s[i]) {
		i++
	}
	for j > i && isSpace(s[j-1]) {
		j--
	}
	b := make([]byte, 0, j-i)
	for k := i; k < j; k++ {
		c := s[k]
		if isSpace(c) {
			for k+1 < j && isSpace(s[k+1]) {
				k++
			}
			b = append(b, ' ')
			continue
		}
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		b = append(b, c)
	}
	return string(b)
}
