package zeeklog

import (
	"bytes"
	"io"
	"testing"

	tlsmon "github.com/tlsmon/tlsmon"
)

// TestX509FileWeirds: the weirds Zeek's X509 file analyzer raises for every certificate
// it parses — a UTCTime not ending in Z (x509_utc_format), a certificate OpenSSL cannot
// parse (x509_cert_parse_error) — including certificates not logged again.
func TestX509FileWeirds(t *testing.T) {
	der := testCert(t, "www.example.com", nil, nil)
	i := bytes.IndexByte(der, 0x17) // the notBefore UTCTime: 17 0d YYMMDDHHMMSSZ
	if i < 0 || der[i+1] != 13 || der[i+14] != 'Z' {
		t.Fatal("UTCTime not found")
	}
	bad := bytes.Clone(der)
	bad[i+14] = '0'
	var weirds []string
	l := NewX509Log(NewJSONWriter(io.Discard, X509Columns))
	l.Weirds = tlsmon.HandlerFunc(func(e tlsmon.Event) { weirds = append(weirds, e.(*tlsmon.Weird).WeirdName) })
	for ts := int64(1); ts <= 2; ts++ { // the second time is not logged, but parsed by Zeek
		l.HandleEvent(&tlsmon.Certificate{Meta: tlsmon.Meta{Ts: ts}, DER: bad})
	}
	l.HandleEvent(&tlsmon.Certificate{Meta: tlsmon.Meta{Ts: 3}, DER: der})
	l.HandleEvent(&tlsmon.Certificate{Meta: tlsmon.Meta{Ts: 4}, DER: []byte{0x30, 0x01, 0x00}})
	want := []string{"x509_utc_format", "x509_utc_format", "x509_cert_parse_error"}
	if len(weirds) != len(want) {
		t.Fatalf("weirds %v, want %v", weirds, want)
	}
	for i := range want {
		if weirds[i] != want[i] {
			t.Fatalf("weirds %v, want %v", weirds, want)
		}
	}
}

// A certificate already logged whose cache entry was evicted is parsed again when seen
// again, for its weirds (Zeek parses every certificate).
func TestX509FileWeirdsAfterEviction(t *testing.T) {
	der := testCert(t, "www.example.com", nil, nil)
	i := bytes.IndexByte(der, 0x17)
	bad := bytes.Clone(der)
	bad[i+14] = '0'
	var weirds []string
	l := NewX509Log(NewJSONWriter(io.Discard, X509Columns))
	l.Weirds = tlsmon.HandlerFunc(func(e tlsmon.Event) { weirds = append(weirds, e.(*tlsmon.Weird).WeirdName) })
	ev := &tlsmon.Certificate{Meta: tlsmon.Meta{Ts: 1}, DER: bad}
	l.HandleEvent(ev)
	l.certs.evict(l.certs.lookup(ev))
	ev.Ts = 2
	l.HandleEvent(ev)
	if len(weirds) != 2 || weirds[0] != "x509_utc_format" || weirds[1] != "x509_utc_format" {
		t.Fatalf("weirds %v, want x509_utc_format twice", weirds)
	}
}
