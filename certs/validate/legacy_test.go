//go:debug rsa1024min=0

package validate

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"testing"
)

// Chains OpenSSL (and so Zeek) validates but crypto/x509 refuses: a 512-bit RSA root
// and SHA-1 signatures. The package verifies them itself.
func TestLegacyCryptoAccepted(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 512)
	if err != nil {
		t.Skip("cannot generate a 512-bit key:", err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Old Root"},
		NotBefore: t0.AddDate(-1, 0, 0), NotAfter: t0.AddDate(1, 0, 0), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign, SignatureAlgorithm: x509.SHA1WithRSA}
	rootDER, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Skip("cannot create a SHA-1 certificate:", err)
	}
	root, _ := x509.ParseCertificate(rootDER)
	leafKey := newKey(t)
	lt := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "old.example.com"},
		NotBefore: t0.AddDate(-1, 0, 0), NotAfter: t0.AddDate(1, 0, 0), SignatureAlgorithm: x509.SHA1WithRSA}
	leafDER, err := x509.CreateCertificate(rand.Reader, lt, root, leafKey.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(leafDER)
	if leaf.CheckSignatureFrom(root) == nil {
		t.Log("crypto/x509 accepts this chain here; the test still checks ours")
	}
	v := newValidator(t, Config{}, &testCert{der: rootDER})
	if r, _ := v.ValidateCerts([][]byte{leafDER}, us(t0)); r.Status != "ok" {
		t.Fatalf("%q", r.Status)
	}
	bad := append([]byte(nil), leafDER...)
	bad[len(bad)-3] ^= 1
	if r, _ := v.ValidateCerts([][]byte{bad}, us(t0)); r.Status != "certificate signature failure" {
		t.Fatalf("tampered: %q", r.Status)
	}
}
