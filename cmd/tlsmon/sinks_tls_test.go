package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl/scram"

	"github.com/tlsmon/tlsmon/internal/kafkatest"
)

// testCA makes a CA and a server certificate for 127.0.0.1 signed by it; it returns the
// server's TLS config and the CA's PEM file.
func testCA(t *testing.T) (*tls.Config, string) {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	now := time.Now()
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	srvKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	srvTmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "broker"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour), IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, KeyUsage: x509.KeyUsageDigitalSignature}
	srvDER, err := x509.CreateCertificate(rand.Reader, srvTmpl, ca, &srvKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{srvDER}, PrivateKey: srvKey}}}, caFile
}

// The TLS and SASL options reach a cluster that demands both; a wrong password loses the
// rows, reported with exit status 3.
func TestKafkaTLSAndSASL(t *testing.T) {
	srvTLS, caFile := testCA(t)
	_, addr := kafkatest.ClusterWith(t, 2, []string{"zeek"}, []kfake.Opt{
		kfake.TLS(srvTLS), kfake.EnableSASL(), kfake.Superuser("SCRAM-SHA-256", "sensor", "s3cret"),
	})
	args := []string{"-r", filepath.Join("..", "..", "testdata", "sample.pcap"), "--no-progress", "--kafka", addr,
		"--kafka-tls-ca", caFile, "--kafka-sasl", "scram-sha-256", "--kafka-user", "sensor", "--kafka-flush-timeout", "2s"}

	t.Setenv(passwordEnv, "s3cret")
	code, _, stderr := runCLI(t, args...)
	if code != exitOK || !strings.Contains(stderr, "0 dropped, 0 not acknowledged") {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	pool := x509.NewCertPool()
	pemBytes, _ := os.ReadFile(caFile)
	pool.AppendCertsFromPEM(pemBytes)
	recs := kafkatest.ReadAllWith(t, addr, 11, 10*time.Second, []string{"zeek"}, []kgo.Opt{
		kgo.DialTLSConfig(&tls.Config{RootCAs: pool}),
		kgo.SASL(scram.Auth{User: "sensor", Pass: "s3cret"}.AsSha256Mechanism()),
	})
	if len(recs) != 11 { // the sample's 11 rows (4 ssl, 3 x509, 4 conn)
		t.Fatalf("%d records over TLS and SASL, want 11", len(recs))
	}

	t.Setenv(passwordEnv, "wrong")
	code, _, stderr = runCLI(t, args...)
	if code != exitLost || !strings.Contains(stderr, "rows not delivered") {
		t.Fatalf("wrong password: exit %d: %s", code, stderr)
	}
}
