package zeeklog

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"io"
	"math/big"
	"testing"
	"time"

	tlsmon "github.com/tlsmon/tlsmon"
)

// BenchmarkX509Distinct is the per-certificate work of a capture without repetition
// (unique-body.pcap): a Set's ssl.log and x509.log see chains of distinct certificates
// (a leaf with a subjectAltName, an intermediate with basicConstraints, P-256 keys), each
// once. An op is one certificate; a fresh Set per round of distinctCerts keeps every one
// unknown.
func BenchmarkX509Distinct(b *testing.B) {
	const distinctCerts = 256
	evs := make([]tlsmon.Event, 0, distinctCerts)
	for i := range distinctCerts / 2 {
		for _, leaf := range []bool{true, false} {
			key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
			if err != nil {
				b.Fatal(err)
			}
			tmpl := &x509.Certificate{SerialNumber: big.NewInt(1000000 + int64(i)),
				Subject:   pkix.Name{CommonName: fmt.Sprintf("tlsmon testgen intermediate %d", i), Organization: []string{"tlsmon"}},
				NotBefore: time.Unix(1577836800, 0), NotAfter: time.Unix(2208988800, 0),
				BasicConstraintsValid: true, IsCA: true, MaxPathLenZero: true}
			if leaf {
				host := fmt.Sprintf("h%05d.unique.example", i)
				tmpl.Subject.CommonName, tmpl.DNSNames = host, []string{host}
				tmpl.BasicConstraintsValid, tmpl.IsCA, tmpl.MaxPathLenZero = false, false, false
			}
			der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
			if err != nil {
				b.Fatal(err)
			}
			idx := 1
			if leaf {
				idx = 0
			}
			conn := &tlsmon.Conn{UID: fmt.Sprintf("C%d", i)}
			evs = append(evs, &tlsmon.Certificate{Meta: tlsmon.Meta{Ts: int64(i), Conn: conn}, Index: idx, DER: der})
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		set := NewSet(Logs(), func(s LogSpec) Writer { return NewTSVWriter(io.Discard, s.Path, s.Columns, 1) })
		for _, e := range evs {
			set.HandleEvent(e)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*distinctCerts), "ns/cert")
}
