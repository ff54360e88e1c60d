package main

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestUnknownLinkTypeWarning: a capture of a link type Zeek does not decode gets one
// warning line on stderr (and its frames are still tried as raw IP).
func TestUnknownLinkTypeWarning(t *testing.T) {
	frame := udpPacket(hostA, hostB, 40000, 5353, []byte("hello"))[14:] // raw IP
	b := pcapBytes([]pcapRecord{{ts: 1_700_000_000_000_000, data: frame}, {ts: 1_700_000_001_000_000, data: frame}})
	binary.LittleEndian.PutUint32(b[20:], 147)
	in := filepath.Join(t.TempDir(), "user.pcap")
	if err := os.WriteFile(in, b, 0o644); err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	code, _, stderr := runCLI(t, "-r", in, "-o", out, "--json", "--no-progress")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if n := strings.Count(stderr, "link type 147 is not decoded"); n != 1 {
		t.Fatalf("%d warnings in %q", n, stderr)
	}
	if rows := readJSONLines(t, filepath.Join(out, "conn.log")); len(rows) != 1 {
		t.Fatalf("conn.log rows %v, want the raw-IP connection", rows)
	}
}
