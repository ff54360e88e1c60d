package certs

import (
	"math/big"
	"net/netip"

	"golang.org/x/crypto/cryptobyte"
	"golang.org/x/crypto/cryptobyte/asn1"
)

const maxNameAttrs = 256

var oidCN = "2.5.4.3"

// The extensions read, by their OIDs' DER content (2.5.29.17, 2.5.29.19): the others are
// skipped without rendering their OIDs.
const (
	derOIDSAN = "\x55\x1d\x11"
	derOIDBC  = "\x55\x1d\x13"
)

// Parse decodes a DER certificate. It fails only when the outer structure (the
// certificate and TBSCertificate sequences, serial, names, validity, key info) cannot be
// walked at all; anything inside that is odd is rendered as best it can be.
//
// BER lengths are accepted as OpenSSL accepts them (the certificate is walked in their
// DER rewriting, toDER).
func Parse(der []byte) (*Certificate, error) {
	c := new(Certificate)
	if err := parseInto(c, der, nil); err != nil {
		return nil, err
	}
	return c, nil
}

// Parser parses certificates one after the other, for a caller that formats one at a
// time and keeps none of them (x509.log's builder): into the one Certificate it holds, and
// with a few distinguished names it rendered remembered, by their DER. A chain's issuer is
// the next certificate's subject, and chains share their issuers: on unique-body.pcap two
// of a chain's four names are found there, the intermediate's subject (the leaf's issuer,
// just rendered) and its issuer (the root, every chain's). It belongs to one goroutine.
type Parser struct {
	cert  Certificate
	names [4]renderedName
	hand  int // the entry the replacement looks at first (a clock)
}

type renderedName struct {
	der  []byte // the Name's content (a copy); nil: the entry is unused
	text string // formatRFC2253 of it
	used bool   // found since the hand last passed: passed over once
}

// Parse is the package's Parse, into the Certificate p holds: the result is valid until
// the next call, which overwrites it whole (what its SAN and BasicConstraints point to as
// well). The slices and strings it holds are never those of an earlier certificate, so
// they may be kept.
func (p *Parser) Parse(der []byte) (*Certificate, error) {
	if err := parseInto(&p.cert, der, p); err != nil {
		return nil, err
	}
	return &p.cert, nil
}

// renderName returns formatRFC2253 of the Name whose content is der: from p's memory of
// names, or from its attributes, parsed into attrs unless parsed says attrs holds them.
func (p *Parser) renderName(der []byte, attrs []attr, parsed bool) string {
	if p != nil {
		for i := range p.names {
			if e := &p.names[i]; e.der != nil && string(e.der) == string(der) {
				e.used = true
				return e.text
			}
		}
	}
	if !parsed {
		attrs = parseName(attrs, der, maxNameAttrs)
	}
	text := formatRFC2253(attrs)
	if p != nil {
		for p.names[p.hand].used { // a shared issuer stays while it is found again
			p.names[p.hand].used = false
			p.hand = (p.hand + 1) % len(p.names)
		}
		e := &p.names[p.hand]
		p.hand = (p.hand + 1) % len(p.names)
		e.der, e.text = append(e.der[:0], der...), text
		if e.der == nil {
			e.der = []byte{} // an empty Name is remembered too (nil marks an unused entry)
		}
	}
	return text
}

// parseInto is Parse into *c, which it overwrites whole, rendering names through p (nil:
// no memory of names).
func parseInto(c *Certificate, der []byte, p *Parser) error {
	*c = Certificate{Version: 1}
	if d, ok := toDER(der); ok {
		der = d
	}
	in := cryptobyte.String(der)
	var cert, tbs, sigAlg cryptobyte.String
	if !readASN1(&in, &cert, asn1.SEQUENCE) ||
		!readASN1(&cert, &tbs, asn1.SEQUENCE) ||
		!readASN1(&cert, &sigAlg, asn1.SEQUENCE) {
		return ErrMalformed
	}

	if tbs.PeekASN1Tag(asn1.Tag(0).Constructed().ContextSpecific()) {
		var ver cryptobyte.String
		if !readASN1(&tbs, &ver, asn1.Tag(0).Constructed().ContextSpecific()) {
			return ErrMalformed
		}
		var v int64
		if ver.ReadASN1Int64WithTag(&v, asn1.INTEGER) {
			c.Version = uint64(v + 1)
		}
	}
	var serial cryptobyte.String
	if !readASN1(&tbs, &serial, asn1.INTEGER) {
		return ErrMalformed
	}
	c.Serial = formatSerial(serial)

	var tbsSig, issuer, validity, subject, spki cryptobyte.String
	if !readASN1(&tbs, &tbsSig, asn1.SEQUENCE) ||
		!readASN1(&tbs, &issuer, asn1.SEQUENCE) ||
		!readASN1(&tbs, &validity, asn1.SEQUENCE) ||
		!readASN1(&tbs, &subject, asn1.SEQUENCE) ||
		!readASN1(&tbs, &spki, asn1.SEQUENCE) {
		return ErrMalformed
	}
	var attrs [16]attr // room for the usual names' attributes, on the stack
	c.Issuer = p.renderName(issuer, attrs[:0], false)
	subjAttrs := parseName(attrs[:0], subject, maxNameAttrs) // for the CN too
	c.Subject = p.renderName(subject, subjAttrs, true)
	for i := len(subjAttrs) - 1; i >= 0; i-- {
		if subjAttrs[i].oid == oidCN {
			c.CN = asn1StringPrint(subjAttrs[i].value)
			c.HasCN = true
			break
		}
	}
	var w1, w2 string
	c.NotBefore, w1 = readTime(&validity)
	c.NotAfter, w2 = readTime(&validity)
	for _, w := range []string{w1, w2} {
		if w != "" {
			c.TimeWeirds = append(c.TimeWeirds, w)
		}
	}

	parseKey(c, spki)

	var sigOID cryptobyte.String
	if readASN1(&sigAlg, &sigOID, asn1.OBJECT_IDENTIFIER) {
		c.SigAlg, _ = algLongName(oidString(sigOID))
	}

	// optional issuerUniqueID [1], subjectUniqueID [2], extensions [3]
	for !tbs.Empty() {
		var body cryptobyte.String
		var tag asn1.Tag
		if !readAnyASN1(&tbs, &body, &tag) {
			break
		}
		if tag == asn1.Tag(3).Constructed().ContextSpecific() {
			parseExtensions(c, body)
		}
	}
	if c.HostnameNames == nil && !c.sanSeen && c.HasCN {
		c.HostnameNames = []string{c.CN}
	}
	return nil
}

// formatSerial prints an INTEGER's content as i2a_ASN1_INTEGER: "-" for negative values,
// the magnitude in uppercase hex, "00" for zero length, and a backslash-newline after
// every 35 bytes.
func formatSerial(content []byte) string {
	neg := len(content) > 0 && content[0]&0x80 != 0
	var mag []byte
	if neg {
		n := new(big.Int).SetBytes(content)
		n.Sub(n, new(big.Int).Lsh(big.NewInt(1), uint(8*len(content))))
		mag = n.Neg(n).Bytes()
	} else {
		mag = content
		for len(mag) > 1 && mag[0] == 0 {
			mag = mag[1:]
		}
		if len(mag) == 1 && mag[0] == 0 && len(content) > 0 {
			mag = mag[:1]
		}
	}
	var buf [80]byte // a usual serial's text fits: the string is the only allocation
	b := buf[:0]
	if neg {
		b = append(b, '-')
	}
	if len(mag) == 0 {
		return string(append(b, '0', '0'))
	}
	for i, x := range mag {
		if i != 0 && i%35 == 0 {
			b = append(b, '\\', '\n')
		}
		b = append(b, hexUpper[x>>4], hexUpper[x&0xf])
	}
	return string(b)
}

func parseExtensions(c *Certificate, body cryptobyte.String) {
	var exts cryptobyte.String
	if !readASN1(&body, &exts, asn1.SEQUENCE) {
		return
	}
	for !exts.Empty() {
		var ext, oid, val cryptobyte.String
		if !readASN1(&exts, &ext, asn1.SEQUENCE) || !readASN1(&ext, &oid, asn1.OBJECT_IDENTIFIER) {
			return
		}
		if ext.PeekASN1Tag(asn1.BOOLEAN) {
			var crit cryptobyte.String
			readASN1(&ext, &crit, asn1.BOOLEAN)
		}
		if !readASN1(&ext, &val, asn1.OCTET_STRING) {
			continue
		}
		switch string(oid) {
		case derOIDSAN:
			first := !c.sanSeen
			c.sanSeen = true
			var san SAN
			ok := parseSAN(&san, val)
			if ok {
				c.san = san
				c.SAN = &c.san
			}
			if first {
				c.HostnameNames = []string{}
				if ok && san.DNS != nil { // the SAN's own list (capped: an append copies)
					c.HostnameNames = san.DNS[:len(san.DNS):len(san.DNS)]
				}
			}
		case derOIDBC:
			if bc, ok := parseBasicConstraints(val); ok {
				c.bc = bc
				c.BasicConstraints = &c.bc
			}
		}
	}
}

// parseSAN reads a subjectAltName extension's value into *san (a zero SAN).
func parseSAN(san *SAN, val cryptobyte.String) bool {
	var names cryptobyte.String
	if !readASN1(&val, &names, asn1.SEQUENCE) || !val.Empty() {
		return false
	}
	for n := 0; !names.Empty(); n++ {
		var body cryptobyte.String
		var tag asn1.Tag
		if !readAnyASN1(&names, &body, &tag) {
			return false
		}
		if n >= MaxSANs {
			continue
		}
		switch tag {
		case asn1.Tag(2).ContextSpecific(): // dNSName
			san.DNS = append(san.DNS, string(body))
		case asn1.Tag(6).ContextSpecific(): // URI
			san.URI = append(san.URI, string(body))
		case asn1.Tag(1).ContextSpecific(): // rfc822Name
			san.Email = append(san.Email, string(body))
		case asn1.Tag(7).ContextSpecific(): // iPAddress
			if a, ok := netip.AddrFromSlice(body); ok && (len(body) == 4 || len(body) == 16) {
				san.IP = append(san.IP, a)
			}
		default:
			san.Other = true
		}
	}
	return true
}

func parseBasicConstraints(val cryptobyte.String) (bc BasicConstraints, ok bool) {
	var seq cryptobyte.String
	if !readASN1(&val, &seq, asn1.SEQUENCE) {
		return bc, false
	}
	if seq.PeekASN1Tag(asn1.BOOLEAN) {
		var b cryptobyte.String
		if !readASN1(&seq, &b, asn1.BOOLEAN) || len(b) != 1 {
			return bc, false
		}
		bc.CA = b[0] != 0
	}
	if seq.PeekASN1Tag(asn1.INTEGER) {
		var n int64
		if !seq.ReadASN1Int64WithTag(&n, asn1.INTEGER) {
			var raw cryptobyte.String
			readASN1(&seq, &raw, asn1.INTEGER)
			n = -1 // ASN1_INTEGER_get's error value for out-of-range numbers
		}
		bc.PathLen = int64(int32(n))
		bc.HasPathLen = true
	}
	return bc, true
}
