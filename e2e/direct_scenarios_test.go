package e2e

import (
	"slices"
	"testing"

	"github.com/tlsmon/tlsmon/analyzer"
)

// TestDirectScenarios checks the SSL analyzer alone on every generated handshake.
func TestDirectScenarios(t *testing.T) {
	for _, g := range runScenarios(t, scenarios()) {
		t.Run(g.name, func(t *testing.T) {
			col := runDirect(g.tr, 0, analyzer.Options{})
			g.check(t, col.byConn(directConn))
		})
	}
}

// TestDirectPieceSizes: delivering the same bytes in tiny pieces changes nothing. With
// AnalyzeEncrypted the whole sequence must match; with the default (the analyzer leaves
// after the handshake, like Zeek, at a point that depends on delivery boundaries) the
// sequence up to ssl_established must.
func TestDirectPieceSizes(t *testing.T) {
	for _, g := range runScenarios(t, scenarios()) {
		t.Run(g.name, func(t *testing.T) {
			for _, opts := range []analyzer.Options{{AnalyzeEncrypted: true}, {}} {
				cut := untilEstablished
				if opts.AnalyzeEncrypted {
					cut = func(s []string) []string { return s }
				}
				whole := cut(analysisLines(runDirect(g.tr, 0, opts).all))
				for _, piece := range []int{1, 3, 7} {
					got := cut(analysisLines(runDirect(g.tr, piece, opts).all))
					if !slices.Equal(whole, got) {
						t.Errorf("AnalyzeEncrypted=%v, pieces of %d bytes: event sequence differs\n%s", opts.AnalyzeEncrypted, piece, diffLines(whole, got))
					}
				}
			}
		})
	}
}
