package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/tlsmon/tlsmon/internal/corpus"
)

// --workers N writes the same files, byte for byte (but the run times in #open and #close),
// for N = 1, 2, 3 and 8 on every corpus capture: every log and events.jsonl.
func TestWorkersSameOutput(t *testing.T) {
	dir := corpus.Dir(t)
	paths := []string{filepath.Join("..", "..", "testdata", "sample.pcap")}
	for _, c := range corpus.Index(t, dir) {
		paths = append(paths, filepath.Join(dir, "pcaps", c.File))
	}
	tmp := t.TempDir()
	for pi, p := range paths {
		var want map[string][]byte
		for _, n := range []int{1, 2, 3, 8} {
			out := filepath.Join(tmp, strconv.Itoa(pi), strconv.Itoa(n))
			if code, _, stderr := runCLI(t, "-r", p, "-o", out, "--no-progress", "--events", "--workers", strconv.Itoa(n)); code != exitOK {
				t.Fatalf("%s, %d workers: exit %d: %s", p, n, code, stderr)
			}
			got := readOutputs(t, out)
			if want == nil {
				want = got
				continue
			}
			for name, b := range want {
				if !bytes.Equal(got[name], b) {
					t.Errorf("%s, %d workers: %s differs from one worker's", filepath.Base(p), n, name)
				}
			}
			if len(got) != len(want) {
				t.Errorf("%s, %d workers: %d files, one worker %d", filepath.Base(p), n, len(got), len(want))
			}
		}
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
