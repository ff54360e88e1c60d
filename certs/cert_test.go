package certs

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"math/big"
	"net"
	"net/url"
	"strings"
	"testing"
	"time"
)

func makeCert(t *testing.T, tmpl *x509.Certificate, pub crypto.PublicKey, priv crypto.Signer) []byte {
	t.Helper()
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, pub, priv)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func baseTemplate() *x509.Certificate {
	return &x509.Certificate{
		SerialNumber: big.NewInt(0x1234),
		Subject: pkix.Name{CommonName: "www.example.com", Organization: []string{"Example, Inc."},
			Country: []string{"US"}, OrganizationalUnit: []string{" lead space"}},
		NotBefore: time.Unix(1348161979, 0).UTC(),
		NotAfter:  time.Date(2051, 1, 2, 3, 4, 5, 0, time.UTC), // GeneralizedTime
	}
}

func TestRSACertificate(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := baseTemplate()
	tmpl.DNSNames = []string{"a.example.com", "*.example.org"}
	tmpl.EmailAddresses = []string{"x@example.com"}
	tmpl.IPAddresses = []net.IP{net.ParseIP("192.0.2.1"), net.ParseIP("2001:db8::1")}
	u, _ := url.Parse("https://example.com/p")
	tmpl.URIs = []*url.URL{u}
	tmpl.BasicConstraintsValid = true
	tmpl.IsCA = true
	tmpl.MaxPathLen = 3
	der := makeCert(t, tmpl, &key.PublicKey, key)
	c, err := Parse(der)
	if err != nil {
		t.Fatal(err)
	}
	if c.Version != 3 || c.Serial != "1234" {
		t.Errorf("version/serial %d %q", c.Version, c.Serial)
	}
	wantSubj := `CN=www.example.com,OU=\ lead space,O=Example\, Inc.,C=US`
	if c.Subject != wantSubj || c.Issuer != wantSubj {
		t.Errorf("subject %q issuer %q, want %q", c.Subject, c.Issuer, wantSubj)
	}
	if c.NotBefore != 1348161979 || c.NotAfter != tmpl.NotAfter.Unix() {
		t.Errorf("validity %d %d", c.NotBefore, c.NotAfter)
	}
	if c.KeyAlg != "rsaEncryption" || c.SigAlg != "sha256WithRSAEncryption" || c.KeyType != "rsa" ||
		c.KeyLength != 2048 || c.Exponent != "65537" || c.Curve != "" {
		t.Errorf("key fields %+v", c)
	}
	if c.SAN == nil || strings.Join(c.SAN.DNS, ",") != "a.example.com,*.example.org" ||
		c.SAN.Email[0] != "x@example.com" || c.SAN.URI[0] != "https://example.com/p" ||
		len(c.SAN.IP) != 2 || c.SAN.IP[0].String() != "192.0.2.1" || c.SAN.IP[1].String() != "2001:db8::1" {
		t.Errorf("SAN %+v", c.SAN)
	}
	if bc := c.BasicConstraints; bc == nil || !bc.CA || !bc.HasPathLen || bc.PathLen != 3 {
		t.Errorf("basic constraints %+v", c.BasicConstraints)
	}
	if strings.Join(c.HostnameNames, ",") != "a.example.com,*.example.org" {
		t.Errorf("hostname names %v", c.HostnameNames)
	}
}

func TestECAndEdCertificates(t *testing.T) {
	for _, tc := range []struct {
		curve elliptic.Curve
		name  string
		bits  uint64
		sig   string
	}{{elliptic.P256(), "prime256v1", 256, "ecdsa-with-SHA256"}, {elliptic.P384(), "secp384r1", 384, "ecdsa-with-SHA384"},
		{elliptic.P521(), "secp521r1", 521, "ecdsa-with-SHA512"}} {
		key, _ := ecdsa.GenerateKey(tc.curve, rand.Reader)
		tmpl := baseTemplate()
		c, err := Parse(makeCert(t, tmpl, &key.PublicKey, key))
		if err != nil {
			t.Fatal(err)
		}
		if c.KeyAlg != "id-ecPublicKey" || c.KeyType != "ecdsa" || c.Curve != tc.name || c.KeyLength != tc.bits || c.SigAlg != tc.sig {
			t.Errorf("%s: %+v", tc.name, c)
		}
		if c.SAN != nil || c.BasicConstraints != nil || strings.Join(c.HostnameNames, ",") != "www.example.com" {
			t.Errorf("%s: extensions %+v %+v %v", tc.name, c.SAN, c.BasicConstraints, c.HostnameNames)
		}
	}
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	c, err := Parse(makeCert(t, baseTemplate(), pub, priv))
	if err != nil {
		t.Fatal(err)
	}
	if c.KeyAlg != "ED25519" || c.SigAlg != "ED25519" || c.KeyType != "ED25519" || c.KeyLength != 253 {
		t.Errorf("ed25519: %+v", c)
	}
}

func TestNegativeSerialAndOddNames(t *testing.T) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := baseTemplate()
	tmpl.SerialNumber = big.NewInt(0x7E01) // patched below into a negative serial
	tmpl.Subject = pkix.Name{ExtraNames: []pkix.AttributeTypeAndValue{
		{Type: asn1.ObjectIdentifier{2, 5, 4, 3}, Value: "é#+;<>\"\\ "},
		{Type: asn1.ObjectIdentifier{1, 2, 3, 4}, Value: "abc"},
		{Type: asn1.ObjectIdentifier{0, 9, 2342, 19200300, 100, 1, 25}, Value: "#dc"},
	}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	// crypto/x509 refuses to create (and to parse) negative serials: patch the DER
	i := bytes.Index(der, []byte{0x02, 0x02, 0x7E, 0x01})
	if i < 0 {
		t.Fatal("serial not found")
	}
	copy(der[i+2:], []byte{0xFE, 0xFE})
	if _, err := x509.ParseCertificate(der); err == nil {
		t.Log("crypto/x509 accepted a negative serial")
	}
	c, err := Parse(der)
	if err != nil {
		t.Fatal(err)
	}
	if c.Serial != "-0102" {
		t.Errorf("serial %q", c.Serial)
	}
	// reverse order; unknown OID dumped as DER hex; UTF-8 bytes escaped as \XX; specials escaped
	want := `DC=\#dc,1.2.3.4=#1303616263,CN=\C3\A9#\+\;\<\>\"\\\ `
	if c.Subject != want {
		t.Errorf("subject\n got %s\nwant %s", c.Subject, want)
	}
}

func TestSerialFormatting(t *testing.T) {
	for _, tc := range []struct {
		in   []byte
		want string
	}{
		{[]byte{0x00, 0xEA, 0x83}, "EA83"},
		{[]byte{0x01}, "01"},
		{[]byte{0x00}, "00"},
		{nil, "00"},
		{[]byte{0xFF}, "-01"},
		{[]byte{0x80}, "-80"},
		{[]byte{0xFF, 0x00}, "-0100"},
	} {
		if got := formatSerial(tc.in); got != tc.want {
			t.Errorf("formatSerial(% x) = %q, want %q", tc.in, got, tc.want)
		}
	}
	long := make([]byte, 36)
	for i := range long {
		long[i] = 0x11
	}
	if got := formatSerial(long); got != strings.Repeat("11", 35)+"\\\n11" {
		t.Errorf("long serial %q", got)
	}
}

func TestASN1Times(t *testing.T) {
	for _, tc := range []struct {
		s    string
		tag  int
		want int64
	}{
		{"120920175939Z", 23, 1348163979},
		{"491231235959Z", 23, 2524607999},
		{"500101000000Z", 23, -631152000},
		{"20510102030405Z", 24, 2556241445},
		{"20510102030405.123Z", 24, 2556241445},
		{"1209201759Z", 23, 1348163940}, // no seconds: Zeek takes 00
		{"12092017Z", 23, 0},            // too short
		{"120920175939", 23, 0},         // no Z
	} {
		if got := asn1Time([]byte(tc.s), asn1TagOf(tc.tag)); got != tc.want {
			t.Errorf("asn1Time(%q) = %d, want %d", tc.s, got, tc.want)
		}
	}
}

func TestMalformed(t *testing.T) {
	for _, b := range [][]byte{nil, {0x30}, {0x30, 0x00}, {0x30, 0x03, 0x30, 0x01, 0x00}} {
		if _, err := Parse(b); err == nil {
			t.Errorf("Parse(% x) succeeded", b)
		}
	}
}
