package capture

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }

// sharedDir returns ../shared relative to the repository root, skipping the test when it is
// absent (failing under CI=true).
func sharedDir(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("repository root (go.mod) not found")
		}
		dir = parent
	}
	shared := filepath.Join(dir, "..", "shared")
	if _, err := os.Stat(filepath.Join(shared, "conformance", "pcaps")); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("conformance corpus missing at %s (required under CI): %v", shared, err)
		}
		t.Skipf("conformance corpus not found at %s; skipping", shared)
	}
	return shared
}

func TestReadConformanceCaptures(t *testing.T) {
	pcaps := filepath.Join(sharedDir(t), "conformance", "pcaps")
	entries, err := os.ReadDir(pcaps)
	if err != nil {
		t.Fatal(err)
	}
	var files, frames int
	for _, e := range entries {
		if e.IsDir() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		p := filepath.Join(pcaps, e.Name())
		r, err := Open(p)
		if err != nil {
			t.Errorf("%s: open: %v", e.Name(), err)
			continue
		}
		var f Frame
		var n int
		var last uint64
		for {
			err = r.Next(&f)
			if err != nil {
				break
			}
			n++
			if f.Num != last+1 || len(f.Data) > MaxCapLen || f.File != p {
				t.Errorf("%s: bad frame %d: num %d len %d", e.Name(), n, f.Num, len(f.Data))
				break
			}
			last = f.Num
		}
		if err != io.EOF {
			t.Errorf("%s: after %d frames: %v", e.Name(), n, err)
		}
		if n == 0 {
			t.Errorf("%s: no frames", e.Name())
		}
		_ = r.Close()
		files++
		frames += n
	}
	t.Logf("read %d captures, %d frames", files, frames)
}
