package validate

import (
	"bytes"
	"time"

	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// OpenSSL's verification error codes (X509_V_ERR_*) that this package produces.
const (
	errOK                     = 0
	errUnspecified            = 1
	errUnableToGetIssuer      = 2
	errUnableToDecodeIssuerPK = 6
	errSignatureFailure       = 7
	errNotYetValid            = 9
	errExpired                = 10
	errNotBeforeFormat        = 13
	errNotAfterFormat         = 14
	errDepthZeroSelfSigned    = 18
	errSelfSignedInChain      = 19
	errUnableToGetIssuerLocal = 20
	errChainTooLong           = 22
	errInvalidCA              = 24
	errPathLength             = 25
	errKeyUsageNoCertSign     = 32
	errUnhandledCritical      = 34
	errECExplicitParams       = 95
)

// statusText are OpenSSL 3's X509_verify_cert_error_string texts, except 18, which Zeek
// rewrites to OpenSSL 1's wording.
var statusText = map[int]string{
	errOK:                     "ok",
	errUnspecified:            "unspecified certificate verification error",
	errUnableToGetIssuer:      "unable to get issuer certificate",
	errUnableToDecodeIssuerPK: "unable to decode issuer public key",
	errSignatureFailure:       "certificate signature failure",
	errNotYetValid:            "certificate is not yet valid",
	errExpired:                "certificate has expired",
	errNotBeforeFormat:        "format error in certificate's notBefore field",
	errNotAfterFormat:         "format error in certificate's notAfter field",
	errDepthZeroSelfSigned:    "self signed certificate",
	errSelfSignedInChain:      "self-signed certificate in certificate chain",
	errUnableToGetIssuerLocal: "unable to get local issuer certificate",
	errChainTooLong:           "certificate chain too long",
	errInvalidCA:              "invalid CA certificate",
	errPathLength:             "path length constraint exceeded",
	errKeyUsageNoCertSign:     "key usage does not include certificate signing",
	errUnhandledCritical:      "unhandled critical extension",
	errECExplicitParams:       "Certificate public key has explicit ECC parameters",
}

func result(code int, chain []*cert) Result {
	r := Result{Code: code, Status: statusText[code]}
	if code == errOK {
		r.Chain = make([][]byte, len(chain))
		for i, c := range chain {
			r.Chain[i] = c.der
		}
	}
	return r
}

// maxDepth is OpenSSL's default verification depth (100 issuers above the leaf).
const maxDepth = 100

// selfSignedState is X509_self_signed(c, 0): 1 self-signed, 0 not, -1 when OpenSSL
// cannot tell (undecodable key or invalid extensions). -1 is an internal error during
// chain building only when the trust store has an issuer for c; at the end of a failed
// build it just means "not self-signed".
func selfSignedState(c *cert) int {
	if c.key == nil || c.invalid {
		return -1
	}
	if c.selfSigned {
		return 1
	}
	return 0
}

// likelyIssued is OpenSSL's ossl_x509_likely_issued(issuer, c) == X509_V_OK, the test
// chain building uses: names, AKID and the signature algorithm's key type match.
func likelyIssued(issuer, c *cert) bool {
	return issuer.ok && issuer.subjectKey == c.issuerKey && !issuer.invalid && !c.invalid &&
		akidMatches(issuer, c) && sigAlgMatchesKey(c.tbsSigOID, issuer)
}

// timeValid is ossl_x509_check_cert_time without reporting.
func timeValid(c *cert, t time.Time) bool {
	return c.nbOK && c.naOK && !c.notBefore.After(t) && c.notAfter.After(t)
}

// bestIssuer picks, among candidates, the first one that issued c and is valid at t,
// else the one with the latest notAfter (OpenSSL's get0_best_issuer_sk).
func bestIssuer(cands []*cert, c *cert, t time.Time, skip func(*cert) bool) *cert {
	var best *cert
	for _, x := range cands {
		if skip != nil && skip(x) {
			continue
		}
		if !likelyIssued(x, c) {
			continue
		}
		if timeValid(x, t) {
			return x
		}
		if best == nil || x.notAfter.After(best.notAfter) {
			best = x
		}
	}
	return best
}

// verify is Zeek's x509_verify: OpenSSL 3's X509_verify_cert with the store's roots,
// chain[1:] as untrusted certificates, the check time t and no purpose, stopping at
// the first error.
//
// Reproduced: chain building (trusted store first at every step, then the sent
// certificates; issuer choice by name, AKID and key type, preferring issuers valid at
// t), the chain errors (self-signed leaf, self-signed root not trusted, missing issuer),
// check_extensions (unhandled critical extensions, CA flags, path length, explicit EC
// parameters), signatures from the root down with key usage, and validity times,
// then name constraints. Not reproduced: certificate policies (OpenSSL checks them only
// with X509_V_FLAG_POLICY_CHECK, which Zeek does not set, except for invalid policy
// extensions) and the RFC 3779 checks.
func (v *Validator) verify(chain []*cert, now int64) Result {
	t := time.Unix(floorDiv(now, 1e6), 0)
	leaf := chain[0]
	if !leaf.ok {
		return result(errUnspecified, nil)
	}
	untrusted := make([]*cert, 0, len(chain)-1)
	for _, c := range chain[1:] {
		if c.ok {
			untrusted = append(untrusted, c)
		}
	}
	built := []*cert{leaf}
	numUntrusted := 1
	trusted := false
	searchUntrusted := len(untrusted) > 0
	inChain := func(x *cert) bool {
		for _, c := range built {
			if bytes.Equal(c.der, x.der) {
				return true
			}
		}
		return false
	}
	for {
		num := len(built)
		top := built[num-1]
		// The trust store first, at every step (X509_V_FLAG_TRUSTED_FIRST, OpenSSL's
		// default).
		var iss *cert
		if num <= maxDepth+1 {
			iss = bestIssuer(v.store.bySubject[top.issuerKey], top, t, nil)
		}
		if iss != nil {
			ss := selfSignedState(top)
			if ss < 0 {
				return result(errUnspecified, nil)
			}
			ok := true
			if ss == 0 {
				built = append(built, iss)
				if ss = selfSignedState(iss); ss < 0 {
					return result(errUnspecified, nil)
				}
			} else if bytes.Equal(top.der, iss.der) {
				// A self-signed sent certificate is replaced by the identical anchor.
				built[num-1] = iss
				numUntrusted--
			} else {
				ok = false // a self-signed mimic of an anchor
			}
			if ok {
				searchUntrusted = false
				// check_trust: an anchor is trusted when self-signed.
				if a := built[len(built)-1]; a.selfSigned && !a.invalid {
					trusted = true
					break
				}
				if ss == 0 {
					continue
				}
			}
		}
		// Then the certificates the server sent, each used once.
		if !searchUntrusted || selfSignedState(top) > 0 || num > maxDepth+1 {
			break
		}
		iss = bestIssuer(untrusted, top, t, func(x *cert) bool {
			return !(top.selfIssued && num == 1) && inChain(x)
		})
		if iss == nil {
			break
		}
		for i, c := range untrusted {
			if c == iss {
				untrusted = append(untrusted[:i:i], untrusted[i+1:]...)
				break
			}
		}
		built = append(built, iss)
		numUntrusted++
	}
	if !trusted {
		num := len(built)
		switch {
		case num > maxDepth+1:
			return result(errChainTooLong, nil)
		case selfSignedState(built[num-1]) > 0:
			if num > 1 {
				return result(errSelfSignedInChain, nil)
			}
			return result(errDepthZeroSelfSigned, nil)
		case numUntrusted < num:
			return result(errUnableToGetIssuer, nil)
		default:
			return result(errUnableToGetIssuerLocal, nil)
		}
	}
	if code := checkExtensions(built); code != errOK {
		return result(code, nil)
	}
	// X509_get_pubkey_parameters needs every key of the chain decoded; its failure
	// ends in OpenSSL's catch-all error.
	for _, c := range built {
		if c.key == nil {
			return result(errUnspecified, nil)
		}
	}
	if code := internalVerify(built, t); code != errOK {
		return result(code, nil)
	}
	if code := checkNameConstraints(built); code != errOK {
		return result(code, nil)
	}
	return result(errOK, built)
}

// checkExtensions is OpenSSL's check_extensions without a purpose and without strict
// mode.
func checkExtensions(chain []*cert) int {
	plen := 0
	for i, x := range chain {
		if x.critUnknown {
			return errUnhandledCritical
		}
		if i > 0 {
			ca := 0
			if !x.invalid {
				ca = x.isCA()
			}
			if ca == 0 || i+1 < len(chain) && ca != 1 {
				return errInvalidCA
			}
		}
		if len(chain) > 1 && x.keyOID.Equal(oidKeyEC) && len(x.keyParams) > 0 &&
			cbasn1.Tag(x.keyParams[0]) == cbasn1.SEQUENCE {
			return errECExplicitParams
		}
		if i > 1 && x.pathLen != -1 && int64(plen) > x.pathLen {
			return errPathLength
		}
		if i > 0 && !x.selfIssued {
			plen++
		}
	}
	return errOK
}

// internalVerify is OpenSSL's internal_verify: from the trust anchor down, each
// certificate's issuer may sign certificates and did sign it, then its validity at t
// (the trust anchor's too). The anchor's own signature is not checked.
func internalVerify(chain []*cert, t time.Time) int {
	n := len(chain) - 1
	xi := chain[n]
	xs := xi
	for n >= 0 {
		if xs != xi {
			if xi.ku && xi.kuBits&kuKeyCertSign == 0 {
				return errKeyUsageNoCertSign
			}
			if xi.key == nil {
				return errUnableToDecodeIssuerPK
			}
			if !checkSignature(xs, xi) {
				return errSignatureFailure
			}
		}
		switch {
		case !xs.nbOK:
			return errNotBeforeFormat
		case xs.notBefore.After(t):
			return errNotYetValid
		case !xs.naOK:
			return errNotAfterFormat
		case !xs.notAfter.After(t):
			return errExpired
		}
		n--
		if n >= 0 {
			xi = xs
			xs = chain[n]
		}
	}
	return errOK
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}
