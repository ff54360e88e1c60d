package engine

import (
	"github.com/tlsmon/tlsmon/analyzer"
	"github.com/tlsmon/tlsmon/dtls"
	"github.com/tlsmon/tlsmon/quic"
	"github.com/tlsmon/tlsmon/rdp"
	"github.com/tlsmon/tlsmon/ssl"
	"github.com/tlsmon/tlsmon/starttls/protocols"
)

// DefaultAnalyzers returns the analyzers attached when Options.Analyzers is nil: SSL/TLS over
// TCP, DTLS over UDP, RDP over TCP (for its hand-off to SSL/TLS), and QUIC over UDP (for the
// TLS handshake in its Initial packets), and the protocols that start TLS inside their own
// stream (package starttls/protocols).
//
// Each call makes a new ssl.Shared (SSL limits, message cache, free lists) for the SSL,
// DTLS and QUIC analyzers: call it once per engine.
func DefaultAnalyzers() []analyzer.Spec {
	return DefaultAnalyzersConfig(ssl.Config{}, dtls.Config{}, quic.Config{})
}

// DefaultAnalyzersConfig is DefaultAnalyzers with the analyzers' settings (Options.SSL,
// DTLS, QUIC). DTLS's handshake layer and QUIC's SSL analyzer use the new ssl.Shared unless
// their configuration says otherwise.
func DefaultAnalyzersConfig(s ssl.Config, d dtls.Config, q quic.Config) []analyzer.Spec {
	sh := ssl.NewShared(s)
	tls := ssl.SpecShared(sh)
	if d.SSL == nil {
		d.SSL = sh
	}
	if q.NewSSL == nil {
		q.NewSSL = tls.New
	}
	if q.Budget == nil {
		q.Budget = sh.Budget() // QUIC CRYPTO draws on the engine's memory budget too
	}
	return append([]analyzer.Spec{tls, dtls.SpecConfig(d), rdp.Spec(), quic.SpecConfig(q)}, protocols.Specs()...)
}

// sslFactory returns the factory of the SSL spec (TCP) in specs, nil if there is none: RDP
// and the STARTTLS protocols make their SSL analyzer with it (analyzer.Env.SSL), so that
// it shares the engine's ssl.Shared (limits, memory budget, free lists, event filters).
func sslFactory(specs []analyzer.Spec) analyzer.Factory {
	for i := range specs {
		if specs[i].Name == "SSL" && specs[i].New != nil {
			return specs[i].New
		}
	}
	return nil
}
