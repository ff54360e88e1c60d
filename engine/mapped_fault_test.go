package engine

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/tlsmon/tlsmon/capture"
)

// TestMappedFileTruncated: a capture truncated while it is read through a memory map ends
// the run with capture.ErrMappedFault, for one engine and for a sharded run, instead of
// killing the process with SIGBUS.
func TestMappedFileTruncated(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("memory-mapped reading is tested on Linux")
	}
	for _, workers := range []int{1, 2} {
		p, r := mappedSampleCopy(t)
		if err := os.Truncate(p, 4096); err != nil {
			t.Fatal(err)
		}
		_, err := Run(r, Options{Workers: workers})
		if !errors.Is(err, capture.ErrMappedFault) {
			t.Errorf("workers %d: Run = %v, want ErrMappedFault", workers, err)
		}
		r.Close()
	}
}

// mappedSampleCopy copies testdata/sample.pcap into a temporary file and opens it through a
// memory map: its path (to truncate it under the map) and its reader.
func mappedSampleCopy(t *testing.T) (string, capture.Reader) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", "sample.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "sample.pcap")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	r, err := capture.OpenMapped(p, f, nil)
	if err != nil || r == nil {
		t.Fatalf("OpenMapped: %v, %v", r, err)
	}
	return p, r
}
