package ssl

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/tlsmon/tlsmon"
	"github.com/tlsmon/tlsmon/analyzer"
)

type chunk struct {
	isOrig bool
	data   []byte
}

// recConn records what one side writes, in global order.
type recConn struct {
	net.Conn
	isOrig bool
	mu     *sync.Mutex
	out    *[]chunk
}

func (c *recConn) Write(b []byte) (int, error) {
	c.mu.Lock()
	*c.out = append(*c.out, chunk{c.isOrig, append([]byte(nil), b...)})
	c.mu.Unlock()
	return c.Conn.Write(b)
}

// recordHandshake runs a crypto/tls handshake plus a little application data over
// net.Pipe and returns the bytes each side wrote.
func recordHandshake(tb testing.TB, version uint16) []chunk {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "bench.example"},
		DNSNames: []string{"bench.example"}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		tb.Fatal(err)
	}
	cert := tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
	pool := x509.NewCertPool()
	leaf, _ := x509.ParseCertificate(der)
	pool.AddCert(leaf)

	var mu sync.Mutex
	var out []chunk
	cc, sc := net.Pipe()
	client := tls.Client(&recConn{cc, true, &mu, &out}, &tls.Config{ServerName: "bench.example", RootCAs: pool,
		MinVersion: version, MaxVersion: version, NextProtos: []string{"h2", "http/1.1"}})
	server := tls.Server(&recConn{sc, false, &mu, &out}, &tls.Config{Certificates: []tls.Certificate{cert},
		MinVersion: version, MaxVersion: version, NextProtos: []string{"h2"}})
	done := make(chan error, 1)
	go func() {
		buf := make([]byte, 64)
		if _, err := server.Read(buf); err != nil {
			done <- err
			return
		}
		_, err := server.Write([]byte("pong"))
		done <- err
	}()
	if _, err := client.Write([]byte("ping")); err != nil {
		tb.Fatal(err)
	}
	buf := make([]byte, 64)
	if _, err := client.Read(buf); err != nil {
		tb.Fatal(err)
	}
	if err := <-done; err != nil {
		tb.Fatal(err)
	}
	cc.Close()
	sc.Close()
	mu.Lock()
	defer mu.Unlock()
	return out
}

func TestRecordedHandshakes(t *testing.T) {
	for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		chunks := recordHandshake(t, v)
		r := &recorder{}
		env := &analyzer.Env{Conn: testConn, Events: r, Detach: func() {}, Options: analyzer.Options{AnalyzeEncrypted: true}}
		a := New(env)
		for _, c := range chunks {
			a.DeliverStream(1, c.isOrig, c.data)
		}
		for _, want := range []string{"confirm", "ssl_client_hello", "ssl_server_hello", "ssl_established", "ssl_encrypted_data"} {
			if !r.has(want) {
				t.Errorf("version %x: no %s in %v", v, want, r.names())
			}
		}
		if r.has("violation") {
			t.Errorf("version %x: violation: %v", v, r.lines)
		}
	}
}

func BenchmarkHandshake(b *testing.B) {
	for _, tc := range []struct {
		name    string
		version uint16
	}{{"TLS12", tls.VersionTLS12}, {"TLS13", tls.VersionTLS13}} {
		b.Run(tc.name, func(b *testing.B) {
			chunks := recordHandshake(b, tc.version)
			total := 0
			for _, c := range chunks {
				total += len(c.data)
			}
			nop := tlsmon.HandlerFunc(func(tlsmon.Event) {})
			env := &analyzer.Env{Conn: testConn, Events: nop, Detach: func() {}, Options: analyzer.Options{AnalyzeEncrypted: true}}
			b.SetBytes(int64(total))
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				a := New(env)
				for _, c := range chunks {
					a.DeliverStream(1, c.isOrig, c.data)
				}
				a.Done(2)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "handshakes/s")
		})
	}
}
