package validate

import (
	"bytes"
	"crypto/sha1"
	"encoding/asn1"
	"time"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

var (
	oidOCSPBasic   = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 48, 1, 1}
	oidSHA1        = asn1.ObjectIdentifier{1, 3, 14, 3, 2, 26}
	oidOCSPSCTList = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 11129, 2, 4, 5}
)

// basicResponse is the part of a BasicOCSPResponse x509_ocsp_verify looks at.
type basicResponse struct {
	tbs        []byte // ResponseData, full TLV (what the signature covers)
	sigOID     asn1.ObjectIdentifier
	sigParams  []byte
	signature  []byte
	byName     bool
	nameKey    string // canonical responder name (byName)
	keyHash    []byte // responder key hash (byKey)
	certs      []*cert
	singles    []singleResponse
	extensions cryptobyte.String // responseExtensions content, if any
}

type singleResponse struct {
	hashOID                 asn1.ObjectIdentifier
	nameHash, keyHash       []byte
	serial                  []byte
	status                  int // 0 good, 1 revoked, 2 unknown
	thisUpdate, nextUpdate  time.Time
	thisOK, nextOK, hasNext bool
	extensions              cryptobyte.String
}

// ocspStatusText is OpenSSL's OCSP_response_status_str.
var ocspStatusText = map[int64]string{
	0: "successful", 1: "malformedrequest", 2: "internalerror", 3: "trylater",
	5: "sigrequired", 6: "unauthorized",
}

// parseOCSPResponse reads an OCSPResponse. ok false means it does not parse; status is
// its responseStatus; basic is nil unless it is successful with a basic response that
// parses.
func parseOCSPResponse(der []byte) (status int64, basic *basicResponse, ok bool) {
	s := cryptobyte.String(der)
	var resp cryptobyte.String
	if !s.ReadASN1(&resp, cbasn1.SEQUENCE) {
		return 0, nil, false
	}
	var st cryptobyte.String
	if !resp.ReadASN1(&st, cbasn1.ENUM) || len(st) == 0 {
		return 0, nil, false
	}
	for _, b := range st {
		status = status<<8 | int64(b)
	}
	var rb cryptobyte.String
	var present bool
	if !resp.ReadOptionalASN1(&rb, &present, cbasn1.Tag(0).Constructed().ContextSpecific()) {
		return 0, nil, false
	}
	if !present {
		return status, nil, true
	}
	var rbSeq, octets cryptobyte.String
	var typ asn1.ObjectIdentifier
	if !rb.ReadASN1(&rbSeq, cbasn1.SEQUENCE) || !rbSeq.ReadASN1ObjectIdentifier(&typ) ||
		!rbSeq.ReadASN1(&octets, cbasn1.OCTET_STRING) {
		return 0, nil, false
	}
	if typ.Equal(oidOCSPBasic) {
		basic = parseBasic(octets)
	}
	return status, basic, true
}

func parseBasic(b cryptobyte.String) *basicResponse {
	var seq, tbsRaw, alg, sig cryptobyte.String
	if !b.ReadASN1(&seq, cbasn1.SEQUENCE) || !seq.ReadASN1Element(&tbsRaw, cbasn1.SEQUENCE) ||
		!seq.ReadASN1(&alg, cbasn1.SEQUENCE) || !readBitStringLoose(&seq, &sig) {
		return nil
	}
	r := &basicResponse{tbs: tbsRaw, signature: sig}
	if !alg.ReadASN1ObjectIdentifier(&r.sigOID) {
		return nil
	}
	if len(alg) > 0 {
		r.sigParams = alg
	}
	var certsField cryptobyte.String
	var present bool
	if !seq.ReadOptionalASN1(&certsField, &present, cbasn1.Tag(0).Constructed().ContextSpecific()) {
		return nil
	}
	if present {
		var list cryptobyte.String
		if !certsField.ReadASN1(&list, cbasn1.SEQUENCE) {
			return nil
		}
		for !list.Empty() {
			var c cryptobyte.String
			if !list.ReadASN1Element(&c, cbasn1.SEQUENCE) {
				return nil
			}
			r.certs = append(r.certs, parseCert(append([]byte(nil), c...)))
		}
	}
	var tbs cryptobyte.String
	if outer := cryptobyte.String(tbsRaw); !outer.ReadASN1(&tbs, cbasn1.SEQUENCE) {
		return nil
	}
	var v cryptobyte.String
	if !tbs.ReadOptionalASN1(&v, &present, cbasn1.Tag(0).Constructed().ContextSpecific()) {
		return nil
	}
	var rid cryptobyte.String
	var tag cbasn1.Tag
	if !tbs.ReadAnyASN1(&rid, &tag) {
		return nil
	}
	switch tag {
	case cbasn1.Tag(1).Constructed().ContextSpecific():
		var name cryptobyte.String
		if !rid.ReadASN1Element(&name, cbasn1.SEQUENCE) {
			return nil
		}
		r.byName, r.nameKey = true, canonicalName(name)
	case cbasn1.Tag(2).Constructed().ContextSpecific():
		var kh cryptobyte.String
		if !rid.ReadASN1(&kh, cbasn1.OCTET_STRING) {
			return nil
		}
		r.keyHash = kh
	default:
		return nil
	}
	var produced, responses cryptobyte.String
	if !tbs.ReadASN1(&produced, cbasn1.GeneralizedTime) || !tbs.ReadASN1(&responses, cbasn1.SEQUENCE) {
		return nil
	}
	for !responses.Empty() {
		sr, ok := parseSingle(&responses)
		if !ok {
			return nil
		}
		r.singles = append(r.singles, sr)
	}
	var ext cryptobyte.String
	if tbs.ReadOptionalASN1(&ext, &present, cbasn1.Tag(1).Constructed().ContextSpecific()) && present {
		r.extensions = ext
	}
	return r
}

func parseSingle(s *cryptobyte.String) (singleResponse, bool) {
	var sr singleResponse
	var seq, certID, hashAlg, status cryptobyte.String
	var tag cbasn1.Tag
	if !s.ReadASN1(&seq, cbasn1.SEQUENCE) || !seq.ReadASN1(&certID, cbasn1.SEQUENCE) ||
		!certID.ReadASN1(&hashAlg, cbasn1.SEQUENCE) || !hashAlg.ReadASN1ObjectIdentifier(&sr.hashOID) {
		return sr, false
	}
	var nh, kh, serial cryptobyte.String
	if !certID.ReadASN1(&nh, cbasn1.OCTET_STRING) || !certID.ReadASN1(&kh, cbasn1.OCTET_STRING) ||
		!certID.ReadASN1(&serial, cbasn1.INTEGER) {
		return sr, false
	}
	sr.nameHash, sr.keyHash, sr.serial = nh, kh, serial
	if !seq.ReadAnyASN1(&status, &tag) || tag&0x1f > 2 || tag&0xc0 != 0x80 {
		return sr, false
	}
	sr.status = int(tag & 0x1f)
	var tu cryptobyte.String
	if !seq.ReadASN1(&tu, cbasn1.GeneralizedTime) {
		return sr, false
	}
	sr.thisUpdate, sr.thisOK = generalizedTime(tu)
	var nu cryptobyte.String
	var present bool
	if !seq.ReadOptionalASN1(&nu, &present, cbasn1.Tag(0).Constructed().ContextSpecific()) {
		return sr, false
	}
	if present {
		sr.hasNext = true
		var t cryptobyte.String
		if nu.ReadASN1(&t, cbasn1.GeneralizedTime) {
			sr.nextUpdate, sr.nextOK = generalizedTime(t)
		}
	}
	var ext cryptobyte.String
	if seq.ReadOptionalASN1(&ext, &present, cbasn1.Tag(1).Constructed().ContextSpecific()) && present {
		sr.extensions = ext
	}
	return sr, true
}

func generalizedTime(v []byte) (time.Time, bool) {
	for _, layout := range []string{"20060102150405Z0700", "20060102150405.999999999Z0700"} {
		if t, err := time.Parse(layout, string(v)); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// ocspSignerNotVerified is what Zeek reports (OpenSSL's ERR_error_string of the first
// queued error) when the response's own signature does not verify; OpenSSL may queue a
// lower-level error first, whose text is not reproduced.
const ocspSignatureFailure = "error:13800075:OCSP routines::signature failure"

// VerifyOCSP is validate-ocsp's ssl_established handler: it verifies a stapled OCSP
// response (the DER OCSPResponse of ssl_stapled_ocsp) for the leaf chain[0] at network
// time now (microseconds), as Zeek's x509_ocsp_verify does: the responder certificate
// (found in the response or the server's chain) must validate against the roots, the
// response's signature must verify, its single response must be for the leaf and fresh
// at now. Call it at ssl_established when the connection has a chain with a non-nil
// first certificate and a stapled response. Zeek caches nothing that a later connection
// could reuse (its cache key holds the connection's file ids), so neither does this.
func (v *Validator) VerifyOCSP(chain [][]byte, response []byte, now int64) OCSPResult {
	if len(chain) == 0 || chain[0] == nil {
		return OCSPResult{Code: -1, Status: "undefined value in certificate vector"}
	}
	vtime := time.Unix(floorDiv(now, 1e6), 0)
	leaf := v.parse(chain[0])
	var untrusted []*cert
	for _, c := range chain[1:] {
		if c != nil {
			untrusted = append(untrusted, v.parse(c))
		}
	}
	status, basic, ok := parseOCSPResponse(response)
	if !ok {
		return OCSPResult{Code: -1, Status: "Could not parse OCSP response"}
	}
	if status != 0 {
		s, known := ocspStatusText[status]
		if !known {
			s = "(UNKNOWN)"
		}
		return OCSPResult{Code: -2, Status: s}
	}
	if basic == nil {
		return OCSPResult{Code: -1, Status: "Could not parse OCSP response"}
	}
	// The server's certificates join the response's (so that they serve for the
	// responder's chain); the last one named as the leaf's issuer is its issuer.
	var issuer *cert
	for _, c := range untrusted {
		basic.certs = append(basic.certs, c)
		if c.ok && c.subjectKey == leaf.issuerKey {
			issuer = c
		}
	}
	signer := findOCSPSigner(basic)
	if signer == nil {
		return OCSPResult{Code: -1, Status: "Could not find OCSP responder certificate"}
	}
	sc := append([]*cert{signer}, basic.certs...)
	if r := v.verify(sc, now); !r.OK() {
		s := r.Status
		if r.Code == errDepthZeroSelfSigned {
			s = "self-signed certificate" // Zeek rewrites this only in x509_verify
		}
		return OCSPResult{Code: 0, Status: s}
	}
	if signer.key == nil {
		return OCSPResult{Code: -1, Status: "error:13800080:OCSP routines::no signer key"}
	}
	pseudo := &cert{tbs: basic.tbs, sigOID: basic.sigOID, sigParams: basic.sigParams, signature: basic.signature}
	if !checkSignature(pseudo, signer) {
		return OCSPResult{Code: 0, Status: ocspSignatureFailure}
	}
	if issuer == nil {
		// Zeek looks the store up by the leaf's own subject name here.
		if cands := v.store.bySubject[leaf.subjectKey]; len(cands) > 0 {
			issuer = cands[0]
		} else {
			return OCSPResult{Code: 0, Status: "Could not find issuer of host certificate"}
		}
	}
	if len(basic.singles) == 0 {
		return OCSPResult{Code: -1, Status: "Could not lookup OCSP response information"}
	}
	single := basic.singles[0]
	nameHash := sha1.Sum(leaf.issuerDER)
	keyHash := sha1.Sum(issuer.keyBits)
	if !single.hashOID.Equal(oidSHA1) || !bytes.Equal(single.nameHash, nameHash[:]) ||
		!bytes.Equal(single.keyHash, keyHash[:]) || !sameInteger(single.serial, leaf.serial) {
		return OCSPResult{Code: -1, Status: "OCSP reply is not for host certificate"}
	}
	switch {
	case !single.hasNext:
		return OCSPResult{Code: -1, Status: "OCSP reply missing nextUpdate field"}
	case !single.thisOK:
		return OCSPResult{Code: -1, Status: "OCSP reply contains invalid thisUpdate field"}
	case !single.nextOK:
		return OCSPResult{Code: -1, Status: "OCSP reply contains invalid nextUpdate field"}
	case single.thisUpdate.After(vtime):
		return OCSPResult{Code: -1, Status: "OCSP reply specifies time in future"}
	case single.nextUpdate.Before(vtime):
		return OCSPResult{Code: -1, Status: "OCSP reply expired"}
	case single.status == 1:
		return OCSPResult{Code: -1, Status: "revoked"}
	case single.status == 2:
		return OCSPResult{Code: -1, Status: "unknown"}
	}
	return OCSPResult{Code: 1, Status: "good"}
}

// findOCSPSigner is Zeek's x509_get_ocsp_signer: the first certificate whose subject is
// the responder's name, or whose key's SHA-1 is the responder's key hash.
func findOCSPSigner(b *basicResponse) *cert {
	for _, c := range b.certs {
		if !c.ok {
			continue
		}
		if b.byName {
			if c.subjectKey == b.nameKey {
				return c
			}
			continue
		}
		if len(b.keyHash) != sha1.Size {
			return nil
		}
		h := sha1.Sum(c.keyBits)
		if bytes.Equal(h[:], b.keyHash) {
			return c
		}
	}
	return nil
}
