package validate

import (
	"bytes"
	"crypto"
	"crypto/dsa" //nolint:staticcheck // OpenSSL still verifies DSA certificate signatures; so must we
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/md5"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/asn1"
	"hash"
	"math/big"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// keyKind is the type of a public key or of the key a signature algorithm needs.
type keyKind uint8

const (
	kindNone keyKind = iota
	kindRSA
	kindRSAPSS // signature only: verifies with an RSA or RSA-PSS key
	kindEC
	kindDSA
	kindEd25519
)

var (
	oidKeyRSA     = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 1}
	oidKeyRSAPSS  = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 10}
	oidKeyEC      = asn1.ObjectIdentifier{1, 2, 840, 10045, 2, 1}
	oidKeyDSA     = asn1.ObjectIdentifier{1, 2, 840, 10040, 4, 1}
	oidKeyEd25519 = asn1.ObjectIdentifier{1, 3, 101, 112}
)

// rsaKey is an RSA public key decoded without Go's size limits: OpenSSL verifies
// signatures of 512-bit keys, crypto/rsa refuses keys under 1024 bits.
type rsaKey struct{ n, e *big.Int }

// dsaKey wraps a DSA key.
type dsaKey struct{ *dsa.PublicKey }

// unsupportedECKey stands for an EC key on a curve Go does not implement (OpenSSL
// decodes it; signatures made with it fail to verify here).
type unsupportedECKey struct{}

// parseKey decodes a SubjectPublicKeyInfo as OpenSSL's X509_get0_pubkey would, for the
// key types certificate signatures use. nil means undecodable.
func parseKey(oid asn1.ObjectIdentifier, params, bits, spki []byte) any {
	switch {
	case oid.Equal(oidKeyRSA), oid.Equal(oidKeyRSAPSS):
		s := cryptobyte.String(bits)
		var seq cryptobyte.String
		n, e := new(big.Int), new(big.Int)
		if !s.ReadASN1(&seq, cbasn1.SEQUENCE) || !seq.ReadASN1Integer(n) || !seq.ReadASN1Integer(e) ||
			n.Sign() <= 0 || e.Sign() <= 0 {
			return nil
		}
		return &rsaKey{n: n, e: e}
	case oid.Equal(oidKeyEC):
		k, err := x509.ParsePKIXPublicKey(spki)
		if err != nil {
			var curve asn1.ObjectIdentifier
			p := cryptobyte.String(params)
			if p.ReadASN1ObjectIdentifier(&curve) && len(bits) > 0 {
				return unsupportedECKey{}
			}
			return nil
		}
		if ek, ok := k.(*ecdsa.PublicKey); ok {
			return ek
		}
		return nil
	case oid.Equal(oidKeyDSA):
		p := cryptobyte.String(params)
		var seq cryptobyte.String
		pp, q, g, y := new(big.Int), new(big.Int), new(big.Int), new(big.Int)
		if !p.ReadASN1(&seq, cbasn1.SEQUENCE) || !seq.ReadASN1Integer(pp) || !seq.ReadASN1Integer(q) ||
			!seq.ReadASN1Integer(g) {
			return nil
		}
		b := cryptobyte.String(bits)
		if !b.ReadASN1Integer(y) {
			return nil
		}
		return dsaKey{&dsa.PublicKey{Parameters: dsa.Parameters{P: pp, Q: q, G: g}, Y: y}}
	case oid.Equal(oidKeyEd25519):
		if len(bits) != ed25519.PublicKeySize {
			return nil
		}
		return ed25519.PublicKey(bits)
	}
	for _, o := range otherKeyOIDs {
		if oid.Equal(o) {
			return otherKey{oid: o}
		}
	}
	return nil
}

// otherKey stands for the key types OpenSSL decodes but whose signatures are not
// verified here (X25519, X448, Ed448, DH): a certificate carrying one is usable as a
// leaf, and one signed with Ed448 (whose signature OID is the key's) counts as
// self-signed when its names say so, but such signatures fail to verify.
//
// ML-DSA and SLH-DSA keys are deliberately unknown: the reference's OpenSSL (3.0–3.4)
// cannot decode them, so it never finds such a certificate self-signed (the corpus
// capture tls__ml-dsa-44-cert shows it: a self-issued ML-DSA certificate gets "unable to
// get local issuer certificate").
type otherKey struct{ oid asn1.ObjectIdentifier }

var otherKeyOIDs = []asn1.ObjectIdentifier{
	{1, 3, 101, 110}, {1, 3, 101, 111}, {1, 3, 101, 113},
	{1, 2, 840, 113549, 1, 3, 1}, {1, 2, 840, 10046, 2, 1},
}

func kindOfKey(k any) keyKind {
	switch k.(type) {
	case *rsaKey:
		return kindRSA
	case *ecdsa.PublicKey, unsupportedECKey:
		return kindEC
	case dsaKey:
		return kindDSA
	case ed25519.PublicKey:
		return kindEd25519
	}
	return kindNone
}

type sigAlg struct {
	oid  asn1.ObjectIdentifier
	kind keyKind
	hash crypto.Hash // 0 for Ed25519 and PSS (PSS takes it from its parameters)
}

// sigAlgs are the certificate signature algorithms verified here; OpenSSL knows a few
// more (MD2, MD4, GOST, SM2...), which count as unsupported.
var sigAlgs = []sigAlg{
	{asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 4}, kindRSA, crypto.MD5},
	{asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 5}, kindRSA, crypto.SHA1},
	{asn1.ObjectIdentifier{1, 3, 14, 3, 2, 29}, kindRSA, crypto.SHA1},
	{asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 14}, kindRSA, crypto.SHA224},
	{asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 11}, kindRSA, crypto.SHA256},
	{asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 12}, kindRSA, crypto.SHA384},
	{asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 13}, kindRSA, crypto.SHA512},
	{asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 10}, kindRSAPSS, 0},
	{asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 1}, kindEC, crypto.SHA1},
	{asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 1}, kindEC, crypto.SHA224},
	{asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 2}, kindEC, crypto.SHA256},
	{asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 3}, kindEC, crypto.SHA384},
	{asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 4}, kindEC, crypto.SHA512},
	{asn1.ObjectIdentifier{1, 2, 840, 10040, 4, 3}, kindDSA, crypto.SHA1},
	{asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 3, 1}, kindDSA, crypto.SHA224},
	{asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 3, 2}, kindDSA, crypto.SHA256},
	{oidKeyEd25519, kindEd25519, 0},
}

func lookupSigAlg(oid asn1.ObjectIdentifier) *sigAlg {
	for i := range sigAlgs {
		if sigAlgs[i].oid.Equal(oid) {
			return &sigAlgs[i]
		}
	}
	return nil
}

// sigAlgMatchesKey is OpenSSL's check_sig_alg_match: the signature algorithm is known
// and made for the issuer's key type (RSA-PSS also with a plain RSA key).
func sigAlgMatchesKey(sig asn1.ObjectIdentifier, issuer *cert) bool {
	if k, ok := issuer.key.(otherKey); ok {
		return k.oid.Equal(sig) && sig.Equal(asn1.ObjectIdentifier{1, 3, 101, 113})
	}
	a := lookupSigAlg(sig)
	if a == nil || issuer.key == nil {
		return false
	}
	k := kindOfKey(issuer.key)
	return a.kind == k || a.kind == kindRSAPSS && k == kindRSA
}

// checkSignature verifies that issuer's key signed c (X509_verify).
func checkSignature(c, issuer *cert) bool {
	a := lookupSigAlg(c.sigOID)
	if a == nil || issuer.key == nil {
		return false
	}
	switch k := issuer.key.(type) {
	case *rsaKey:
		if a.kind == kindRSAPSS {
			return verifyPSS(k, c.tbs, c.sigParams, c.signature)
		}
		if a.kind != kindRSA {
			return false
		}
		return verifyPKCS1(k, a.hash, digest(a.hash, c.tbs), c.signature)
	case *ecdsa.PublicKey:
		return a.kind == kindEC && ecdsa.VerifyASN1(k, digest(a.hash, c.tbs), c.signature)
	case dsaKey:
		if a.kind != kindDSA {
			return false
		}
		s := cryptobyte.String(c.signature)
		var seq cryptobyte.String
		r, ss := new(big.Int), new(big.Int)
		if !s.ReadASN1(&seq, cbasn1.SEQUENCE) || !seq.ReadASN1Integer(r) || !seq.ReadASN1Integer(ss) {
			return false
		}
		d := digest(a.hash, c.tbs)
		if ql := (k.Q.BitLen() + 7) / 8; len(d) > ql {
			d = d[:ql]
		}
		return dsa.Verify(k.PublicKey, d, r, ss)
	case ed25519.PublicKey:
		return a.kind == kindEd25519 && ed25519.Verify(k, c.tbs, c.signature)
	}
	return false
}

func newHash(h crypto.Hash) hash.Hash {
	switch h {
	case crypto.MD5:
		return md5.New()
	case crypto.SHA1:
		return sha1.New()
	case crypto.SHA224:
		return sha256.New224()
	case crypto.SHA256:
		return sha256.New()
	case crypto.SHA384:
		return sha512.New384()
	case crypto.SHA512:
		return sha512.New()
	}
	return nil
}

func digest(h crypto.Hash, data []byte) []byte {
	hh := newHash(h)
	if hh == nil {
		return nil
	}
	hh.Write(data)
	return hh.Sum(nil)
}

// digestInfoPrefix is the DER DigestInfo header (RFC 8017 §9.2 note 1) per hash.
var digestInfoPrefix = map[crypto.Hash][]byte{
	crypto.MD5:    {0x30, 0x20, 0x30, 0x0c, 0x06, 0x08, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x02, 0x05, 0x05, 0x00, 0x04, 0x10},
	crypto.SHA1:   {0x30, 0x21, 0x30, 0x09, 0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02, 0x1a, 0x05, 0x00, 0x04, 0x14},
	crypto.SHA224: {0x30, 0x2d, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x04, 0x05, 0x00, 0x04, 0x1c},
	crypto.SHA256: {0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20},
	crypto.SHA384: {0x30, 0x41, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02, 0x05, 0x00, 0x04, 0x30},
	crypto.SHA512: {0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03, 0x05, 0x00, 0x04, 0x40},
}

// verifyPKCS1 checks an RSASSA-PKCS1-v1_5 signature by hand with math/big, because
// crypto/rsa refuses the small keys OpenSSL (and so Zeek) still accepts.
func verifyPKCS1(k *rsaKey, h crypto.Hash, d, sig []byte) bool {
	prefix, ok := digestInfoPrefix[h]
	if !ok || d == nil {
		return false
	}
	size := (k.n.BitLen() + 7) / 8
	if len(sig) > size {
		return false
	}
	s := new(big.Int).SetBytes(sig)
	if s.Cmp(k.n) >= 0 {
		return false
	}
	em := new(big.Int).Exp(s, k.e, k.n).FillBytes(make([]byte, size))
	tLen := len(prefix) + len(d)
	if size < tLen+11 {
		return false
	}
	if em[0] != 0 || em[1] != 1 {
		return false
	}
	for _, b := range em[2 : size-tLen-1] {
		if b != 0xff {
			return false
		}
	}
	return em[size-tLen-1] == 0 && bytes.Equal(em[size-tLen:size-len(d)], prefix) &&
		bytes.Equal(em[size-len(d):], d)
}

// verifyPSS checks an RSASSA-PSS signature with the parameters of its AlgorithmIdentifier.
func verifyPSS(k *rsaKey, msg, params, sig []byte) bool {
	h, salt, ok := pssParams(params)
	if !ok || !k.e.IsInt64() || k.e.Int64() > 1<<31-1 {
		return false
	}
	pub := &rsa.PublicKey{N: k.n, E: int(k.e.Int64())}
	return rsa.VerifyPSS(pub, h, digest(h, msg), sig, &rsa.PSSOptions{SaltLength: salt, Hash: h}) == nil
}

var hashOIDs = map[string]crypto.Hash{
	"1.3.14.3.2.26":          crypto.SHA1,
	"2.16.840.1.101.3.4.2.4": crypto.SHA224,
	"2.16.840.1.101.3.4.2.1": crypto.SHA256,
	"2.16.840.1.101.3.4.2.2": crypto.SHA384,
	"2.16.840.1.101.3.4.2.3": crypto.SHA512,
}

// pssParams reads RSASSA-PSS-params: hash (default SHA-1), salt length (default 20).
// The MGF1 hash must equal the message hash (crypto/rsa's only mode).
func pssParams(params []byte) (crypto.Hash, int, bool) {
	h, salt := crypto.SHA1, 20
	s := cryptobyte.String(params)
	var seq cryptobyte.String
	if !s.ReadASN1(&seq, cbasn1.SEQUENCE) {
		return 0, 0, false
	}
	var v cryptobyte.String
	var present bool
	if !seq.ReadOptionalASN1(&v, &present, cbasn1.Tag(0).Constructed().ContextSpecific()) {
		return 0, 0, false
	}
	if present {
		var alg cryptobyte.String
		var oid asn1.ObjectIdentifier
		if !v.ReadASN1(&alg, cbasn1.SEQUENCE) || !alg.ReadASN1ObjectIdentifier(&oid) {
			return 0, 0, false
		}
		hh, ok := hashOIDs[oid.String()]
		if !ok {
			return 0, 0, false
		}
		h = hh
	}
	if !seq.ReadOptionalASN1(&v, &present, cbasn1.Tag(1).Constructed().ContextSpecific()) {
		return 0, 0, false
	}
	if present {
		var alg, inner cryptobyte.String
		var oid, hoid asn1.ObjectIdentifier
		if !v.ReadASN1(&alg, cbasn1.SEQUENCE) || !alg.ReadASN1ObjectIdentifier(&oid) ||
			!alg.ReadASN1(&inner, cbasn1.SEQUENCE) || !inner.ReadASN1ObjectIdentifier(&hoid) ||
			hashOIDs[hoid.String()] != h {
			return 0, 0, false
		}
	}
	if !seq.ReadOptionalASN1(&v, &present, cbasn1.Tag(2).Constructed().ContextSpecific()) {
		return 0, 0, false
	}
	if present {
		var n int64
		if !v.ReadASN1Int64WithTag(&n, cbasn1.INTEGER) || n < 0 {
			return 0, 0, false
		}
		salt = int(n)
	}
	return h, salt, true
}
