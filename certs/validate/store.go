package validate

import (
	"bytes"
	"errors"

	"golang.org/x/crypto/x509roots/fallback/bundle"
)

// store is the trust store (OpenSSL's X509_STORE as Zeek builds it from root_certs):
// trust anchors indexed by canonical subject name, in the order they were added.
type store struct {
	bySubject map[string][]*cert
	n         int
}

func newStore() *store { return &store{bySubject: make(map[string][]*cert)} }

// addMozilla adds Mozilla's roots as x/crypto packages them. Roots Mozilla marks with
// a distrust-after date are added without that constraint: OpenSSL, and so Zeek, has
// no notion of it.
func (s *store) addMozilla() {
	for r := range bundle.Roots() {
		// The bundle is well-formed; a root that fails to parse is skipped rather than
		// fatal, as OpenSSL's store would refuse it too.
		_ = s.add(r.Certificate)
	}
}

var errBadRoot = errors.New("not a parsable certificate")

// add adds one DER certificate; an exact duplicate is ignored (X509_STORE_add_cert).
func (s *store) add(der []byte) error {
	c := parseCert(append([]byte(nil), der...))
	if !c.ok {
		return errBadRoot
	}
	for _, o := range s.bySubject[c.subjectKey] {
		if bytes.Equal(o.der, c.der) {
			return nil
		}
	}
	s.bySubject[c.subjectKey] = append(s.bySubject[c.subjectKey], c)
	s.n++
	return nil
}

func (s *store) len() int { return s.n }

// contains reports whether c itself (byte for byte) is a trust anchor, and returns
// the store's copy.
func (s *store) contains(c *cert) *cert {
	for _, o := range s.bySubject[c.subjectKey] {
		if bytes.Equal(o.der, c.der) {
			return o
		}
	}
	return nil
}
