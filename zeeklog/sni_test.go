package zeeklog

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"testing"
	"time"

	tlsmon "github.com/tlsmon/tlsmon"
)

func testCert(t testing.TB, cn string, dns []string, ips []net.IP) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Unix(0, 0), NotAfter: time.Unix(1e9, 0), DNSNames: dns, IPAddresses: ips}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// TestSNIMatchesCert checks sni_matches_cert as Zeek sets it: from the first server
// certificate, against its SAN DNS names when it has a SAN (the subject is then
// ignored), else against the last CN; exact bytes (no case folding, no IDNA
// conversion), wildcards in the left-most label of names of three labels or more.
func TestSNIMatchesCert(t *testing.T) {
	for _, tc := range []struct {
		name string
		sni  string // "" = no SNI
		der  []byte
		want any // nil = unset
	}{
		{"SAN exact", "www.example.com", testCert(t, "other.test", []string{"a.test", "www.example.com"}, nil), true},
		{"SAN wildcard", "www.example.com", testCert(t, "", []string{"*.example.com"}, nil), true},
		{"wildcard covers one label only", "a.b.example.com", testCert(t, "", []string{"*.example.com"}, nil), false},
		{"wildcard needs three labels", "example.com", testCert(t, "", []string{"*.com"}, nil), false},
		{"partial wildcard", "mail1.example.com", testCert(t, "", []string{"mail*.example.com"}, nil), true},
		{"SAN present: CN ignored", "cn.example.com", testCert(t, "cn.example.com", []string{"san.example.com"}, nil), false},
		{"SAN of IPs only: CN still ignored", "cn.example.com", testCert(t, "cn.example.com", nil, []net.IP{net.ParseIP("192.0.2.1")}), false},
		{"no SAN: CN", "cn.example.com", testCert(t, "cn.example.com", nil, nil), true},
		{"no SAN: CN wildcard", "x.example.com", testCert(t, "*.example.com", nil, nil), true},
		{"case differs", "WWW.Example.com", testCert(t, "", []string{"www.example.com"}, nil), false},
		{"IDNA: U-label SNI vs A-label SAN", "bücher.example.com", testCert(t, "", []string{"xn--bcher-kva.example.com"}, nil), false},
		{"IDNA: A-label both", "xn--bcher-kva.example.com", testCert(t, "", []string{"xn--bcher-kva.example.com"}, nil), true},
		{"no SNI: unset", "", testCert(t, "cn.example.com", nil, nil), nil},
		{"unparsable certificate: unset", "www.example.com", []byte{0x30, 0x03, 0x02, 0x01, 0x01}, nil},
	} {
		row := sslRow(t, func(h tlsmon.Handler, m tlsmon.Meta) {
			h.HandleEvent(&tlsmon.SSLClientHello{Meta: m, Version: 0x0303, RecordVersion: 0x0301})
			if tc.sni != "" {
				h.HandleEvent(&tlsmon.SSLExtensionServerName{Meta: m, IsClient: true, Names: [][]byte{[]byte(tc.sni)}})
			}
			h.HandleEvent(&tlsmon.Certificate{Meta: m, Index: 0, DER: tc.der})
		})
		if got := row["sni_matches_cert"]; got != tc.want {
			t.Errorf("%s: sni_matches_cert %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestSNIUsesFirstServerCertificateOnly(t *testing.T) {
	leaf := testCert(t, "", []string{"leaf.example.com"}, nil)
	ca := testCert(t, "", []string{"www.example.com"}, nil)
	row := sslRow(t, func(h tlsmon.Handler, m tlsmon.Meta) {
		h.HandleEvent(&tlsmon.SSLExtensionServerName{Meta: m, IsClient: true, Names: [][]byte{[]byte("www.example.com")}})
		h.HandleEvent(&tlsmon.Certificate{Meta: m, IsClient: true, Index: 0, DER: ca}) // client's: not compared
		h.HandleEvent(&tlsmon.Certificate{Meta: m, Index: 0, DER: leaf})
		h.HandleEvent(&tlsmon.Certificate{Meta: m, Index: 1, DER: ca})
	})
	if row["sni_matches_cert"] != false {
		t.Errorf("sni_matches_cert %v", row["sni_matches_cert"])
	}
	if fps, _ := row["cert_chain_fps"].([]any); len(fps) != 2 {
		t.Errorf("cert_chain_fps %v", row["cert_chain_fps"])
	}
	if fps, _ := row["client_cert_chain_fps"].([]any); len(fps) != 1 {
		t.Errorf("client_cert_chain_fps %v", row["client_cert_chain_fps"])
	}
}
