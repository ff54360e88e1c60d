package validate

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"testing"
	"time"
)

// t0 is the network time the tests validate at.
var t0 = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

func us(t time.Time) int64 { return t.UnixMicro() }

// testCert is a generated certificate and its key.
type testCert struct {
	der  []byte
	cert *x509.Certificate
	key  crypto.Signer
}

var serial int64

// certOpts adjust a generated certificate.
type certOpts struct {
	notBefore, notAfter time.Time
	ca                  bool
	noBC                bool
	isCAFalse           bool // basicConstraints present with CA false, on a "CA"
	extra               []pkix.Extension
	subjectOrg          string
	pathLenZero         bool // a CA with pathLenConstraint 0
	tweak               func(*x509.Certificate)
}

func newKey(t *testing.T) crypto.Signer {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// mkCert issues a certificate for cn, signed by parent (self-signed when parent is nil).
func mkCert(t *testing.T, cn string, parent *testCert, o certOpts) *testCert {
	t.Helper()
	key := newKey(t)
	serial++
	if o.notBefore.IsZero() {
		o.notBefore = t0.AddDate(-1, 0, 0)
	}
	if o.notAfter.IsZero() {
		o.notAfter = t0.AddDate(1, 0, 0)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(serial),
		Subject:               pkix.Name{CommonName: cn, Organization: []string{o.subjectOrg}},
		NotBefore:             o.notBefore,
		NotAfter:              o.notAfter,
		BasicConstraintsValid: !o.noBC,
		IsCA:                  o.ca && !o.isCAFalse,
		ExtraExtensions:       o.extra,
	}
	if o.pathLenZero {
		tmpl.MaxPathLen, tmpl.MaxPathLenZero = 0, true
	}
	if o.subjectOrg == "" {
		tmpl.Subject.Organization = nil
	}
	if o.ca {
		tmpl.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature
		if o.isCAFalse {
			tmpl.KeyUsage = x509.KeyUsageDigitalSignature
		}
	} else {
		tmpl.DNSNames = []string{cn}
	}
	if o.tweak != nil {
		o.tweak(tmpl)
	}
	signer, parentCert := key, tmpl
	if parent != nil {
		signer, parentCert = parent.key, parent.cert
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parentCert, key.Public(), signer)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &testCert{der: der, cert: c, key: key}
}

// pki is a root, an intermediate and a leaf under it.
type pki struct{ root, inter, leaf *testCert }

func newPKI(t *testing.T) pki {
	t.Helper()
	root := mkCert(t, "Test Root", nil, certOpts{ca: true})
	inter := mkCert(t, "Test Intermediate", root, certOpts{ca: true})
	leaf := mkCert(t, "www.example.com", inter, certOpts{})
	return pki{root, inter, leaf}
}

// newValidator trusts only the given roots.
func newValidator(t *testing.T, cfg Config, roots ...*testCert) *Validator {
	t.Helper()
	cfg.NoMozillaRoots = true
	for _, r := range roots {
		cfg.Roots = append(cfg.Roots, r.der)
	}
	v, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func ders(cs ...*testCert) [][]byte {
	out := make([][]byte, len(cs))
	for i, c := range cs {
		out[i] = c.der
	}
	return out
}
