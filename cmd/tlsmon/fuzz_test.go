package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// FuzzRun runs the whole command over arbitrary capture bytes: it must end with status 0
// or 1 (never a panic), and whatever it wrote must be complete JSON lines.
func FuzzRun(f *testing.F) {
	f.Add(pcapBytes([]pcapRecord{
		{ts: 1_700_000_000_000_000, data: udpPacket(hostA, hostB, 40000, 443, []byte{0x16, 0xfe, 0xfd, 0, 0})},
		{ts: 1_700_000_000_100_000, data: udpPacket(hostB, hostA, 443, 40000, []byte("x"))},
	}))
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		in := filepath.Join(dir, "in.pcap")
		if err := os.WriteFile(in, data, 0o644); err != nil {
			t.Fatal(err)
		}
		out := filepath.Join(dir, "out")
		var o, e bytes.Buffer
		code := run([]string{"-r", in, "-o", out, "--json", "--events", "--analyze-encrypted", "--no-progress"}, &o, &e)
		if code != exitOK && code != exitRuntime {
			t.Fatalf("exit %d: %s", code, e.String())
		}
		for _, name := range []string{"conn.log", "ssl.log", "x509.log", "events.jsonl"} {
			p := filepath.Join(out, name)
			if _, err := os.Stat(p); err == nil {
				readJSONLines(t, p)
			}
		}
	})
}
