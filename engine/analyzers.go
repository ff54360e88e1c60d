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
func DefaultAnalyzers() []analyzer.Spec { return DefaultAnalyzersConfig(ssl.Config{}) }

// DefaultAnalyzersConfig is DefaultAnalyzers with the SSL limits cfg (Options.SSL).
func DefaultAnalyzersConfig(cfg ssl.Config) []analyzer.Spec {
	sh := ssl.NewShared(cfg)
	tls := ssl.SpecShared(sh)
	return append([]analyzer.Spec{tls, dtls.SpecConfig(dtls.Config{SSL: sh}), rdp.Spec(),
		quic.SpecConfig(quic.Config{NewSSL: tls.New})}, protocols.Specs()...)
}
