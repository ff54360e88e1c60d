package certs

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"reflect"
	"testing"

	"golang.org/x/crypto/cryptobyte"
	"golang.org/x/crypto/cryptobyte/asn1"
)

// berify re-encodes a DER element with every length in the 4-byte long form (valid BER,
// not DER), recursing into constructed elements.
func berify(t *testing.T, der []byte) []byte {
	t.Helper()
	in := cryptobyte.String(der)
	var body cryptobyte.String
	var tag asn1.Tag
	if !in.ReadAnyASN1(&body, &tag) {
		t.Fatalf("not DER: %x", der)
	}
	content := []byte(body)
	if tag&0x20 != 0 {
		var out []byte
		for !body.Empty() {
			var child cryptobyte.String
			var ct asn1.Tag
			if !body.ReadAnyASN1Element(&child, &ct) {
				t.Fatal("bad child")
			}
			out = append(out, berify(t, child)...)
		}
		content = out
	}
	n := len(content)
	return append([]byte{byte(tag), 0x84, byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}, content...)
}

func ecCert(t *testing.T) []byte {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := baseTemplate()
	tmpl.DNSNames = []string{"a.example.com"}
	return makeCert(t, tmpl, &key.PublicKey, key)
}

// TestBERLengths: a certificate with BER lengths (OpenSSL accepts them) parses to the same
// fields as its DER form, and its fingerprint input is OpenSSL's re-encoding: the outer
// SEQUENCE, signature algorithm and signature in DER, the TBSCertificate as received, and
// no trailing bytes.
func TestBERLengths(t *testing.T) {
	der := ecCert(t)
	ber := append(berify(t, der), "trailing"...)
	want, err := Parse(der)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Parse(ber)
	if err != nil {
		t.Fatalf("BER certificate rejected: %v", err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("fields differ:\n got %+v\nwant %+v", got, want)
	}

	if enc := OpenSSLEncoding(der); !bytes.Equal(enc, der) {
		t.Fatal("a DER certificate is not its own encoding")
	}
	in := cryptobyte.String(der)
	var certBody, tbs, alg, sig cryptobyte.String
	if !in.ReadASN1(&certBody, asn1.SEQUENCE) || !certBody.ReadASN1Element(&tbs, asn1.SEQUENCE) ||
		!certBody.ReadASN1Element(&alg, asn1.SEQUENCE) || !certBody.ReadASN1Element(&sig, asn1.BIT_STRING) {
		t.Fatal("test certificate")
	}
	body := append(append(berify(t, tbs), alg...), sig...)
	var b cryptobyte.Builder
	b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) { b.AddBytes(body) })
	wantEnc := b.BytesOrPanic()
	if enc := OpenSSLEncoding(ber); !bytes.Equal(enc, wantEnc) {
		t.Fatalf("OpenSSL encoding\n got %x\nwant %x", enc, wantEnc)
	}
	// trailing bytes alone are dropped too
	if enc := OpenSSLEncoding(append(der[:len(der):len(der)], 0, 0)); !bytes.Equal(enc, der) {
		t.Fatal("trailing bytes kept")
	}
}

// TestIndefiniteLength: a constructed element of indefinite length (BER) is read too.
func TestIndefiniteLength(t *testing.T) {
	der := ecCert(t)
	in := cryptobyte.String(der)
	var certBody cryptobyte.String
	if !in.ReadASN1(&certBody, asn1.SEQUENCE) {
		t.Fatal("test certificate")
	}
	indef := append(append([]byte{0x30, 0x80}, certBody...), 0, 0)
	got, err := Parse(indef)
	if err != nil {
		t.Fatalf("indefinite length rejected: %v", err)
	}
	want, _ := Parse(der)
	if !reflect.DeepEqual(got, want) {
		t.Fatal("fields differ")
	}
	if enc := OpenSSLEncoding(indef); !bytes.Equal(enc, der) {
		t.Fatalf("encoding %x", enc)
	}
}

// TestUndecodableKey: a public key OpenSSL cannot decode (an EC point off the curve, or
// of the wrong length) leaves the key fields absent, not the certificate.
func TestUndecodableKey(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der := makeCert(t, baseTemplate(), &key.PublicKey, key)
	point, err := key.PublicKey.ECDH()
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.Index(der, point.Bytes())
	if i < 0 {
		t.Fatal("point not found")
	}
	good, err := Parse(der)
	if err != nil || good.KeyType != "ecdsa" || good.Curve != "prime256v1" {
		t.Fatalf("%v %+v", err, good)
	}
	bad := bytes.Clone(der)
	bad[i+64] ^= 1 // Y no longer matches X
	c, err := Parse(bad)
	if err != nil {
		t.Fatalf("certificate dropped: %v", err)
	}
	if c.KeyAlg != good.KeyAlg || c.KeyType != "" || c.Curve != "" || c.KeyLength != 0 {
		t.Fatalf("key fields of an undecodable key: %+v", c)
	}
	if c.Subject != good.Subject || c.Serial != good.Serial {
		t.Fatal("other fields lost")
	}
	bad = bytes.Clone(der)
	bad[i] = 5 // no such point form
	if c, err := Parse(bad); err != nil || c.KeyType != "" {
		t.Fatalf("%v %+v", err, c)
	}
}
