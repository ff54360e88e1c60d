package engine

import (
	"github.com/tlsmon/tlsmon/analyzer"
	"github.com/tlsmon/tlsmon/dtls"
	"github.com/tlsmon/tlsmon/rdp"
	"github.com/tlsmon/tlsmon/ssl"
)

// DefaultAnalyzers returns the analyzers attached when Options.Analyzers is nil: SSL/TLS over
// TCP, DTLS over UDP, and RDP over TCP (for its hand-off to SSL/TLS).
func DefaultAnalyzers() []analyzer.Spec { return []analyzer.Spec{ssl.Spec(), dtls.Spec(), rdp.Spec()} }
