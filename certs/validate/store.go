package validate

import (
	"bytes"
	"crypto/sha1"
	"errors"
	"sort"

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
	// OpenSSL keeps a store's certificates of one subject in the order of their
	// SHA-1 fingerprints (X509_cmp), which decides between equally good issuers.
	list := append(s.bySubject[c.subjectKey], c)
	sort.SliceStable(list, func(i, j int) bool {
		a, b := sha1.Sum(list[i].der), sha1.Sum(list[j].der)
		return bytes.Compare(a[:], b[:]) < 0
	})
	s.bySubject[c.subjectKey] = list
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
