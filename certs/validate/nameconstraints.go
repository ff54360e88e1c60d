package validate

import (
	"bytes"
	"encoding/asn1"
	"strings"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// OpenSSL's name constraint errors.
const (
	errPermittedViolation   = 47
	errExcludedViolation    = 48
	errSubtreeMinMax        = 49
	errUnsupportedNCType    = 51
	errUnsupportedNameSytax = 53
)

func init() {
	statusText[errPermittedViolation] = "permitted subtree violation"
	statusText[errExcludedViolation] = "excluded subtree violation"
	statusText[errSubtreeMinMax] = "name constraints minimum and maximum not supported"
	statusText[errUnsupportedNCType] = "unsupported name constraint type"
	statusText[errUnsupportedNameSytax] = "unsupported or invalid name syntax"
}

// GeneralName choices (RFC 5280), as context tags.
const (
	gnOther = 0
	gnEmail = 1
	gnDNS   = 2
	gnDir   = 4
	gnURI   = 6
	gnIP    = 7
)

var oidSmtpUTF8Mailbox = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 8, 9}

// generalName is one GeneralName: its choice, its content octets (IA5 text, IP octets),
// the canonical form of a directoryName, the type OID of an otherName.
type generalName struct {
	typ     int
	value   []byte
	dirKey  string
	otherID asn1.ObjectIdentifier
}

type subtree struct {
	base         generalName
	minMaxBroken bool // minimum present and not 0, or maximum present
}

type nameConstraints struct {
	permitted, excluded []subtree
}

// nameEntry is one attribute of a subject name.
type nameEntry struct {
	oid   asn1.ObjectIdentifier
	tag   cbasn1.Tag
	value []byte
}

// parseGeneralNames reads a GeneralNames SEQUENCE.
func parseGeneralNames(s cryptobyte.String) ([]generalName, bool) {
	var seq cryptobyte.String
	if !s.ReadASN1(&seq, cbasn1.SEQUENCE) {
		return nil, false
	}
	var out []generalName
	for !seq.Empty() {
		g, ok := readGeneralName(&seq)
		if !ok {
			return nil, false
		}
		out = append(out, g)
	}
	return out, true
}

func readGeneralName(s *cryptobyte.String) (generalName, bool) {
	var v cryptobyte.String
	var tag cbasn1.Tag
	if !s.ReadAnyASN1(&v, &tag) || tag&0xc0 != 0x80 {
		return generalName{}, false
	}
	g := generalName{typ: int(tag & 0x1f), value: v}
	switch g.typ {
	case gnDir:
		var name cryptobyte.String
		if !v.ReadASN1Element(&name, cbasn1.SEQUENCE) {
			return g, false
		}
		g.dirKey = canonicalName(name)
	case gnOther:
		if !v.ReadASN1ObjectIdentifier(&g.otherID) {
			return g, false
		}
		var val cryptobyte.String
		if v.ReadASN1(&val, cbasn1.Tag(0).Constructed().ContextSpecific()) {
			var str cryptobyte.String
			var t cbasn1.Tag
			if val.ReadAnyASN1(&str, &t) {
				g.value = str
			}
		}
	}
	return g, true
}

func parseNameConstraints(val cryptobyte.String) (*nameConstraints, bool) {
	var seq cryptobyte.String
	if !val.ReadASN1(&seq, cbasn1.SEQUENCE) {
		return nil, false
	}
	nc := &nameConstraints{}
	for i, dst := range []*[]subtree{&nc.permitted, &nc.excluded} {
		var trees cryptobyte.String
		var present bool
		if !seq.ReadOptionalASN1(&trees, &present, cbasn1.Tag(i).Constructed().ContextSpecific()) {
			return nil, false
		}
		for present && !trees.Empty() {
			var st cryptobyte.String
			if !trees.ReadASN1(&st, cbasn1.SEQUENCE) {
				return nil, false
			}
			g, ok := readGeneralName(&st)
			if !ok {
				return nil, false
			}
			t := subtree{base: g}
			var minV, maxV cryptobyte.String
			var hasMin, hasMax bool
			if !st.ReadOptionalASN1(&minV, &hasMin, cbasn1.Tag(0).ContextSpecific()) ||
				!st.ReadOptionalASN1(&maxV, &hasMax, cbasn1.Tag(1).ContextSpecific()) {
				return nil, false
			}
			if hasMin && !(len(minV) == 1 && minV[0] == 0) || hasMax {
				t.minMaxBroken = true
			}
			*dst = append(*dst, t)
		}
	}
	return nc, true
}

// subjectEntries lists the attributes of a DER Name in order.
func subjectEntries(der []byte) []nameEntry {
	s := cryptobyte.String(der)
	var seq cryptobyte.String
	if !s.ReadASN1(&seq, cbasn1.SEQUENCE) {
		return nil
	}
	var out []nameEntry
	for !seq.Empty() {
		var set cryptobyte.String
		if !seq.ReadASN1(&set, cbasn1.SET) {
			return out
		}
		for !set.Empty() {
			var atv, val cryptobyte.String
			var e nameEntry
			if !set.ReadASN1(&atv, cbasn1.SEQUENCE) || !atv.ReadASN1ObjectIdentifier(&e.oid) ||
				!atv.ReadAnyASN1(&val, &e.tag) {
				return out
			}
			e.value = val
			out = append(out, e)
		}
	}
	return out
}

var (
	oidEmailAddress = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 1}
	oidCommonName   = asn1.ObjectIdentifier{2, 5, 4, 3}
)

// nameCheckMax is OpenSSL's bound on names × constraints checked for one certificate.
const nameCheckMax = 1 << 20

// checkNameConstraints is OpenSSL's check_name_constraints (without proxy certificates):
// every certificate's names against the constraints of every certificate above it.
func checkNameConstraints(chain []*cert) int {
	for i := len(chain) - 1; i >= 0; i-- {
		x := chain[i]
		if i != 0 && x.selfIssued {
			continue
		}
		for j := len(chain) - 1; j > i; j-- {
			nc := chain[j].nc
			if nc == nil {
				continue
			}
			rv := ncCheck(x, nc)
			if rv == errOK && i == 0 && !x.hasDNSSAN() {
				rv = ncCheckCN(x, nc)
			}
			if rv != errOK {
				return rv
			}
		}
	}
	return errOK
}

func (c *cert) hasDNSSAN() bool {
	for _, g := range c.sans {
		if g.typ == gnDNS {
			return true
		}
	}
	return false
}

// ncCheck is NAME_CONSTRAINTS_check: the subject (as a directoryName, and its
// emailAddress attributes) and every subjectAltName.
func ncCheck(x *cert, nc *nameConstraints) int {
	entries := subjectEntries(x.subjectDER)
	names := len(entries) + len(x.sans)
	if names > 0 && len(nc.permitted)+len(nc.excluded) > nameCheckMax/names {
		return errUnspecified
	}
	if len(entries) > 0 {
		if r := ncMatch(generalName{typ: gnDir, dirKey: x.subjectKey}, nc); r != errOK {
			return r
		}
		for _, e := range entries {
			if !e.oid.Equal(oidEmailAddress) {
				continue
			}
			if e.tag != cbasn1.IA5String {
				return errUnsupportedNameSytax
			}
			if r := ncMatch(generalName{typ: gnEmail, value: e.value}, nc); r != errOK {
				return r
			}
		}
	}
	for _, g := range x.sans {
		if r := ncMatch(g, nc); r != errOK {
			return r
		}
	}
	return errOK
}

// ncCheckCN is NAME_CONSTRAINTS_check_CN: common names that look like host names
// checked as DNS names (for a leaf without DNS subjectAltNames).
func ncCheckCN(x *cert, nc *nameConstraints) int {
	for _, e := range subjectEntries(x.subjectDER) {
		if !e.oid.Equal(oidCommonName) {
			continue
		}
		u, ok := dirStringUTF8(e.tag, e.value)
		if !ok {
			continue
		}
		u = strings.TrimRight(u, "\x00")
		if strings.IndexByte(u, 0) >= 0 {
			return errUnsupportedNameSytax
		}
		if !looksLikeDNSName(u) {
			continue
		}
		if r := ncMatch(generalName{typ: gnDNS, value: []byte(u)}, nc); r != errOK {
			return r
		}
	}
	return errOK
}

// looksLikeDNSName is cn2dnsid's test: letters, digits, '_', inner '-' and '.', at
// least two labels, no empty label and no label edge next to a '-'.
func looksLikeDNSName(s string) bool {
	dns := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' {
			continue
		}
		if i > 0 && i < len(s)-1 {
			if c == '-' {
				continue
			}
			if c == '.' && s[i+1] != '.' && s[i-1] != '-' && s[i+1] != '-' {
				dns = true
				continue
			}
		}
		return false
	}
	return dns
}

// ncMatch is nc_match: some permitted subtree of the name's type must match if there is
// any, and no excluded one may.
func ncMatch(g generalName, nc *nameConstraints) int {
	eff := g.typ
	if eff == gnOther && g.otherID.Equal(oidSmtpUTF8Mailbox) {
		eff = gnEmail
	}
	sameType := func(b generalName) bool {
		return eff == b.typ && (eff != gnOther || g.otherID.Equal(b.otherID))
	}
	match := 0
	for _, st := range nc.permitted {
		if !sameType(st.base) {
			continue
		}
		if st.minMaxBroken {
			return errSubtreeMinMax
		}
		if match == 2 {
			continue
		}
		match = 1
		switch r := ncMatchSingle(eff, g, st.base); r {
		case errOK:
			match = 2
		case errPermittedViolation:
		default:
			return r
		}
	}
	if match == 1 {
		return errPermittedViolation
	}
	for _, st := range nc.excluded {
		if !sameType(st.base) {
			continue
		}
		if st.minMaxBroken {
			return errSubtreeMinMax
		}
		switch r := ncMatchSingle(eff, g, st.base); r {
		case errOK:
			return errExcludedViolation
		case errPermittedViolation:
		default:
			return r
		}
	}
	return errOK
}

func ncMatchSingle(eff int, g, base generalName) int {
	switch g.typ {
	case gnOther:
		if eff == gnEmail {
			return ncEmail(g.value, base.value)
		}
		return errUnsupportedNCType
	case gnDir:
		if strings.HasPrefix(g.dirKey, base.dirKey) {
			return errOK
		}
		return errPermittedViolation
	case gnDNS:
		return ncDNS(g.value, base.value)
	case gnEmail:
		return ncEmail(g.value, base.value)
	case gnURI:
		return ncURI(g.value, base.value)
	case gnIP:
		return ncIP(g.value, base.value)
	}
	return errUnsupportedNCType
}

func ncDNS(dns, base []byte) int {
	if len(base) == 0 {
		return errOK
	}
	if len(dns) < len(base) {
		return errPermittedViolation
	}
	tail := dns[len(dns)-len(base):]
	if len(dns) > len(base) && base[0] != '.' && dns[len(dns)-len(base)-1] != '.' {
		return errPermittedViolation
	}
	if !asciiEqualFold(tail, base) {
		return errPermittedViolation
	}
	return errOK
}

func ncEmail(eml, base []byte) int {
	emlAt := bytes.LastIndexByte(eml, '@')
	baseAt := bytes.LastIndexByte(base, '@')
	if emlAt < 0 {
		return errUnsupportedNameSytax
	}
	if baseAt < 0 && len(base) > 0 && base[0] == '.' {
		if len(eml) > len(base) && asciiEqualFold(eml[len(eml)-len(base):], base) {
			return errOK
		}
		return errPermittedViolation
	}
	baseHost := base
	if baseAt >= 0 {
		if baseAt != 0 {
			if baseAt != emlAt {
				return errPermittedViolation
			}
			if bytes.IndexByte(base[:baseAt], 0) >= 0 || bytes.IndexByte(eml[:emlAt], 0) >= 0 {
				return errUnsupportedNameSytax
			}
			if !bytes.Equal(base[:baseAt], eml[:emlAt]) {
				return errPermittedViolation
			}
		}
		baseHost = base[baseAt+1:]
	}
	if !asciiEqualFold(baseHost, eml[emlAt+1:]) {
		return errPermittedViolation
	}
	return errOK
}

func ncURI(uri, base []byte) int {
	p := bytes.IndexByte(uri, ':')
	if p < 0 || len(uri)-p < 3 || uri[p+1] != '/' || uri[p+2] != '/' {
		return errUnsupportedNameSytax
	}
	host := uri[p+3:]
	if q := bytes.IndexByte(host, ':'); q >= 0 {
		host = host[:q]
	} else if q := bytes.IndexByte(host, '/'); q >= 0 {
		host = host[:q]
	}
	if len(host) == 0 {
		return errUnsupportedNameSytax
	}
	if len(base) > 0 && base[0] == '.' {
		if len(host) > len(base) && asciiEqualFold(host[len(host)-len(base):], base) {
			return errOK
		}
		return errPermittedViolation
	}
	if !asciiEqualFold(host, base) {
		return errPermittedViolation
	}
	return errOK
}

func ncIP(ip, base []byte) int {
	if len(ip) != 4 && len(ip) != 16 || len(base) != 8 && len(base) != 32 {
		return errUnsupportedNameSytax
	}
	if len(ip)*2 != len(base) {
		return errPermittedViolation
	}
	mask := base[len(ip):]
	for i := range ip {
		if ip[i]&mask[i] != base[i]&mask[i] {
			return errPermittedViolation
		}
	}
	return errOK
}

// asciiEqualFold compares byte strings ignoring the case of ASCII letters only
// (OpenSSL's ia5ncasecmp).
func asciiEqualFold(a, b []byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := a[i], b[i]
		if x >= 'A' && x <= 'Z' {
			x += 'a' - 'A'
		}
		if y >= 'A' && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}
