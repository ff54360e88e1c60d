package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/tlsmon/tlsmon/internal/corpus"
)

// --workers N writes the same files, byte for byte (but the run times in #open and #close),
// for N = 1, 2, 3 and 8 on every corpus capture: every log and events.jsonl, in TSV and in
// JSON. With N > 1 these runs build their logs in the shards (split.go;
// TestWorkersSplitWhen checks that they do), and the summary's counts are the same.
func TestWorkersSameOutput(t *testing.T) {
	dir := corpus.Dir(t)
	paths := []string{filepath.Join("..", "..", "testdata", "sample.pcap")}
	for _, c := range corpus.Index(t, dir) {
		paths = append(paths, filepath.Join(dir, "pcaps", c.File))
	}
	tmp := t.TempDir()
	for _, format := range [][]string{{"--events"}, {"--json", "--events", "--analyze-encrypted", "--fingerprints"}, {"--logs", "conn,x509,weird"}, {"--fingerprints", "--logs", "ssl"}} {
		for pi, p := range paths {
			var want map[string][]byte
			var wantSummary string
			for _, n := range []int{1, 2, 3, 8} {
				out := filepath.Join(tmp, format[0], strconv.Itoa(pi), strconv.Itoa(n))
				args := append([]string{"-r", p, "-o", out, "--no-progress", "--workers", strconv.Itoa(n)}, format...)
				code, _, stderr := runCLI(t, args...)
				if code != exitOK {
					t.Fatalf("%s, %d workers: exit %d: %s", p, n, code, stderr)
				}
				summary, _, _ := strings.Cut(stderr, "\n") // the first line: connections, sessions, certificates
				got := readOutputs(t, out)
				if want == nil {
					want, wantSummary = got, summary
					continue
				}
				for name, b := range want {
					if !bytes.Equal(got[name], b) {
						t.Errorf("%s %v, %d workers: %s differs from one worker's", filepath.Base(p), format, n, name)
					}
				}
				if len(got) != len(want) {
					t.Errorf("%s %v, %d workers: %d files, one worker %d", filepath.Base(p), format, n, len(got), len(want))
				}
				if strings.ReplaceAll(summary, out, "DIR") != strings.ReplaceAll(wantSummary, filepath.Join(filepath.Dir(out), "1"), "DIR") {
					t.Errorf("%s %v, %d workers: summary %q, one worker %q", filepath.Base(p), format, n, summary, wantSummary)
				}
			}
		}
	}
}

// The file runs with several workers build their logs in the shards; the runs that need
// every event in one place keep the turns.
func TestWorkersSplitWhen(t *testing.T) {
	p := filepath.Join("..", "..", "testdata", "sample.pcap")
	for _, c := range []struct {
		args  []string
		split bool
	}{
		{[]string{"--workers", "2"}, true},
		{[]string{"--workers", "3", "--json", "--events", "--events-text"}, true},
		{[]string{"--workers", "2", "--logs", "ssl,weird"}, true},
		{[]string{"--workers", "1"}, false},
		{[]string{"--workers", "2", "--fingerprints"}, true},
		{[]string{"--workers", "3", "--json", "--fingerprints", "--analyze-encrypted"}, true},
		{[]string{"--workers", "2", "--load", "local"}, false},
		{[]string{"--workers", "2", "-o", "-"}, false},
	} {
		args := append([]string{"-r", p}, c.args...)
		if !slices.Contains(args, "-o") {
			args = append(args, "-o", t.TempDir())
		}
		cfg, code, done := parseArgs(args, io.Discard, io.Discard)
		if done || code != exitOK {
			t.Fatalf("%v: parse: exit %d", c.args, code)
		}
		out, err := openOutputs(cfg, func(error) {})
		if err != nil {
			t.Fatalf("%v: %v", c.args, err)
		}
		if got := out.splitOptions(cfg) != nil; got != c.split {
			t.Errorf("%v: split %v, want %v", c.args, got, c.split)
		}
		out.Close()
	}
}

// readOutputs reads every file of a run's directory, without the #open and #close lines.
func readOutputs(t *testing.T, dir string) map[string][]byte {
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string][]byte{}
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		var keep []byte
		for line := range bytes.Lines(b) {
			if !bytes.HasPrefix(line, []byte("#open")) && !bytes.HasPrefix(line, []byte("#close")) {
				keep = append(keep, line...)
			}
		}
		m[e.Name()] = keep
	}
	return m
}
