package certs

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"reflect"
	"testing"
)

func FuzzParseCertificate(f *testing.F) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := baseTemplate()
	tmpl.DNSNames = []string{"a.example.com"}
	tmpl.BasicConstraintsValid = true
	if der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key); err == nil {
		f.Add(der)
	}
	f.Add([]byte{0x30, 0x03, 0x30, 0x01, 0x00})
	f.Add([]byte{0x30, 0x80, 0x30, 0x84, 0, 0, 0, 1, 0x00, 0x30, 0x00, 0x03, 0x81, 0x01, 0x00, 0, 0}) // BER
	// one Parser for every input: it remembers names across them
	var p Parser
	f.Fuzz(func(t *testing.T, der []byte) {
		if enc := OpenSSLEncoding(der); len(enc) > len(der)+4*maxBERDepth+8 {
			t.Fatalf("re-encoding grew from %d to %d bytes", len(der), len(enc))
		}
		c, err := Parse(der)
		pc, perr := p.Parse(der)
		if (err == nil) != (perr == nil) || err == nil && !reflect.DeepEqual(c, pc) {
			t.Fatalf("Parser: %+v, %v; Parse: %+v, %v", pc, perr, c, err)
		}
		if err != nil {
			return
		}
		if len(c.Subject) > MaxNameLen || len(c.Issuer) > MaxNameLen {
			t.Fatalf("name longer than the cap")
		}
	})
}
