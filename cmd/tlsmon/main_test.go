package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var (
	hostA = netip.MustParseAddr("10.1.2.3")
	hostB = netip.MustParseAddr("10.9.8.7")
)

func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var o, e bytes.Buffer
	code = run(args, &o, &e)
	return code, o.String(), e.String()
}

// twoUDP writes a capture of one UDP exchange (request A→B, reply B→A) and returns its path.
func twoUDP(t *testing.T, cutSecond bool) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "udp.pcap")
	req := udpPacket(hostA, hostB, 40000, 5353, []byte("hello"))
	rep := udpPacket(hostB, hostA, 5353, 40000, []byte("world!"))
	second := pcapRecord{ts: 1_700_000_000_250_000, data: rep}
	if cutSecond {
		second.cut = 16 + 20 // header plus part of the frame
	}
	writePcap(t, p, []pcapRecord{{ts: 1_700_000_000_123_456, data: req}, second})
	return p
}

func readJSONLines(t *testing.T, path string) []map[string]any {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rows []map[string]any
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("%s: bad JSON line %q: %v", path, sc.Text(), err)
		}
		rows = append(rows, m)
	}
	return rows
}

func TestRunJSONConnLog(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	code, _, stderr := runCLI(t, "-r", twoUDP(t, false), "-o", out, "--json", "--events", "--no-progress")
	if code != exitOK {
		t.Fatalf("exit %d, stderr: %s", code, stderr)
	}
	if !strings.Contains(stderr, "elapsed") || strings.Count(strings.TrimSpace(stderr), "\n") != 1 ||
		!strings.Contains(stderr, "1 connections;") || !strings.Contains(stderr, "logs in "+out+": events.jsonl, conn.log") {
		t.Errorf("want a two-line summary on stderr, got %q", stderr)
	}
	rows := readJSONLines(t, filepath.Join(out, "conn.log"))
	if len(rows) != 1 {
		t.Fatalf("conn.log: %d rows, want 1: %v", len(rows), rows)
	}
	r := rows[0]
	if r["proto"] != "udp" || r["id.orig_h"] != hostA.String() || r["id.resp_h"] != hostB.String() ||
		r["id.orig_p"] != float64(40000) || r["id.resp_p"] != float64(5353) {
		t.Errorf("conn.log row has the wrong connection: %v", r)
	}
	if ts, _ := r["ts"].(float64); ts < 1700000000.123 || ts > 1700000000.124 {
		t.Errorf("conn.log ts = %v, want the first packet's 1700000000.123456", r["ts"])
	}
	// No SSL here: no ssl.log, no x509.log (created only with a row), an empty events.jsonl.
	for _, name := range []string{"ssl.log", "x509.log"} {
		if _, err := os.Stat(filepath.Join(out, name)); err == nil {
			t.Errorf("%s exists without any SSL connection", name)
		}
	}
	if ev := readJSONLines(t, filepath.Join(out, "events.jsonl")); len(ev) != 0 {
		t.Errorf("events.jsonl has %d lines for a capture without SSL", len(ev))
	}
}

func TestRunTSVConnLog(t *testing.T) {
	out := t.TempDir()
	code, _, stderr := runCLI(t, "-r", twoUDP(t, false), "-o", out, "--no-progress")
	if code != exitOK {
		t.Fatalf("exit %d, stderr: %s", code, stderr)
	}
	b, err := os.ReadFile(filepath.Join(out, "conn.log"))
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	if !strings.HasPrefix(s, "#separator") || !strings.Contains(s, "\n#path\tconn\n") || !strings.Contains(s, "\n#close\t") {
		t.Errorf("conn.log is not a Zeek TSV log:\n%s", s)
	}
	if !strings.Contains(s, "\t"+hostA.String()+"\t40000\t"+hostB.String()+"\t5353\tudp\t") {
		t.Errorf("conn.log lacks the UDP connection row:\n%s", s)
	}
	if _, err := os.Stat(filepath.Join(out, "events.jsonl")); err == nil {
		t.Error("events.jsonl written without --events")
	}
}

// A capture cut in the middle of its second packet: exit 1, the error names the file and the
// packet, and the logs of what came before are written.
func TestRunTruncatedCapture(t *testing.T) {
	in := twoUDP(t, true)
	out := t.TempDir()
	code, _, stderr := runCLI(t, "-r", in, "-o", out, "--json", "--no-progress")
	if code != exitRuntime {
		t.Fatalf("exit %d, want %d; stderr: %s", code, exitRuntime, stderr)
	}
	if !strings.Contains(stderr, in) || !strings.Contains(stderr, "packet 2") {
		t.Errorf("error should name %s and packet 2: %q", in, stderr)
	}
	rows := readJSONLines(t, filepath.Join(out, "conn.log"))
	if len(rows) != 1 || rows[0]["id.orig_h"] != hostA.String() {
		t.Errorf("conn.log should hold the connection of packet 1: %v", rows)
	}
}

func TestRunMissingFile(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nope.pcap")
	code, _, stderr := runCLI(t, "-r", missing, "-o", t.TempDir())
	if code != exitRuntime || !strings.Contains(stderr, missing) {
		t.Errorf("exit %d, stderr %q: want %d and the file named", code, stderr, exitRuntime)
	}
}

// Two captures are merged: the connection seen in both is one conn.log row.
func TestRunMerge(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.pcap"), filepath.Join(dir, "b.pcap")
	writePcap(t, a, []pcapRecord{{ts: 1_700_000_000_000_000, data: udpPacket(hostA, hostB, 40000, 5353, []byte("q"))}})
	writePcap(t, b, []pcapRecord{{ts: 1_700_000_000_500_000, data: udpPacket(hostB, hostA, 5353, 40000, []byte("r"))}})
	out := filepath.Join(dir, "out")
	code, _, stderr := runCLI(t, "-r", b, "-r", a, "-o", out, "--json", "--no-progress")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	rows := readJSONLines(t, filepath.Join(out, "conn.log"))
	if len(rows) != 1 {
		t.Fatalf("conn.log: %d rows, want 1 (merged): %v", len(rows), rows)
	}
	if rows[0]["id.orig_h"] != hostA.String() || rows[0]["orig_pkts"] != float64(1) || rows[0]["resp_pkts"] != float64(1) {
		t.Errorf("merged connection row: %v", rows[0])
	}
}

// The sample capture of the README, when present.
func TestRunSample(t *testing.T) {
	sample := filepath.Join("..", "..", "testdata", "sample.pcap")
	if _, err := os.Stat(sample); err != nil {
		t.Skipf("no %s yet", sample)
	}
	out := t.TempDir()
	code, _, stderr := runCLI(t, "-r", sample, "-o", out, "--json", "--events", "--no-progress")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	ev := readJSONLines(t, filepath.Join(out, "events.jsonl"))
	if len(ev) == 0 {
		t.Fatal("no SSL event from the sample capture")
	}
	for _, e := range ev {
		for _, k := range []string{"ts", "event", "id", "args"} {
			if _, ok := e[k]; !ok {
				t.Fatalf("event line without %q: %v", k, e)
			}
		}
	}
	if rows := readJSONLines(t, filepath.Join(out, "ssl.log")); len(rows) == 0 {
		t.Error("no ssl.log row from the sample capture")
	}
}
