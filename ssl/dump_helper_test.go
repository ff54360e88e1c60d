package ssl

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tlsmon/tlsmon/analyzer"
)

// TestDumpCapture writes the events of one capture (SSL_DUMP=name) to SSL_DUMP_OUT; a
// debugging aid, skipped unless asked for.
func TestDumpCapture(t *testing.T) {
	name := os.Getenv("SSL_DUMP")
	if name == "" {
		t.Skip("set SSL_DUMP=<capture name> to dump its events")
	}
	dir := corpusDir(t)
	for _, e := range corpusIndex(t, dir) {
		if e.name == name {
			got := collectEvents(t, filepath.Join(dir, "pcaps", e.file), analyzer.Options{AnalyzeEncrypted: os.Getenv("SSL_DEFAULT") == ""})
			if err := os.WriteFile(os.Getenv("SSL_DUMP_OUT"), []byte(strings.Join(got, "\n")+"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}
