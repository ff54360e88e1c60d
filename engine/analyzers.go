package engine

import (
	"github.com/tlsmon/tlsmon/analyzer"
	"github.com/tlsmon/tlsmon/ssl"
)

// DefaultAnalyzers returns the analyzers attached when Options.Analyzers is nil.
func DefaultAnalyzers() []analyzer.Spec { return []analyzer.Spec{ssl.Spec()} }
