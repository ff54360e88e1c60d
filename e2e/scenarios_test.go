package e2e

import (
	"crypto/tls"
	"testing"

	"github.com/tlsmon/tlsmon/internal/testgen"
)

// scenario is one generated connection; resume names an earlier scenario of the same list
// whose session the connection resumes.
type scenario struct {
	name   string
	cfg    testgen.Config
	resume string
}

func scenarios() []scenario {
	return []scenario{
		{name: "tls10-rsa-kex", cfg: testgen.Config{MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS10, ServerKey: testgen.KeyRSA,
			CipherSuites: []uint16{tls.TLS_RSA_WITH_AES_128_CBC_SHA, tls.TLS_RSA_WITH_AES_256_CBC_SHA}, ServerName: "old.example.com"}},
		{name: "tls11-ecdhe-ecdsa", cfg: testgen.Config{MinVersion: tls.VersionTLS11, MaxVersion: tls.VersionTLS11,
			CipherSuites: []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA}, ALPN: []string{"http/1.1"}}},
		{name: "tls12-rsa-kex-gcm", cfg: testgen.Config{MaxVersion: tls.VersionTLS12, ServerKey: testgen.KeyRSA,
			CipherSuites: []uint16{tls.TLS_RSA_WITH_AES_128_GCM_SHA256}, ServerName: "rsa.example.com", ALPN: []string{"h2", "http/1.1"}}},
		{name: "tls12-ecdhe-rsa", cfg: testgen.Config{MaxVersion: tls.VersionTLS12, ServerKey: testgen.KeyRSA,
			CipherSuites: []uint16{tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256},
			ServerName:   "www.example.com", ALPN: []string{"h2"}}},
		{name: "tls12-ecdhe-ecdsa-alpn-ignored", cfg: testgen.Config{MaxVersion: tls.VersionTLS12, ServerKey: testgen.KeyECDSA,
			ALPN: []string{"spdy/3"}, ServerALPN: []string{}, ServerName: "ecdsa.example.com"}},
		{name: "tls12-client-cert", cfg: testgen.Config{MaxVersion: tls.VersionTLS12, ClientCert: true, ServerName: "mtls.example.com"}},
		{name: "tls12-tickets", cfg: testgen.Config{MaxVersion: tls.VersionTLS12, SessionTickets: true, ServerName: "t12.example.com"}},
		{name: "tls12-resumed", cfg: testgen.Config{MaxVersion: tls.VersionTLS12, ServerName: "t12.example.com"}, resume: "tls12-tickets"},
		{name: "tls13", cfg: testgen.Config{MinVersion: tls.VersionTLS13, ServerName: "www.example.com", ALPN: []string{"h2", "http/1.1"}}},
		{name: "tls13-no-sni", cfg: testgen.Config{MinVersion: tls.VersionTLS13}},
		{name: "tls13-hrr", cfg: testgen.Config{MinVersion: tls.VersionTLS13, HelloRetry: true, ServerName: "hrr.example.com", ALPN: []string{"h2"}}},
		{name: "tls13-client-cert", cfg: testgen.Config{MinVersion: tls.VersionTLS13, ClientCert: true, ServerName: "mtls.example.com"}},
		{name: "tls13-tickets", cfg: testgen.Config{MinVersion: tls.VersionTLS13, SessionTickets: true, ServerName: "t13.example.com"}},
		{name: "tls13-resumed", cfg: testgen.Config{MinVersion: tls.VersionTLS13, ServerName: "t13.example.com"}, resume: "tls13-tickets"},
	}
}

// generated is a scenario after its handshake ran.
type generated struct {
	scenario
	tr      *testgen.Transcript
	earlier *testgen.Info // the resumed connection's, when resume is set
}

// runScenarios runs every scenario's handshake, in order.
func runScenarios(t *testing.T, ss []scenario) []generated {
	t.Helper()
	byName := map[string]*testgen.Transcript{}
	var out []generated
	for _, s := range ss {
		g := generated{scenario: s}
		if s.resume != "" {
			prev := byName[s.resume]
			if prev == nil || prev.Session == nil {
				t.Fatalf("%s: nothing to resume from %q", s.name, s.resume)
			}
			g.cfg.ResumeFrom = prev.Session
			g.earlier = &prev.Info
		}
		tr, err := testgen.Run(g.cfg)
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		g.tr = tr
		byName[s.name] = tr
		out = append(out, g)
	}
	return out
}

// check asserts one generated connection's events.
func (g *generated) check(t *testing.T, rs []rec) {
	t.Helper()
	checkConn(t, rs, g.cfg, g.tr.Info)
	if g.earlier != nil {
		checkResumed(t, rs, g.tr.Info, *g.earlier)
	}
}
