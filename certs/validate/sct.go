package validate

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"sort"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// VerifySCTs is validate-sct's SSL::ssl_finishing hook (priority 19, right after
// ValidateCerts): it verifies the connection's SCTs for the leaf chain[0] against the
// CT log list, with Zeek's cache of SCT results. res is the Result ValidateCerts gave
// for this connection (its Chain and Code are used for certificate-extension SCTs);
// nil if there was none. Call it only when ValidateCerts returned ok (Zeek's hook has
// the same precondition); now is network time in microseconds.
//
// SCTs of unknown logs are neither valid nor invalid, as in Zeek. Certificate-extension
// SCTs are verified as precertificate entries, trying as issuer key, in Zeek's order:
// the key found for an earlier SCT of the connection, the first intermediate cached for
// the leaf's issuer, the second certificate of the validated chain, then every other
// certificate the server sent.
func (v *Validator) VerifySCTs(chain [][]byte, res *Result, scts []SCT, now int64) SCTResult {
	var out SCTResult
	if len(chain) == 0 || chain[0] == nil {
		return out
	}
	leaf := v.parse(chain[0])
	leafSHA1 := leaf.sum1()
	ops := map[string]bool{}
	logs := map[[32]byte]bool{}
	var issuerKeyHash []byte
	sc := &sctCheck{leaf: leaf, budget: maxSCTVerifications}
	for _, p := range scts {
		if len(p.LogID) != 32 {
			continue
		}
		var id [32]byte
		copy(id[:], p.LogID)
		log := v.logs[id]
		if log == nil {
			continue
		}
		key := sctCacheKey(leafSHA1, p, res)
		valid, found := v.scts.get(key, now, v.expiry)
		if !found {
			if p.Source != SCTFromCertificate {
				valid = sc.verify(log.Key, p, nil)
			} else {
				if issuerKeyHash != nil {
					valid = sc.verify(log.Key, p, issuerKeyHash)
				}
				if !valid && v.cacheIntermediates {
					if ic, ok := v.intermediates.get(sha256.Sum256(leaf.issuerDER), now, -1); ok && len(ic) > 0 {
						issuerKeyHash = spkiHash(v.parse(ic[0]))
						valid = sc.verify(log.Key, p, issuerKeyHash)
					}
				}
				if !valid && res != nil && len(res.Chain) >= 2 {
					issuerKeyHash = spkiHash(v.parse(res.Chain[1]))
					valid = sc.verify(log.Key, p, issuerKeyHash)
				}
				if !valid {
					for _, c := range chain[1:] {
						if c == nil {
							continue
						}
						issuerKeyHash = spkiHash(v.parse(c))
						if valid = sc.verify(log.Key, p, issuerKeyHash); valid {
							break
						}
					}
				}
			}
			if !sc.capped {
				v.scts.put(key, valid, now)
			}
		}
		if valid {
			out.Valid++
			ops[log.Operator] = true
			logs[id] = true
		} else {
			out.Invalid++
		}
	}
	out.Logs, out.Operators, out.Capped = len(logs), len(ops), sc.capped
	for o := range ops {
		out.OperatorList = append(out.OperatorList, o)
	}
	sort.Strings(out.OperatorList)
	return out
}

// sctCacheKey identifies an SCT check as Zeek's validatestring does: the leaf, the
// proof, its source, and for certificate-extension SCTs the validation code.
func sctCacheKey(leafSHA1 [20]byte, p SCT, res *Result) [20]byte {
	h := sha1.New()
	h.Write(leafSHA1[:])
	var n [8]byte
	for _, f := range [][]byte{p.LogID, p.Signature} {
		binary.BigEndian.PutUint64(n[:], uint64(len(f)))
		h.Write(n[:])
		h.Write(f)
	}
	binary.BigEndian.PutUint64(n[:], p.Timestamp)
	h.Write(n[:])
	h.Write([]byte{byte(p.HashAlg), byte(p.Source)})
	if p.Source == SCTFromCertificate && res != nil {
		binary.BigEndian.PutUint64(n[:], uint64(int64(res.Code)))
		h.Write(n[:])
	}
	var k [20]byte
	h.Sum(k[:0])
	return k
}

// spkiHash is x509_spki_hash(cert, SHA-256); nil if c did not parse.
func spkiHash(c *cert) []byte {
	if c.spki == nil {
		return nil
	}
	h := sha256.Sum256(c.spki)
	return h[:]
}

// maxSCTVerifications bounds the signature checks of one VerifySCTs call: a
// certificate can carry many SCTs naming known logs, each tried with every certificate
// of the chain as issuer.
const maxSCTVerifications = 256

// sctCheck verifies the SCTs of one connection: the leaf, its precertificate TBS (built
// once) and the budget of signature checks.
type sctCheck struct {
	leaf           *cert
	tbs            []byte
	tbsDone, tbsOK bool
	budget         int
	capped         bool
}

// verify is Zeek's sct_verify: the RFC 6962 digitally-signed structure over the
// leaf (an x509_entry, or with issuerKeyHash a precert_entry of the leaf's TBS without
// its SCT list extension), verified with the log's key and the SCT's hash algorithm.
func (sc *sctCheck) verify(logKey []byte, p SCT, issuerKeyHash []byte) bool {
	leaf := sc.leaf
	precert := issuerKeyHash != nil
	if precert && len(issuerKeyHash) != 32 || !leaf.ok {
		return false
	}
	if sc.budget <= 0 {
		sc.capped = true
		return false
	}
	sc.budget--
	var b cryptobyte.Builder
	b.AddUint8(0) // version v1
	b.AddUint8(0) // certificate_timestamp
	b.AddUint64(p.Timestamp)
	if precert {
		if !sc.tbsDone {
			sc.tbs, sc.tbsOK = tbsWithoutSCTs(leaf.tbs)
			sc.tbsDone = true
		}
		if !sc.tbsOK {
			return false
		}
		tbs := sc.tbs
		b.AddUint16(1)
		b.AddBytes(issuerKeyHash)
		b.AddUint24LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(tbs) })
	} else {
		b.AddUint16(0)
		b.AddUint24LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(leaf.der) })
	}
	b.AddUint16(0) // no extensions
	data, err := b.Bytes()
	if err != nil {
		return false
	}
	h := tlsHash(p.HashAlg)
	if h == 0 {
		return false
	}
	d := digest(h, data)
	pub, err := x509.ParsePKIXPublicKey(logKey)
	if err != nil {
		// RSA keys too small for crypto/x509 still verify by hand.
		k := parseLogRSAKey(logKey)
		return k != nil && verifyPKCS1(k, h, d, p.Signature)
	}
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		return ecdsa.VerifyASN1(k, d, p.Signature)
	default:
		if rk := parseLogRSAKey(logKey); rk != nil {
			return verifyPKCS1(rk, h, d, p.Signature)
		}
	}
	return false
}

func parseLogRSAKey(spki []byte) *rsaKey {
	s := cryptobyte.String(spki)
	var seq, alg cryptobyte.String
	var bits cryptobyte.String
	if !s.ReadASN1(&seq, cbasn1.SEQUENCE) || !seq.ReadASN1(&alg, cbasn1.SEQUENCE) || !readBitStringLoose(&seq, &bits) {
		return nil
	}
	k, _ := parseKey(oidKeyRSA, nil, bits, nil).(*rsaKey)
	return k
}

// tlsHash maps the TLS HashAlgorithm registry to a hash (Zeek's hash_to_evp).
func tlsHash(n uint64) crypto.Hash {
	switch n {
	case 1:
		return crypto.MD5
	case 2:
		return crypto.SHA1
	case 3:
		return crypto.SHA224
	case 4:
		return crypto.SHA256
	case 5:
		return crypto.SHA384
	case 6:
		return crypto.SHA512
	}
	return 0
}

// tbsWithoutSCTs re-encodes a TBSCertificate without its first SCT list extension, as
// OpenSSL's X509_delete_ext followed by i2d_re_X509_tbs does.
func tbsWithoutSCTs(tbs []byte) ([]byte, bool) {
	s := cryptobyte.String(tbs)
	var body cryptobyte.String
	if !s.ReadASN1(&body, cbasn1.SEQUENCE) {
		return nil, false
	}
	var b cryptobyte.Builder
	found := false
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		for !body.Empty() {
			var el cryptobyte.String
			var tag cbasn1.Tag
			if !body.ReadAnyASN1Element(&el, &tag) {
				b.SetError(fmt.Errorf("bad TBS"))
				return
			}
			if tag != cbasn1.Tag(3).Constructed().ContextSpecific() {
				b.AddBytes(el)
				continue
			}
			var inner, list cryptobyte.String
			if !el.ReadASN1(&inner, tag) || !inner.ReadASN1(&list, cbasn1.SEQUENCE) {
				b.SetError(fmt.Errorf("bad extensions"))
				return
			}
			b.AddASN1(tag, func(b *cryptobyte.Builder) {
				b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
					for !list.Empty() {
						var ext cryptobyte.String
						if !list.ReadASN1Element(&ext, cbasn1.SEQUENCE) {
							b.SetError(fmt.Errorf("bad extension"))
							return
						}
						e := ext
						var seq cryptobyte.String
						var oid []byte
						if !found && e.ReadASN1(&seq, cbasn1.SEQUENCE) && seq.ReadASN1((*cryptobyte.String)(&oid), cbasn1.OBJECT_IDENTIFIER) &&
							string(oid) == string(oidSCTListDER) {
							found = true
							continue
						}
						b.AddBytes(ext)
					}
				})
			})
		}
	})
	out, err := b.Bytes()
	return out, err == nil && found
}

// oidSCTListDER is the content octets of 1.3.6.1.4.1.11129.2.4.2.
var oidSCTListDER = []byte{0x2b, 0x06, 0x01, 0x04, 0x01, 0xd6, 0x79, 0x02, 0x04, 0x02}

// SCTsFromCertificate returns the SCTs of a certificate's SCT list extension
// (1.3.6.1.4.1.11129.2.4.2), with Source SCTFromCertificate, in order; none if it has
// none. Zeek takes them from the first certificate of a chain (the one its file
// analysis types application/x-x509-user-cert).
func SCTsFromCertificate(der []byte) []SCT {
	c := parseCert(der)
	if !c.ok {
		return nil
	}
	var out []SCT
	forEachExtension(c.tbs, func(oid []byte, val cryptobyte.String) {
		if string(oid) == string(oidSCTListDER) {
			out = append(out, parseSCTList(val, SCTFromCertificate)...)
		}
	})
	return out
}

// SCTsFromOCSP returns the SCTs of the SCT list extensions (1.3.6.1.4.1.11129.2.4.5) of
// a DER OCSPResponse: those of every single response, then the response's own, as
// Zeek's OCSP analyzer raises them, with Source SCTFromOCSP.
func SCTsFromOCSP(response []byte) []SCT {
	_, basic, ok := parseOCSPResponse(response)
	if !ok || basic == nil {
		return nil
	}
	var out []SCT
	take := func(exts cryptobyte.String) {
		walkExtensions(exts, func(oid []byte, val cryptobyte.String) {
			if string(oid) == string(oidOCSPSCTListDER) {
				out = append(out, parseSCTList(val, SCTFromOCSP)...)
			}
		})
	}
	for _, s := range basic.singles {
		take(s.extensions)
	}
	take(basic.extensions)
	return out
}

// oidOCSPSCTListDER is the content octets of 1.3.6.1.4.1.11129.2.4.5.
var oidOCSPSCTListDER = []byte{0x2b, 0x06, 0x01, 0x04, 0x01, 0xd6, 0x79, 0x02, 0x04, 0x05}

// forEachExtension calls f with the OID content octets and value of each extension of
// a TBSCertificate.
func forEachExtension(tbs []byte, f func(oid []byte, val cryptobyte.String)) {
	s := cryptobyte.String(tbs)
	var body cryptobyte.String
	if !s.ReadASN1(&body, cbasn1.SEQUENCE) {
		return
	}
	for !body.Empty() {
		var el cryptobyte.String
		var tag cbasn1.Tag
		if !body.ReadAnyASN1(&el, &tag) {
			return
		}
		if tag != cbasn1.Tag(3).Constructed().ContextSpecific() {
			continue
		}
		walkExtensions(el, f) // [3] EXPLICIT Extensions: the last field of a TBSCertificate
	}
}

// walkExtensions calls f with the OID content octets and value of each extension of an
// Extensions SEQUENCE (the first element of exts); it stops at the first malformed one.
func walkExtensions(exts cryptobyte.String, f func(oid []byte, val cryptobyte.String)) {
	var list cryptobyte.String
	if !exts.ReadASN1(&list, cbasn1.SEQUENCE) {
		return
	}
	for !list.Empty() {
		var ext, val cryptobyte.String
		var oid []byte
		if !list.ReadASN1(&ext, cbasn1.SEQUENCE) || !ext.ReadASN1((*cryptobyte.String)(&oid), cbasn1.OBJECT_IDENTIFIER) {
			return
		}
		if ext.PeekASN1Tag(cbasn1.BOOLEAN) {
			var crit bool
			readBoolLoose(&ext, &crit)
		}
		if !ext.ReadASN1(&val, cbasn1.OCTET_STRING) {
			return
		}
		f(oid, val)
	}
}

// parseSCTList reads an SCT list extension value: an OCTET STRING holding the TLS
// SignedCertificateTimestampList. Parsing stops at the first malformed entry.
func parseSCTList(val cryptobyte.String, src SCTSource) []SCT {
	var inner, list cryptobyte.String
	if !val.ReadASN1(&inner, cbasn1.OCTET_STRING) || !inner.ReadUint16LengthPrefixed(&list) {
		return nil
	}
	var out []SCT
	for !list.Empty() {
		var e, logID, exts, sig cryptobyte.String
		var version, hashAlg, sigAlg uint8
		var ts uint64
		if !list.ReadUint16LengthPrefixed(&e) || !e.ReadUint8(&version) || !e.ReadBytes((*[]byte)(&logID), 32) ||
			!e.ReadUint64(&ts) || !e.ReadUint16LengthPrefixed(&exts) || !e.ReadUint8(&hashAlg) ||
			!e.ReadUint8(&sigAlg) || !e.ReadUint16LengthPrefixed(&sig) {
			break
		}
		out = append(out, SCT{Version: uint64(version), LogID: append([]byte(nil), logID...), Timestamp: ts,
			HashAlg: uint64(hashAlg), SigAlg: uint64(sigAlg), Signature: append([]byte(nil), sig...), Source: src})
	}
	return out
}

// LoadCTLogList reads a CT log list in the JSON format Google publishes (log_list.json,
// schema v3: operators[].name and operators[].logs[] with log_id, key and description,
// both base64), the source Zeek's ct-list.zeek is generated from. Every RFC 6962 log is
// returned whatever its state, as Zeek's generator does; static-CT ("tiled") logs are
// not, as Zeek's list has none.
func LoadCTLogList(r io.Reader) ([]CTLog, error) {
	var doc struct {
		Operators []struct {
			Name string `json:"name"`
			Logs []struct {
				Description string `json:"description"`
				LogID       string `json:"log_id"`
				Key         string `json:"key"`
			} `json:"logs"`
		} `json:"operators"`
	}
	if err := json.NewDecoder(r).Decode(&doc); err != nil {
		return nil, fmt.Errorf("validate: CT log list: %w", err)
	}
	var out []CTLog
	for _, op := range doc.Operators {
		for _, l := range op.Logs {
			id, err := base64.StdEncoding.DecodeString(l.LogID)
			if err != nil || len(id) != 32 {
				return nil, fmt.Errorf("validate: CT log list: log %q: bad log_id", l.Description)
			}
			key, err := base64.StdEncoding.DecodeString(l.Key)
			if err != nil {
				return nil, fmt.Errorf("validate: CT log list: log %q: bad key", l.Description)
			}
			var cl CTLog
			copy(cl.ID[:], id)
			cl.Key, cl.Operator, cl.Description = key, op.Name, l.Description
			out = append(out, cl)
		}
	}
	return out, nil
}
