package testgen

import (
	"bytes"
	"crypto/tls"
	"testing"
)

func mustRun(t *testing.T, cfg Config) *Transcript {
	t.Helper()
	tr, err := Run(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

func TestRunVersionsAndSuites(t *testing.T) {
	cases := []struct {
		name    string
		cfg     Config
		version uint16
		suite   uint16
	}{
		{"tls10-rsa-kex", Config{MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS10,
			CipherSuites: []uint16{tls.TLS_RSA_WITH_AES_128_CBC_SHA}}, tls.VersionTLS10, tls.TLS_RSA_WITH_AES_128_CBC_SHA},
		{"tls11-ecdhe-rsa", Config{MinVersion: tls.VersionTLS11, MaxVersion: tls.VersionTLS11,
			CipherSuites: []uint16{tls.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA}}, tls.VersionTLS11, tls.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA},
		{"tls12-ecdhe-ecdsa", Config{MaxVersion: tls.VersionTLS12,
			CipherSuites: []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256}}, tls.VersionTLS12, tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256},
		{"tls12-rsa-gcm", Config{MaxVersion: tls.VersionTLS12, ServerKey: KeyRSA,
			CipherSuites: []uint16{tls.TLS_RSA_WITH_AES_256_GCM_SHA384}}, tls.VersionTLS12, tls.TLS_RSA_WITH_AES_256_GCM_SHA384},
		{"tls13", Config{MinVersion: tls.VersionTLS13}, tls.VersionTLS13, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tr := mustRun(t, c.cfg)
			if tr.Info.Version != c.version {
				t.Errorf("version %#x, want %#x", tr.Info.Version, c.version)
			}
			if c.suite != 0 && tr.Info.CipherSuite != c.suite {
				t.Errorf("suite %#x, want %#x", tr.Info.CipherSuite, c.suite)
			}
			if len(tr.Info.ServerChainDER) != 2 {
				t.Errorf("server chain has %d certificates, want 2", len(tr.Info.ServerChainDER))
			}
			if tr.Info.HelloRetryRequest {
				t.Error("unexpected HelloRetryRequest")
			}
			if len(tr.Chunks) < 4 || !tr.Chunks[0].FromClient || tr.Chunks[0].Data[0] != recHandshake {
				t.Errorf("transcript does not start with a client handshake record: %d chunks", len(tr.Chunks))
			}
		})
	}
}

func TestRunSNIAndALPN(t *testing.T) {
	tr := mustRun(t, Config{ServerName: "www.example.com", ALPN: []string{"h2", "http/1.1"}, ServerALPN: []string{"http/1.1"}})
	if tr.Info.ServerName != "www.example.com" {
		t.Errorf("server saw SNI %q", tr.Info.ServerName)
	}
	if tr.Info.NegotiatedProtocol != "http/1.1" {
		t.Errorf("ALPN %q", tr.Info.NegotiatedProtocol)
	}
	if !bytes.Contains(tr.Chunks[0].Data, []byte("www.example.com")) {
		t.Error("ClientHello lacks the SNI bytes")
	}
}

func TestRunHelloRetry(t *testing.T) {
	tr := mustRun(t, Config{MinVersion: tls.VersionTLS13, HelloRetry: true})
	if !tr.Info.HelloRetryRequest {
		t.Fatal("no HelloRetryRequest")
	}
	plain := mustRun(t, Config{MinVersion: tls.VersionTLS13})
	if plain.Info.HelloRetryRequest {
		t.Fatal("HelloRetryRequest without HelloRetry")
	}
}

func TestRunClientCert(t *testing.T) {
	for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		tr := mustRun(t, Config{MinVersion: v, MaxVersion: v, ClientCert: true})
		certs, _ := DefaultCerts()
		if len(tr.Info.ClientCertDER) != 1 || !bytes.Equal(tr.Info.ClientCertDER[0], certs.Client.Certificate[0]) {
			t.Errorf("version %#x: server did not receive the client certificate", v)
		}
	}
}

func TestRunResumption(t *testing.T) {
	for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		first := mustRun(t, Config{MinVersion: v, MaxVersion: v, ServerName: "example.com", SessionTickets: true})
		if first.Info.DidResume || len(first.Info.Tickets) == 0 {
			t.Fatalf("version %#x: first connection resumed=%v tickets=%d", v, first.Info.DidResume, len(first.Info.Tickets))
		}
		second := mustRun(t, Config{MinVersion: v, MaxVersion: v, ServerName: "example.com", ResumeFrom: first.Session})
		if !second.Info.DidResume {
			t.Errorf("version %#x: second connection did not resume", v)
		}
		if len(second.Info.ServerChainDER) != 0 {
			t.Errorf("version %#x: resumed connection carried a server chain", v)
		}
	}
}

func TestCertsDeterministic(t *testing.T) {
	a, err := DefaultCerts()
	if err != nil {
		t.Fatal(err)
	}
	b, err := buildCerts()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.ServerRSA.Certificate[0], b.ServerRSA.Certificate[0]) ||
		!bytes.Equal(a.ServerECDSA.Certificate[1], b.ServerECDSA.Certificate[1]) ||
		!bytes.Equal(a.Client.Certificate[0], b.Client.Certificate[0]) {
		t.Error("certificates differ between two builds")
	}
}
