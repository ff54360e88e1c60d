package engine

import (
	"github.com/tlsmon/tlsmon/analyzer"
	"github.com/tlsmon/tlsmon/dtls"
	"github.com/tlsmon/tlsmon/ssl"
)

// DefaultAnalyzers returns the analyzers attached when Options.Analyzers is nil: SSL/TLS over
// TCP and DTLS over UDP.
func DefaultAnalyzers() []analyzer.Spec { return []analyzer.Spec{ssl.Spec(), dtls.Spec()} }
