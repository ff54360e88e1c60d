package main

import (
	"bytes"
	"crypto/tls"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/tlsmon/tlsmon/internal/testgen"
)

// TestWorkersX509Relog: one certificate chain on connections every 5 h 40 min over
// almost three days, spread over the shards by their addresses. x509.log logs it again
// once a day has passed since it was last logged, which a shard that saw it less than a
// day ago (but not where it was logged) does not expect: its row is formatted by the
// merger, and rows the shards prepare for certificates another shard logged are dropped.
// Every file is the one worker's.
func TestWorkersX509Relog(t *testing.T) {
	dir := t.TempDir()
	pcap := filepath.Join(dir, "relog.pcap")
	var buf bytes.Buffer
	c, err := testgen.NewCapture(&buf, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	tr, err := testgen.Run(testgen.Config{ServerName: "server.test", MaxVersion: tls.VersionTLS12})
	if err != nil {
		t.Fatal(err)
	}
	for range 12 {
		if _, err := c.AddConn(tr, testgen.Framing{}); err != nil {
			t.Fatal(err)
		}
		c.Advance(5*time.Hour + 40*time.Minute)
	}
	if err := os.WriteFile(pcap, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, format := range [][]string{nil, {"--json", "--events"}} {
		var want map[string][]byte
		for _, n := range []int{1, 2, 3} {
			out := filepath.Join(dir, strconv.Itoa(len(format)), strconv.Itoa(n))
			args := append([]string{"-r", pcap, "-o", out, "--no-progress", "--workers", strconv.Itoa(n)}, format...)
			if code, _, stderr := runCLI(t, args...); code != exitOK {
				t.Fatalf("%v: exit %d: %s", args, code, stderr)
			}
			got := readOutputs(t, out)
			if want == nil {
				want = got
				// the chain's certificates are logged on days 1, 2 and 3 (and not between)
				rows := 0
				for line := range bytes.Lines(got["x509.log"]) {
					if line[0] != '#' {
						rows++
					}
				}
				if rows == 0 || rows%3 != 0 {
					t.Fatalf("%d x509.log rows, want 3 per certificate:\n%s", rows, got["x509.log"])
				}
				continue
			}
			for name, b := range want {
				if !bytes.Equal(got[name], b) {
					t.Errorf("%v, %d workers: %s differs from one worker's:\n%s\none worker:\n%s", format, n, name, got[name], b)
				}
			}
			if len(got) != len(want) {
				t.Errorf("%v, %d workers: %d files, one worker %d", format, n, len(got), len(want))
			}
		}
	}
}
