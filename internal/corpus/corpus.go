// Package corpus locates the conformance corpus (../shared/conformance beside the
// repository: Zeek's captures and Zeek's own output for each) for tests, and reads its index.
package corpus

import (
	"bufio"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// Capture is one row of INDEX.tsv.
type Capture struct {
	Name string // folder name under expected/
	File string // file name under pcaps/
	Kind string // none, tcp, udp, starttls, quic, tunnel, mixed
}

// Dir returns the corpus directory. When it is absent the test is skipped, unless CI=true,
// where a missing corpus fails the test.
func Dir(t testing.TB) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	dir := filepath.Join(filepath.Dir(file), "..", "..", "..", "shared", "conformance")
	if _, err := os.Stat(filepath.Join(dir, "INDEX.tsv")); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("conformance corpus missing at %s: %v", dir, err)
		}
		t.Skipf("conformance corpus not found at %s (../shared beside the repository); skipping", dir)
	}
	return dir
}

// Index returns the captures of INDEX.tsv whose kind is one of kinds (all when none given).
func Index(t testing.TB, dir string, kinds ...string) []Capture {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "INDEX.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	var out []Capture
	for i, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		f := strings.Split(line, "\t")
		if i == 0 || len(f) < 3 {
			continue
		}
		c := Capture{Name: f[0], File: f[1], Kind: f[2]}
		if len(kinds) == 0 || contains(kinds, c.Kind) {
			out = append(out, c)
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Lines returns the non-empty lines of a file (such as an events.jsonl), trimmed.
func Lines(t testing.TB, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" {
			out = append(out, l)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
