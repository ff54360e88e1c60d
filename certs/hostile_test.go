package certs

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"fmt"
	"testing"

	"golang.org/x/crypto/cryptobyte"
	"golang.org/x/crypto/cryptobyte/asn1"
)

func validDER(t testing.TB) []byte {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := baseTemplate()
	tmpl.DNSNames = []string{"a.example.com", "b.example.com"}
	tmpl.EmailAddresses = []string{"x@example.com"}
	tmpl.BasicConstraintsValid = true
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func checkBounds(t *testing.T, what string, c *Certificate) {
	t.Helper()
	if len(c.Subject) > MaxNameLen || len(c.Issuer) > MaxNameLen || len(c.CN) > MaxNameLen {
		t.Errorf("%s: name over the cap", what)
	}
	if s := c.SAN; s != nil && (len(s.DNS) > MaxSANs || len(s.URI) > MaxSANs || len(s.Email) > MaxSANs || len(s.IP) > MaxSANs) {
		t.Errorf("%s: SAN over the cap", what)
	}
}

// TestHostileTruncationsAndBitFlips feeds every prefix of a valid certificate and every
// single-byte corruption of it: the parser must neither panic nor exceed its caps.
func TestHostileTruncationsAndBitFlips(t *testing.T) {
	der := validDER(t)
	for n := 0; n < len(der); n++ {
		if c, err := Parse(der[:n]); err == nil {
			checkBounds(t, fmt.Sprint("prefix ", n), c)
		}
	}
	buf := make([]byte, len(der))
	for i := range der {
		for _, x := range []byte{0x01, 0x80, 0xFF} {
			copy(buf, der)
			buf[i] ^= x
			if c, err := Parse(buf); err == nil {
				checkBounds(t, fmt.Sprint("flip ", i), c)
			}
		}
	}
}

func TestHostileLengths(t *testing.T) {
	for _, b := range [][]byte{
		{0x30, 0x84, 0xFF, 0xFF, 0xFF, 0xFF, 0x30},             // length far past the input
		{0x30, 0x80, 0x30, 0x00, 0x00, 0x00},                   // indefinite length (BER, not DER)
		{0x30, 0x89, 1, 2, 3, 4, 5, 6, 7, 8, 9},                // 9-byte length
		{0x30, 0x81, 0x01, 0x00},                               // non-minimal length
		{0x1F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F, 0x01, 0x00}, // huge high tag number
		bytes.Repeat([]byte{0x30, 0x80}, 10000),                // deep indefinite nesting
	} {
		if _, err := Parse(b); err == nil {
			t.Errorf("Parse(% x...) succeeded", b[:min(len(b), 12)])
		}
	}
}

// certWith builds a structurally valid certificate around the given name and extension
// list contents (signature bytes are garbage: Zeek does not check them either).
func certWith(name []byte, exts []byte) []byte {
	var b cryptobyte.Builder
	b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) { // tbsCertificate
			b.AddASN1(asn1.Tag(0).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) { b.AddASN1Int64(2) })
			b.AddASN1Int64(1)
			b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) { b.AddASN1ObjectIdentifier([]int{1, 2, 840, 10045, 4, 3, 2}) })
			b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) { b.AddBytes(name) }) // issuer
			b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
				b.AddASN1(asn1.UTCTime, func(b *cryptobyte.Builder) { b.AddBytes([]byte("200101000000Z")) })
				b.AddASN1(asn1.UTCTime, func(b *cryptobyte.Builder) { b.AddBytes([]byte("300101000000Z")) })
			})
			b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) { b.AddBytes(name) }) // subject
			b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {                     // SPKI with an unknown algorithm
				b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) { b.AddASN1ObjectIdentifier([]int{1, 2, 3}) })
				b.AddASN1BitString([]byte{1, 2, 3})
			})
			if exts != nil {
				b.AddASN1(asn1.Tag(3).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
					b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) { b.AddBytes(exts) })
				})
			}
		})
		b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) { b.AddASN1ObjectIdentifier([]int{1, 2, 840, 10045, 4, 3, 2}) })
		b.AddASN1BitString([]byte{0})
	})
	return b.BytesOrPanic()
}

func sanExt(value []byte) []byte {
	var b cryptobyte.Builder
	b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1ObjectIdentifier([]int{2, 5, 29, 17})
		b.AddASN1OctetString(value)
	})
	return b.BytesOrPanic()
}

func TestHostileSANs(t *testing.T) {
	name := nameDER([]ava{{oidCNBytes, asn1.UTF8String, []byte("cn.example.com")}})
	// many dNSNames: kept up to the cap
	var many cryptobyte.Builder
	many.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
		for i := 0; i < MaxSANs*3; i++ {
			b.AddASN1(asn1.Tag(2).ContextSpecific(), func(b *cryptobyte.Builder) { b.AddBytes([]byte(fmt.Sprintf("h%d.example.com", i))) })
		}
	})
	c, err := Parse(certWith(name, sanExt(many.BytesOrPanic())))
	if err != nil {
		t.Fatal(err)
	}
	checkBounds(t, "many SANs", c)
	if c.SAN == nil || len(c.SAN.DNS) == 0 || c.SAN.DNS[0] != "h0.example.com" {
		t.Errorf("many SANs: %+v", c.SAN)
	}
	// a SAN extension whose value is garbage: certificate still parses, no SAN, and the
	// CN is not used for hostname checks (Zeek looks at the SAN once the extension exists)
	c, err = Parse(certWith(name, sanExt([]byte{0xDE, 0xAD})))
	if err != nil {
		t.Fatal(err)
	}
	if c.SAN != nil || len(c.HostnameNames) != 0 || c.Subject != "CN=cn.example.com" {
		t.Errorf("garbage SAN: %+v %v %q", c.SAN, c.HostnameNames, c.Subject)
	}
	// IP entries of odd lengths are not addresses
	var ips cryptobyte.Builder
	ips.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1(asn1.Tag(7).ContextSpecific(), func(b *cryptobyte.Builder) { b.AddBytes([]byte{1, 2, 3}) })
		b.AddASN1(asn1.Tag(7).ContextSpecific(), func(b *cryptobyte.Builder) { b.AddBytes([]byte{192, 0, 2, 1}) })
	})
	c, err = Parse(certWith(name, sanExt(ips.BytesOrPanic())))
	if err != nil {
		t.Fatal(err)
	}
	checkBounds(t, "odd IPs", c)
	// an unknown key algorithm leaves the key fields empty (Zeek logs none)
	if c.KeyType != "" || c.KeyLength != 0 || c.KeyAlg != "1.2.3" {
		t.Errorf("unknown key: type %q length %d alg %q", c.KeyType, c.KeyLength, c.KeyAlg)
	}
}

func TestHostileHugeName(t *testing.T) {
	var rdns [][]ava
	for i := 0; i < 20000; i++ {
		rdns = append(rdns, []ava{{oidCNBytes, asn1.Tag(30), bmp("\u00e9\u00e9")}})
	}
	c, err := Parse(certWith(nameDER(rdns...), nil))
	if err != nil {
		t.Fatal(err)
	}
	checkBounds(t, "huge name", c)
	if len(c.Subject) != MaxNameLen {
		t.Errorf("subject length %d", len(c.Subject))
	}
}
