package certs

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509/pkix"
	"encoding/asn1"
	"testing"
)

// TestObjectTableNames: a name attribute of any OID in OpenSSL's object table prints by
// its short name with its value as text (here extension and algorithm OIDs used as
// attribute types); an OID OpenSSL does not know prints dotted with its value dumped.
func TestObjectTableNames(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := baseTemplate()
	tmpl.Subject = pkix.Name{ExtraNames: []pkix.AttributeTypeAndValue{
		{Type: asn1.ObjectIdentifier{2, 5, 4, 3}, Value: "cn"},
		{Type: asn1.ObjectIdentifier{2, 5, 29, 17}, Value: "san"},
		{Type: asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 11}, Value: "alg"},
		{Type: asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 99999, 1}, Value: "x"},
	}}
	c, err := Parse(makeCert(t, tmpl, &key.PublicKey, key))
	if err != nil {
		t.Fatal(err)
	}
	const want = "1.3.6.1.4.1.99999.1=#130178,RSA-SHA256=alg,subjectAltName=san,CN=cn"
	if c.Subject != want {
		t.Fatalf("subject %q, want %q", c.Subject, want)
	}
	for oid, sn := range map[string]string{"2.5.4.3": "CN", "2.5.29.19": "basicConstraints", "1.3.101.112": "ED25519"} {
		if got, ok := attrShortName(oid); !ok || got != sn {
			t.Errorf("%s: %q %v, want %q", oid, got, ok, sn)
		}
	}
}
