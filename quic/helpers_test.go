package quic

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// readTestdata reads a hex file of testdata/ ('#' lines are comments).
func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var sb strings.Builder
	for _, line := range strings.Split(string(b), "\n") {
		if !strings.HasPrefix(line, "#") {
			sb.WriteString(line)
		}
	}
	return unhex(t, sb.String())
}

// heldBytes returns the CRYPTO bytes a holds past holes, both directions.
func heldBytes(a *Analyzer) int {
	if a.state == nil {
		return 0
	}
	return a.dir[0].cs.held() + a.dir[1].cs.held()
}
