package main

import (
	"bytes"
	"crypto/tls"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tlsmon/tlsmon/internal/testgen"
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

// validate-certs on real crypto/tls handshakes (internal/testgen: an RSA root, an RSA
// intermediate and an ECDSA leaf): without the root the chain does not validate and
// SSL::Invalid_Server_Cert is raised; with the root in --ca-file it validates.
func TestRunValidateCAFile(t *testing.T) {
	certs, err := testgen.DefaultCerts()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	pcap := filepath.Join(dir, "tls.pcap")
	var buf bytes.Buffer
	c, err := testgen.NewCapture(&buf, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	tr, err := testgen.Run(testgen.Config{ServerName: "server.test", MaxVersion: tls.VersionTLS12})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.AddConn(tr, testgen.Framing{}); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(pcap, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	caFile := filepath.Join(dir, "root.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: certs.Root.Raw}), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args   []string
		status string
		notice bool
	}{
		{nil, "unable to get local issuer certificate", true},
		{[]string{"--ca-file", caFile}, "ok", false},
	} {
		out := t.TempDir()
		args := append([]string{"-r", pcap, "-o", out, "--json", "--no-progress", "--load", "validate-certs"}, tc.args...)
		if code, _, stderr := runCLI(t, args...); code != exitOK {
			t.Fatalf("%v: exit %d: %s", tc.args, code, stderr)
		}
		ssl := readJSONLines(t, filepath.Join(out, "ssl.log"))
		if len(ssl) != 1 || ssl[0]["validation_status"] != tc.status {
			t.Errorf("%v: ssl.log %v", tc.args, ssl)
		}
		_, err := os.Stat(filepath.Join(out, "notice.log"))
		if got := err == nil; got != tc.notice {
			t.Errorf("%v: notice.log written: %v", tc.args, got)
		}
		if tc.notice {
			n := readJSONLines(t, filepath.Join(out, "notice.log"))
			if len(n) != 1 || n[0]["note"] != "SSL::Invalid_Server_Cert" ||
				n[0]["msg"] != "SSL certificate validation failed with ("+tc.status+")" {
				t.Errorf("notice.log %v", n)
			}
		}
	}
	if code, _, _ := runCLI(t, "-r", pcap, "-o", t.TempDir(), "--load", "validate-certs", "--ca-file", filepath.Join(dir, "missing.pem")); code == exitOK {
		t.Error("a missing --ca-file was accepted")
	}
}
