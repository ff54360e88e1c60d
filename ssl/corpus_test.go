package ssl

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/tlsmon/tlsmon/internal/corpus"

	"github.com/tlsmon/tlsmon"
	"github.com/tlsmon/tlsmon/analyzer"
)

// corpusDir locates the conformance corpus (see internal/corpus).
func corpusDir(t testing.TB) string { return corpus.Dir(t) }

type corpusEntry struct{ name, file, kind string }

func corpusIndex(t testing.TB, dir string) []corpusEntry {
	var out []corpusEntry
	for _, c := range corpus.Index(t, dir) {
		out = append(out, corpusEntry{c.Name, c.File, c.Kind})
	}
	return out
}

func readLines(path string) []string {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		if sc.Text() != "" {
			out = append(out, sc.Text())
		}
	}
	return out
}

// lcs is the length of the longest common subsequence of a and b.
func lcs(a, b []string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for i := range a {
		for j := range b {
			switch {
			case a[i] == b[j]:
				cur[j+1] = prev[j] + 1
			case cur[j] > prev[j+1]:
				cur[j+1] = cur[j]
			default:
				cur[j+1] = prev[j+1]
			}
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

func collectEvents(t testing.TB, path string, opts analyzer.Options) []string {
	var lines []string
	h := tlsmon.HandlerFunc(func(e tlsmon.Event) {
		if se, ok := e.(tlsmon.SSLEvent); ok {
			lines = append(lines, string(tlsmon.AppendCanonical(nil, se)))
		}
	})
	if err := runHarness(path, h, opts); err != nil {
		t.Logf("%s: %v", path, err)
	}
	return lines
}

// TestCorpusEvents runs the analyzer (through a minimal test pipeline) over the tcp and
// none captures of the conformance corpus and compares its events with Zeek's, in both
// modes. The pipeline is simpler than the engine (no Zeek TCP state machine), so a small
// shortfall is tolerated; per-capture differences are logged.
func TestCorpusEvents(t *testing.T) {
	dir := corpusDir(t)
	for _, mode := range []struct {
		file string
		opts analyzer.Options
	}{{"events.jsonl", analyzer.Options{AnalyzeEncrypted: true}}, {"events-default.jsonl", analyzer.Options{}}} {
		var matched, total int
		for _, e := range corpusIndex(t, dir) {
			if e.kind != "tcp" && e.kind != "none" {
				continue
			}
			want := readLines(filepath.Join(dir, "expected", e.name, mode.file))
			got := collectEvents(t, filepath.Join(dir, "pcaps", e.file), mode.opts)
			m := lcs(want, got)
			matched += 2 * m
			total += len(want) + len(got)
			if m != len(want) || m != len(got) {
				t.Logf("%s %s: expected %d, got %d, matched %d", mode.file, e.name, len(want), len(got), m)
			}
		}
		score := 1.0
		if total > 0 {
			score = float64(matched) / float64(total)
		}
		t.Logf("%s: event score %.4f", mode.file, score)
		if score < 0.90 { // TLS inside RDP is not modelled by the test pipeline
			t.Errorf("%s: event score %.4f below 0.90", mode.file, score)
		}
	}
}
