package certs

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"math/big"
	"reflect"
	"testing"
)

// A Parser gives what Parse gives, certificate after certificate: names it remembers
// (leaves of one issuer in a row, a CA certificate after its leaf), names it has
// forgotten (more than its memory holds), failures in between.
func TestParserMatchesParse(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	var ders [][]byte
	for i := range 24 {
		issuer := baseTemplate()
		issuer.Subject = pkix.Name{CommonName: fmt.Sprintf("CA %d", i/3%7), Organization: []string{"O, \"quoted\""}}
		leaf := baseTemplate()
		leaf.SerialNumber = big.NewInt(int64(i))
		leaf.Subject.CommonName = fmt.Sprintf("h%d.example", i%5)
		leaf.DNSNames = []string{leaf.Subject.CommonName}
		der, err := x509.CreateCertificate(rand.Reader, leaf, issuer, &key.PublicKey, key)
		if err != nil {
			t.Fatal(err)
		}
		ders = append(ders, der)
		if i%4 == 0 {
			ders = append(ders, der[:len(der)/2], []byte{0x30, 0x03, 0x30, 0x01, 0x00}) // failures
		}
		if i%6 == 0 {
			ders = append(ders, makeCert(t, issuer, &key.PublicKey, key)) // its issuer's own
		}
	}
	var p Parser
	for i, der := range ders {
		want, werr := Parse(der)
		got, gerr := p.Parse(der)
		if (werr == nil) != (gerr == nil) || werr == nil && !reflect.DeepEqual(got, want) {
			t.Fatalf("certificate %d: Parser gave %+v, %v; Parse %+v, %v", i, got, gerr, want, werr)
		}
	}
}
