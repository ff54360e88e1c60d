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
// Each call makes a new SSL message cache (ssl.CachingSpec): call it once per engine.
func DefaultAnalyzers() []analyzer.Spec {
	return append([]analyzer.Spec{ssl.CachingSpec(), dtls.Spec(), rdp.Spec(), quic.Spec()}, protocols.Specs()...)
}
