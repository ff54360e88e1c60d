package main

import (
	"os"
	"path/filepath"
	"testing"
)

// --trace writes an execution trace next to the run's outputs (and --cpuprofile and
// --memprofile their profiles), with two workers so that the trace has the shards in it.
func TestProfilesWritten(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{"--trace": "t.out", "--cpuprofile": "cpu.prof", "--memprofile": "mem.prof"}
	args := []string{"-r", filepath.Join("..", "..", "testdata", "sample.pcap"), "-o", filepath.Join(dir, "logs"), "-q", "--workers", "2"}
	for flag, name := range files {
		args = append(args, flag, filepath.Join(dir, name))
	}
	if code, _, stderr := runCLI(t, args...); code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for flag, name := range files {
		if fi, err := os.Stat(filepath.Join(dir, name)); err != nil || fi.Size() == 0 {
			t.Errorf("%s: %v", flag, err)
		}
	}
}
