package validate

import (
	"bytes"
	"encoding/asn1"
	"time"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// cert is what verification needs of one certificate, read from its DER with the
// structure OpenSSL's d2i_X509 and its extension cache (ossl_x509v3_cache_extensions)
// give it. Fields are raw encodings; nothing aliases caller memory.
type cert struct {
	der        []byte
	sha1       *[20]byte // SHA-1 of der, computed at its first use (sum1)
	ok         bool      // the outer structure parsed
	tbs        []byte    // the TBSCertificate, full TLV (what the signature covers)
	sigOID     asn1.ObjectIdentifier
	sigParams  []byte // outer signatureAlgorithm parameters, full TLV (nil if absent)
	tbsSigOID  asn1.ObjectIdentifier
	signature  []byte
	version    int64 // 0 = v1
	serial     []byte
	issuerDER  []byte // full TLV: Zeek's issuer name hash is SHA-256 of this
	subjectDER []byte
	issuerKey  string // canonical forms, compared as OpenSSL's X509_NAME_cmp does
	subjectKey string
	notBefore  time.Time
	notAfter   time.Time
	nbOK, naOK bool
	spki       []byte // SubjectPublicKeyInfo, full TLV
	keyOID     asn1.ObjectIdentifier
	keyParams  []byte // algorithm parameters, full TLV
	keyBits    []byte // subjectPublicKey BIT STRING contents (without the unused-bits byte)
	key        any    // the decoded key (see parseKey); nil if OpenSSL could not decode it either

	skid        []byte
	akid        *akid
	bc          bool // basicConstraints present
	ca          bool
	pathLen     int64 // -1 if none
	ku          bool  // keyUsage present
	kuBits      uint16
	nsCA        bool             // Netscape cert type with a CA bit
	critUnknown bool             // a critical extension OpenSSL does not handle
	invalid     bool             // OpenSSL's EXFLAG_INVALID: an extension it cannot decode
	nc          *nameConstraints // nil if none
	sans        []generalName

	selfIssued, selfSigned bool
}

type akid struct {
	keyID      []byte
	hasKeyID   bool
	serial     []byte
	hasSerial  bool
	dirNameKey string // canonical form of the first directoryName of authorityCertIssuer
	hasDirName bool
}

var (
	oidBasicConstraints = asn1.ObjectIdentifier{2, 5, 29, 19}
	oidKeyUsage         = asn1.ObjectIdentifier{2, 5, 29, 15}
	oidSKID             = asn1.ObjectIdentifier{2, 5, 29, 14}
	oidAKID             = asn1.ObjectIdentifier{2, 5, 29, 35}
	oidSAN              = asn1.ObjectIdentifier{2, 5, 29, 17}
	oidEKU              = asn1.ObjectIdentifier{2, 5, 29, 37}
	oidNameConstraints  = asn1.ObjectIdentifier{2, 5, 29, 30}
	oidNSCertType       = asn1.ObjectIdentifier{2, 16, 840, 1, 113730, 1, 1}
	oidSCTList          = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 11129, 2, 4, 2}
)

// supportedCritical are the extensions OpenSSL's X509_supported_extension knows: a
// critical extension outside this list makes verification fail with "unhandled critical
// extension".
var supportedCritical = []asn1.ObjectIdentifier{
	oidNSCertType, oidKeyUsage, oidSAN, oidBasicConstraints,
	{2, 5, 29, 32},                  // certificatePolicies
	{2, 5, 29, 31},                  // cRLDistributionPoints
	oidEKU,                          // extKeyUsage
	{1, 3, 6, 1, 5, 5, 7, 1, 7},     // sbgp-ipAddrBlock
	{1, 3, 6, 1, 5, 5, 7, 1, 8},     // sbgp-autonomousSysNum
	{1, 3, 6, 1, 5, 5, 7, 48, 1, 5}, // OCSP noCheck
	{2, 5, 29, 36},                  // policyConstraints
	{1, 3, 6, 1, 5, 5, 7, 1, 14},    // proxyCertInfo
	oidNameConstraints,              // nameConstraints
	{2, 5, 29, 33},                  // policyMappings
	{2, 5, 29, 54},                  // inhibitAnyPolicy
}

const kuKeyCertSign = 0x04 // bit 5 in OpenSSL's ex_kusage numbering

// parseCert reads der. A certificate whose outer structure does not parse has ok false:
// it can be neither a trust anchor nor an issuer.
func parseCert(der []byte) *cert {
	c := &cert{der: der, pathLen: -1}
	s := cryptobyte.String(der)
	var certSeq, tbs, outerAlg, sig, tbsRaw cryptobyte.String
	if !s.ReadASN1(&certSeq, cbasn1.SEQUENCE) || !certSeq.ReadASN1Element(&tbsRaw, cbasn1.SEQUENCE) ||
		!certSeq.ReadASN1(&outerAlg, cbasn1.SEQUENCE) || !readBitStringLoose(&certSeq, &sig) {
		return c
	}
	c.tbs = tbsRaw
	c.signature = sig
	if !outerAlg.ReadASN1ObjectIdentifier(&c.sigOID) {
		return c
	}
	if len(outerAlg) > 0 {
		c.sigParams = outerAlg
	}
	if outer := tbsRaw; !outer.ReadASN1(&tbs, cbasn1.SEQUENCE) {
		return c
	}
	var present bool
	var vers cryptobyte.String
	if !tbs.ReadOptionalASN1(&vers, &present, cbasn1.Tag(0).Constructed().ContextSpecific()) {
		return c
	}
	if present && !vers.ReadASN1Int64WithTag(&c.version, cbasn1.INTEGER) {
		return c
	}
	var serial cryptobyte.String
	if !tbs.ReadASN1(&serial, cbasn1.INTEGER) {
		return c
	}
	c.serial = serial
	var tbsAlg, validity, spki cryptobyte.String
	var issuer, subject cryptobyte.String
	if !tbs.ReadASN1(&tbsAlg, cbasn1.SEQUENCE) || !tbsAlg.ReadASN1ObjectIdentifier(&c.tbsSigOID) {
		return c
	}
	if !tbs.ReadASN1Element(&issuer, cbasn1.SEQUENCE) || !tbs.ReadASN1(&validity, cbasn1.SEQUENCE) ||
		!tbs.ReadASN1Element(&subject, cbasn1.SEQUENCE) || !tbs.ReadASN1Element(&spki, cbasn1.SEQUENCE) {
		return c
	}
	c.issuerDER, c.subjectDER = issuer, subject
	c.issuerKey, c.subjectKey = canonicalName(issuer), canonicalName(subject)
	c.notBefore, c.nbOK = readTime(&validity)
	c.notAfter, c.naOK = readTime(&validity)
	c.spki = spki
	var spkiBody, keyAlg cryptobyte.String
	if spki.ReadASN1(&spkiBody, cbasn1.SEQUENCE) && spkiBody.ReadASN1(&keyAlg, cbasn1.SEQUENCE) &&
		keyAlg.ReadASN1ObjectIdentifier(&c.keyOID) {
		if len(keyAlg) > 0 {
			c.keyParams = keyAlg
		}
		var bits cryptobyte.String
		if readBitStringLoose(&spkiBody, &bits) {
			c.keyBits = bits
		}
	}
	c.key = parseKey(c.keyOID, c.keyParams, c.keyBits, c.spki)
	// issuerUniqueID [1], subjectUniqueID [2], extensions [3]
	var skip cryptobyte.String
	tbs.ReadOptionalASN1(&skip, &present, cbasn1.Tag(1).ContextSpecific())
	tbs.ReadOptionalASN1(&skip, &present, cbasn1.Tag(2).ContextSpecific())
	var exts cryptobyte.String
	if tbs.ReadOptionalASN1(&exts, &present, cbasn1.Tag(3).Constructed().ContextSpecific()) && present {
		c.parseExtensions(exts)
	}
	c.ok = true
	// Self-issued: names equal. Self-signed additionally needs a matching AKID and a
	// signature algorithm of its own key's type (OpenSSL 3's EXFLAG_SS).
	if c.issuerKey == c.subjectKey {
		c.selfIssued = true
		c.selfSigned = akidMatches(c, c) && sigAlgMatchesKey(c.tbsSigOID, c)
	}
	return c
}

// readBitStringLoose reads a BIT STRING's bytes, tolerating non-zero padding bits as
// OpenSSL does.
func readBitStringLoose(s *cryptobyte.String, out *cryptobyte.String) bool {
	var b cryptobyte.String
	if !s.ReadASN1(&b, cbasn1.BIT_STRING) || len(b) == 0 || b[0] > 7 {
		return false
	}
	*out = b[1:]
	return true
}

// readBoolLoose reads a BOOLEAN as OpenSSL does: one content octet, any non-zero value
// true (DER allows only 0xff).
func readBoolLoose(s *cryptobyte.String, out *bool) bool {
	var v cryptobyte.String
	if !s.ReadASN1(&v, cbasn1.BOOLEAN) || len(v) != 1 {
		return false
	}
	*out = v[0] != 0
	return true
}

func (c *cert) parseExtensions(exts cryptobyte.String) {
	var list cryptobyte.String
	if !exts.ReadASN1(&list, cbasn1.SEQUENCE) {
		c.invalid = true
		return
	}
	seen := map[string]bool{}
	for !list.Empty() {
		var ext, val cryptobyte.String
		var oid asn1.ObjectIdentifier
		critical := false
		if !list.ReadASN1(&ext, cbasn1.SEQUENCE) || !ext.ReadASN1ObjectIdentifier(&oid) {
			c.invalid = true
			return
		}
		if ext.PeekASN1Tag(cbasn1.BOOLEAN) && !readBoolLoose(&ext, &critical) {
			c.invalid = true
			return
		}
		if !ext.ReadASN1(&val, cbasn1.OCTET_STRING) {
			c.invalid = true
			return
		}
		if critical && !c.critUnknown && !isSupported(oid) {
			c.critUnknown = true
		}
		key := oid.String()
		dup := seen[key]
		seen[key] = true
		switch {
		case oid.Equal(oidBasicConstraints):
			// X509_get_ext_d2i fails on a repeated extension: OpenSSL marks it invalid.
			if dup || !c.parseBC(val) {
				c.invalid = true
			}
		case oid.Equal(oidKeyUsage):
			if dup || !c.parseKU(val) {
				c.invalid = true
			}
		case oid.Equal(oidSKID):
			var id cryptobyte.String
			if dup || !val.ReadASN1(&id, cbasn1.OCTET_STRING) {
				c.invalid = true
			} else {
				c.skid = id
			}
		case oid.Equal(oidAKID):
			a, ok := parseAKID(val)
			if dup || !ok {
				c.invalid = true
			} else {
				c.akid = a
			}
		case oid.Equal(oidNameConstraints):
			nc, ok := parseNameConstraints(val)
			if dup || !ok {
				c.invalid = true
			} else {
				c.nc = nc
			}
		case oid.Equal(oidNSCertType):
			var bits cryptobyte.String
			if readBitStringLoose(&val, &bits) && len(bits) > 0 && bits[0]&0x07 != 0 {
				c.nsCA = true
			}
		case oid.Equal(oidSAN):
			names, ok := parseGeneralNames(val)
			if dup || !ok {
				c.invalid = true
			} else {
				c.sans = names
			}
		case oid.Equal(oidEKU):
			var seq cryptobyte.String
			if dup || !val.ReadASN1(&seq, cbasn1.SEQUENCE) {
				c.invalid = true
			}
		}
	}
}

func isSupported(oid asn1.ObjectIdentifier) bool {
	for _, o := range supportedCritical {
		if o.Equal(oid) {
			return true
		}
	}
	return false
}

func (c *cert) parseBC(val cryptobyte.String) bool {
	var seq cryptobyte.String
	if !val.ReadASN1(&seq, cbasn1.SEQUENCE) {
		return false
	}
	c.bc = true
	if seq.PeekASN1Tag(cbasn1.BOOLEAN) && !readBoolLoose(&seq, &c.ca) {
		return false
	}
	if seq.PeekASN1Tag(cbasn1.INTEGER) {
		var n int64
		if !seq.ReadASN1Int64WithTag(&n, cbasn1.INTEGER) {
			return false
		}
		// A negative path length, or one on a non-CA, is invalid for OpenSSL.
		if n < 0 || !c.ca {
			c.pathLen = 0
			return false
		}
		c.pathLen = n
	}
	return true
}

func (c *cert) parseKU(val cryptobyte.String) bool {
	var bits cryptobyte.String
	if !readBitStringLoose(&val, &bits) {
		return false
	}
	c.ku = true
	if len(bits) > 0 {
		c.kuBits = uint16(bits[0])
	}
	if len(bits) > 1 {
		c.kuBits |= uint16(bits[1]) << 8
	}
	return true
}

func parseAKID(val cryptobyte.String) (*akid, bool) {
	var seq cryptobyte.String
	if !val.ReadASN1(&seq, cbasn1.SEQUENCE) {
		return nil, false
	}
	a := &akid{}
	var v cryptobyte.String
	var present bool
	if !seq.ReadOptionalASN1(&v, &present, cbasn1.Tag(0).ContextSpecific()) {
		return nil, false
	}
	if present {
		a.keyID, a.hasKeyID = v, true
	}
	if !seq.ReadOptionalASN1(&v, &present, cbasn1.Tag(1).Constructed().ContextSpecific()) {
		return nil, false
	}
	if present {
		// GeneralNames: take the first directoryName [4] (EXPLICIT Name).
		for !v.Empty() && !a.hasDirName {
			var gn cryptobyte.String
			var tag cbasn1.Tag
			if !v.ReadAnyASN1(&gn, &tag) {
				return nil, false
			}
			if tag == cbasn1.Tag(4).Constructed().ContextSpecific() {
				var name cryptobyte.String
				if gn.ReadASN1Element(&name, cbasn1.SEQUENCE) {
					a.dirNameKey, a.hasDirName = canonicalName(name), true
				}
			}
		}
	}
	if !seq.ReadOptionalASN1(&v, &present, cbasn1.Tag(2).ContextSpecific()) {
		return nil, false
	}
	if present {
		a.serial, a.hasSerial = v, true
	}
	return a, true
}

// akidMatches is OpenSSL's X509_check_akid(issuer, subject's AKID) == X509_V_OK.
func akidMatches(issuer, subject *cert) bool {
	a := subject.akid
	if a == nil {
		return true
	}
	if a.hasKeyID && issuer.skid != nil && !bytes.Equal(a.keyID, issuer.skid) {
		return false
	}
	if a.hasSerial && !sameInteger(a.serial, issuer.serial) {
		return false
	}
	if a.hasDirName && a.dirNameKey != issuer.issuerKey {
		return false
	}
	return true
}

// sameInteger compares two INTEGER contents by value (ASN1_INTEGER_cmp).
func sameInteger(a, b []byte) bool {
	trim := func(x []byte) []byte {
		for len(x) > 1 && (x[0] == 0 && x[1]&0x80 == 0 || x[0] == 0xff && x[1]&0x80 != 0) {
			x = x[1:]
		}
		return x
	}
	return bytes.Equal(trim(a), trim(b))
}

// isCA is OpenSSL's X509_check_ca: 1 for a CA by basicConstraints, 3/4/5 for the
// legacy reasons (v1 self-signed, keyUsage with keyCertSign, Netscape type), 0 if not.
func (c *cert) isCA() int {
	if c.ku && c.kuBits&kuKeyCertSign == 0 {
		return 0
	}
	if c.bc {
		if c.ca {
			return 1
		}
		return 0
	}
	if c.version == 0 && c.selfSigned {
		return 3
	}
	if c.ku {
		return 4
	}
	if c.nsCA {
		return 5
	}
	return 0
}

// readTime reads one Time of a Validity as OpenSSL's ASN1_TIME parsing accepts it
// (UTCTime YYMMDDHHMMSSZ, GeneralizedTime YYYYMMDDHHMMSSZ; OpenSSL 3 rejects other forms
// during verification as a "format error").
func readTime(s *cryptobyte.String) (time.Time, bool) {
	var v cryptobyte.String
	var tag cbasn1.Tag
	if !s.ReadAnyASN1(&v, &tag) {
		return time.Time{}, false
	}
	str := string(v)
	switch tag {
	case cbasn1.UTCTime:
		t, err := time.Parse("060102150405Z0700", str)
		if err != nil || len(str) != 13 {
			return time.Time{}, false
		}
		// RFC 5280: two-digit years 50..99 are 19xx (Go already maps 69..99 so).
		if t.Year() >= 2050 {
			t = t.AddDate(-100, 0, 0)
		}
		return t, true
	case cbasn1.GeneralizedTime:
		if len(str) != 15 {
			return time.Time{}, false
		}
		t, err := time.Parse("20060102150405Z0700", str)
		return t, err == nil
	}
	return time.Time{}, false
}
