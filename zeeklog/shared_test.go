package zeeklog

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// conformanceDir returns ../shared/conformance relative to the repository root; it skips
// the test when absent, unless CI=true, where absence is a failure.
func conformanceDir(t testing.TB) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	root := filepath.Dir(filepath.Dir(file))
	dir := filepath.Join(root, "..", "shared", "conformance")
	if _, err := os.Stat(filepath.Join(dir, "INDEX.tsv")); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("conformance corpus missing at %s: %v", dir, err)
		}
		t.Skipf("conformance corpus not found at %s (set up ../shared to run this test)", dir)
	}
	return dir
}
