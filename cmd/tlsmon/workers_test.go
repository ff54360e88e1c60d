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
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/tlsmon/tlsmon/internal/corpus"
	"github.com/tlsmon/tlsmon/internal/kafkatest"
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
	for fi, format := range [][]string{{"--events"}, {"--json", "--events", "--analyze-encrypted", "--fingerprints"}, {"--logs", "conn,x509,weird"}, {"--fingerprints", "--logs", "ssl"},
		{"--load", splitScripts, "--fingerprints"}, {"--json", "--load", splitScripts, "--logs", "notice,known_certs,weird"},
		{"--load", "local"}, {"--json", "--load", "local", "--fingerprints"}} {
		for pi, p := range paths {
			var want map[string][]byte
			var wantSummary string
			for _, n := range []int{1, 2, 3, 8} {
				out := filepath.Join(tmp, strconv.Itoa(fi), strconv.Itoa(pi), strconv.Itoa(n))
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

// splitScripts are the policy scripts but the validate scripts (whose checks the merger
// makes: splitvalidate.go).
const splitScripts = "known-certs,expiring-certs,weak-keys,heartbleed,ssl-log-ext,community-id-logging"

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
		{[]string{"--workers", "2", "--load", "local"}, true}, // the validate scripts too (splitvalidate.go)
		{[]string{"--workers", "2", "--load", "validate-ocsp"}, true},
		{[]string{"--workers", "3", "--json", "--load", "validate-sct", "--logs", "notice", "-o", "-"}, true},
		{[]string{"--workers", "2", "--load", "known-certs,weak-keys"}, true},
		{[]string{"--workers", "2", "--load", "heartbleed,expiring-certs", "--logs", "notice"}, true},
		{[]string{"--workers", "2", "-o", "-"}, true},
		{[]string{"--workers", "2", "-o", "-", "--fingerprints", "--logs", "ssl,x509"}, true},
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

// The stream on stdout (-o -) is byte-identical for N = 1, 2, 3 and 8 workers on every
// corpus capture, _write_ts included (the shards' clock lines, splitsink.go), with the
// fingerprints' columns and --analyze-encrypted, and with the policy scripts that split.
func TestWorkersSameStream(t *testing.T) {
	for _, opts := range [][]string{{"--fingerprints", "--analyze-encrypted"}, {"--load", splitScripts, "--logs", "ssl,notice,known_certs,weird"},
		{"--load", "local", "--logs", "ssl,notice"}} {
		for _, p := range workerCaptures(t) {
			sameStream(t, p, opts)
		}
	}
}

func sameStream(t *testing.T, p string, opts []string) {
	var want, wantSummary string
	for _, n := range []int{1, 2, 3, 8} {
		args := append([]string{"-r", p, "-o", "-", "--no-progress", "--workers", strconv.Itoa(n)}, opts...)
		code, stdout, stderr := runCLI(t, args...)
		if code != exitOK {
			t.Fatalf("%s %v, %d workers: exit %d: %s", p, opts, n, code, stderr)
		}
		summary, _, _ := strings.Cut(stderr, "\n")
		if n == 1 {
			want, wantSummary = stdout, summary
			continue
		}
		if stdout != want {
			t.Errorf("%s %v, %d workers: stdout differs from one worker's", filepath.Base(p), opts, n)
		}
		if summary != wantSummary {
			t.Errorf("%s %v, %d workers: summary %q, one worker %q", filepath.Base(p), opts, n, summary, wantSummary)
		}
	}
}

// Kafka gets the same records in the same order for N = 1, 2, 3 workers (one partition:
// the order of the puts), alone with log files beside it, and together with stdout.
func TestWorkersSameKafka(t *testing.T) {
	ns := []int{1, 2, 3}
	var topics []string
	for _, mode := range []string{"files", "stdout"} {
		for _, n := range ns {
			topics = append(topics, mode+strconv.Itoa(n))
		}
	}
	_, addr := kafkatest.Cluster(t, 1, topics...)
	caps := sinkCaptures(t)
	for _, mode := range []string{"files", "stdout"} {
		var wantFiles map[string][]byte
		var wantStdout string
		var want []*kgo.Record
		for _, n := range ns {
			topic := mode + strconv.Itoa(n)
			dir := t.TempDir()
			args := append([]string{"--no-progress", "--kafka", addr, "--kafka-topic", topic, "--uid-seed", "7",
				"--fingerprints", "--workers", strconv.Itoa(n)}, caps[:2]...) // one capture: -r FILE
			if mode == "files" {
				args = append(args, "-o", dir, "--json", "--events", "--load", "local") // validate scripts: splitvalidate.go
			} else {
				args = append(args, "-o", "-")
			}
			code, stdout, stderr := runCLI(t, args...)
			if code != exitOK {
				t.Fatalf("%s, %d workers: exit %d: %s", mode, n, code, stderr)
			}
			if !strings.Contains(stderr, " 0 dropped, 0 not acknowledged") {
				t.Fatalf("%s, %d workers: rows lost: %s", mode, n, stderr)
			}
			rows := strings.Count(stdout, "\n")
			files := map[string][]byte{}
			if mode == "files" {
				files = readOutputs(t, dir)
				for name, b := range files {
					if strings.HasSuffix(name, ".log") { // not events.jsonl
						rows += bytes.Count(b, []byte("\n"))
					}
				}
			}
			recs := kafkatest.ReadAll(t, addr, rows, 20*time.Second, topic)
			if n == 1 {
				want, wantFiles, wantStdout = recs, files, stdout
				if len(recs) == 0 {
					t.Fatalf("%s: no record", mode)
				}
				continue
			}
			if len(recs) != len(want) {
				t.Fatalf("%s, %d workers: %d records, one worker %d", mode, n, len(recs), len(want))
			}
			for i, r := range recs {
				if !bytes.Equal(r.Value, want[i].Value) || !bytes.Equal(r.Key, want[i].Key) {
					t.Fatalf("%s, %d workers: record %d differs:\n got %s %s\nwant %s %s", mode, n, i, r.Key, r.Value, want[i].Key, want[i].Value)
				}
			}
			for name, b := range wantFiles {
				if !bytes.Equal(files[name], b) {
					t.Errorf("%s, %d workers: %s differs from one worker's", mode, n, name)
				}
			}
			if stdout != wantStdout {
				t.Errorf("%s, %d workers: stdout differs from one worker's", mode, n)
			}
		}
	}
}

// workerCaptures are the sample capture and every corpus capture.
func workerCaptures(t *testing.T) []string {
	dir := corpus.Dir(t)
	paths := []string{filepath.Join("..", "..", "testdata", "sample.pcap")}
	for _, c := range corpus.Index(t, dir) {
		paths = append(paths, filepath.Join(dir, "pcaps", c.File))
	}
	return paths
}
