package zeeklog

import (
	"testing"

	"github.com/tlsmon/tlsmon/internal/corpus"
)

// conformanceDir locates the conformance corpus (see internal/corpus).
func conformanceDir(t testing.TB) string { return corpus.Dir(t) }
