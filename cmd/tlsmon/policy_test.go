package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// --load adds the scripts' columns and logs; without it the logs are the default ones.
func TestRunLoad(t *testing.T) {
	sample := filepath.Join("..", "..", "testdata", "sample.pcap")
	if _, err := os.Stat(sample); err != nil {
		t.Skipf("no %s yet", sample)
	}
	off, on := t.TempDir(), t.TempDir()
	if code, _, stderr := runCLI(t, "-r", sample, "-o", off, "--json", "--no-progress"); code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if code, _, stderr := runCLI(t, "-r", sample, "-o", on, "--json", "--no-progress", "--load", "local"); code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, name := range []string{"notice.log", "known_certs.log"} {
		if _, err := os.Stat(filepath.Join(off, name)); err == nil {
			t.Errorf("%s written without --load", name)
		}
	}
	conn := readJSONLines(t, filepath.Join(on, "conn.log"))
	if len(conn) == 0 || !strings.HasPrefix(conn[0]["community_id"].(string), "1:") {
		t.Errorf("conn.log with --load local: %v", conn)
	}
	for _, r := range readJSONLines(t, filepath.Join(off, "conn.log")) {
		if _, ok := r["community_id"]; ok {
			t.Error("community_id without --load")
		}
	}
	ssl := readJSONLines(t, filepath.Join(on, "ssl.log"))
	if len(ssl) == 0 {
		t.Fatal("no ssl.log row")
	}
	for _, r := range ssl {
		if _, ok := r["client_ciphers"]; !ok {
			t.Errorf("ssl.log row without ssl-log-ext fields: %v", r)
		}
	}
}

func TestParseLoadFlag(t *testing.T) {
	cfg, code, done := parseArgs([]string{"-r", "x.pcap", "--load", "ssl-log-ext", "--load", "protocols/ssl/validate-sct"}, nil, nil)
	if done || code != exitOK {
		t.Fatalf("parse: code %d", code)
	}
	if got := strings.Join(cfg.load, ","); got != "validate-certs,validate-sct,ssl-log-ext" {
		t.Errorf("load = %s", got)
	}
	var stderr strings.Builder
	if _, code, done := parseArgs([]string{"-r", "x.pcap", "--load", "known-hosts"}, nil, &stderr); !done || code != exitUsage ||
		!strings.Contains(stderr.String(), "unknown script") {
		t.Errorf("unknown script: code %d, %q", code, stderr.String())
	}
}
