package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRunFingerprints: --fingerprints adds ja3, ja3s and ja4 to ssl.log, after Zeek's columns,
// in TSV and JSON; without it ssl.log has Zeek's columns only.
func TestRunFingerprints(t *testing.T) {
	sample := filepath.Join("..", "..", "testdata", "sample.pcap")
	if _, err := os.Stat(sample); err != nil {
		t.Skipf("no %s yet", sample)
	}
	for _, c := range []struct {
		args []string
		want bool
	}{{nil, false}, {[]string{"--fingerprints"}, true}, {[]string{"--fingerprints", "--json"}, true}} {
		out := t.TempDir()
		code, _, stderr := runCLI(t, append([]string{"-r", sample, "-o", out, "--no-progress"}, c.args...)...)
		if code != exitOK {
			t.Fatalf("%v: exit %d: %s", c.args, code, stderr)
		}
		b, err := os.ReadFile(filepath.Join(out, "ssl.log"))
		if err != nil {
			t.Fatal(err)
		}
		s := string(b)
		// the sample's first connection (see fingerprint/example_test.go)
		has := strings.Contains(s, "t12d0111h2_648b5c445417_a92c7c6a82fe") && strings.Contains(s, "5af4dd8528bf9f2ff156c1558276466d")
		if has != c.want || strings.Contains(s, "ja4") != c.want {
			t.Errorf("%v: fingerprints in ssl.log: %v, want %v", c.args, has, c.want)
		}
		if c.want && len(c.args) == 1 && !strings.Contains(s, "\tsni_matches_cert\tja3\tja3s\tja4\n") {
			t.Errorf("TSV header: %s", s)
		}
	}
}
