package main

import (
	"bytes"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tlsmon/tlsmon"
	"github.com/tlsmon/tlsmon/capture"
)

// The test binary doubles as the command: with TLSMON_TEST_MAIN=1 it runs main, for the
// tests that need a process of their own (standard input, signals).
func TestMain(m *testing.M) {
	if os.Getenv("TLSMON_TEST_MAIN") == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

// command returns the command run as a separate process.
func command(t *testing.T, args ...string) *exec.Cmd {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, args...)
	cmd.Env = append(os.Environ(), "TLSMON_TEST_MAIN=1")
	return cmd
}

// manyUDP returns a capture of n one-packet UDP connections two minutes apart: each ends
// (UDP inactivity timeout) while the capture is still being read, so conn.log grows as it is.
// Every tenth datagram's UDP length is wrong (a weird.log row).
func manyUDP(n int) []byte {
	recs := make([]pcapRecord, n)
	for i := range recs {
		src := netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)})
		data := udpPacket(src, hostB, uint16(40000+i%1000), 5353, []byte("q"))
		if i%10 == 0 {
			data[14+20+5]++ // UDP_datagram_length_mismatch
		}
		recs[i] = pcapRecord{ts: 1_700_000_000_000_000 + int64(i)*120_000_000, data: data}
	}
	return pcapBytes(recs)
}

// checkWholeLines fails unless every file in dir ends with a newline and, for the TSV logs
// (tsv set), ends with Zeek's #close line.
func checkWholeLines(t *testing.T, dir string, tsv bool) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if e.Type()&os.ModeSymlink != 0 {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if len(b) > 0 && b[len(b)-1] != '\n' {
			t.Errorf("%s ends in a half line: %q", e.Name(), b[max(0, len(b)-80):])
		}
		if tsv && strings.HasSuffix(e.Name(), ".log") {
			lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
			if !strings.HasPrefix(lines[len(lines)-1], "#close\t") {
				t.Errorf("%s does not end with #close: %q", e.Name(), lines[len(lines)-1])
			}
		}
	}
}

// errorLines returns the lines of stderr that are not the summary.
func errorLines(stderr string) []string {
	var out []string
	for _, l := range strings.Split(strings.TrimSpace(stderr), "\n") {
		if l != "" && !strings.Contains(l, "packets=") && !strings.Contains(l, " connections; sessions:") {
			out = append(out, l)
		}
	}
	return out
}

// Output problems are found before anything is read, and reported once, naming the file.
func TestOutputNotWritable(t *testing.T) {
	in := twoUDP(t, false)
	dir := t.TempDir()
	file := filepath.Join(dir, "plainfile")
	os.WriteFile(file, []byte("x"), 0o644)
	logDir := filepath.Join(dir, "out")
	os.MkdirAll(filepath.Join(logDir, "conn.log"), 0o755) // conn.log cannot be written
	for _, c := range []struct {
		out, want string
	}{
		{filepath.Join(file, "sub"), "not a directory"},
		{logDir, filepath.Join(logDir, "conn.log") + ": is a directory"},
	} {
		code, _, stderr := runCLI(t, "-r", in, "-o", c.out, "--no-progress")
		lines := errorLines(stderr)
		if code != exitRuntime || len(lines) != 1 || !strings.Contains(lines[0], c.want) {
			t.Errorf("-o %s: exit %d, stderr %q; want %d and one error with %q", c.out, code, stderr, exitRuntime, c.want)
		}
		if strings.Contains(stderr, "packets=") {
			t.Errorf("-o %s: the capture was read before the output was checked: %q", c.out, stderr)
		}
	}
}

// lazyFile cuts a file back to its last whole line when a write fails half-way.
func TestLazyFileShortWrite(t *testing.T) {
	fake := &shortFile{room: 100}
	var failed error
	f := newLazyFile("x.log")
	f.size = 64
	f.create = func(string) (outFile, error) { return fake, nil }
	f.onErr = func(err error) { failed = err }
	line := []byte(strings.Repeat("a", 29) + "\n") // 30 bytes
	for range 10 {
		f.Write(line)
	}
	if failed == nil || !strings.Contains(failed.Error(), "no space") {
		t.Fatalf("onErr got %v", failed)
	}
	if err := f.Close(); err == nil {
		t.Error("Close hides the write error")
	}
	if got := fake.buf.String(); got != strings.Repeat(string(line), 3) {
		t.Errorf("file holds %q, want the 3 whole lines that fit", got)
	}
}

// shortFile accepts room bytes, then fails as a full disk does.
type shortFile struct {
	buf  bytes.Buffer
	room int
}

func (s *shortFile) Write(p []byte) (int, error) {
	n := min(len(p), s.room-s.buf.Len())
	s.buf.Write(p[:n])
	if n < len(p) {
		return n, &os.PathError{Op: "write", Path: "x.log", Err: syscall.ENOSPC}
	}
	return n, nil
}
func (s *shortFile) Truncate(size int64) error { s.buf.Truncate(int(size)); return nil }
func (s *shortFile) Close() error              { return nil }

// After a second signal (abort) the logs are closed at once: whole lines, #close.
func TestAbortClosesLogs(t *testing.T) {
	out := t.TempDir()
	o, err := openOutputs(config{outDir: out}, nil)
	if err != nil {
		t.Fatal(err)
	}
	conn := &tlsmon.Conn{UID: "Cx", ID: tlsmon.ConnID{OrigH: hostA, RespH: hostB, OrigP: 1, RespP: 443, Proto: tlsmon.ProtoTCP}}
	o.HandleEvent(&tlsmon.SSLClientHello{Meta: tlsmon.Meta{Ts: 1_700_000_000_000_000, Conn: conn}, Version: 0x0303})
	o.abort.Store(true)
	o.HandleEvent(&tlsmon.ConnectionStateRemove{Meta: tlsmon.Meta{Ts: 1_700_000_001_000_000, Conn: conn}})
	if err := o.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(out, "ssl.log"))
	if err != nil || !strings.Contains(string(b), "\tCx\t") {
		t.Fatalf("ssl.log should hold the open connection's row: %v %q", err, b)
	}
	if _, err := os.Stat(filepath.Join(out, "conn.log")); err == nil {
		t.Error("an event after the abort was logged")
	}
	checkWholeLines(t, out, true)
}

// Compressed captures, on files and on standard input, give the logs of the plain capture.
func TestCompressedInputs(t *testing.T) {
	sample := filepath.Join("..", "..", "testdata", "sample.pcap")
	logs := func(t *testing.T, out string) map[string]string {
		t.Helper()
		m := map[string]string{}
		for _, name := range outputNames() {
			if b, err := os.ReadFile(filepath.Join(out, name)); err == nil {
				m[name] = string(b)
			}
		}
		return m
	}
	args := []string{"--json", "--events", "--no-progress"}
	plainOut := t.TempDir()
	if code, _, stderr := runCLI(t, append([]string{"-r", sample, "-o", plainOut}, args...)...); code != exitOK {
		t.Fatalf("plain: exit %d %s", code, stderr)
	}
	want := logs(t, plainOut)
	if want["ssl.log"] == "" || want["x509.log"] == "" || want[eventsFile] == "" {
		t.Fatalf("the plain sample gave no SSL output: %v", want)
	}
	for _, ext := range []string{".zst", ".xz", ".bz2"} {
		out := t.TempDir()
		code, _, stderr := runCLI(t, append([]string{"-r", sample + ext, "-o", out}, args...)...)
		if code != exitOK {
			t.Errorf("%s: exit %d %s", ext, code, stderr)
			continue
		}
		if got := logs(t, out); !sameLogs(got, want) {
			t.Errorf("%s: logs differ from the plain capture's", ext)
		}
	}
	// Standard input, zstd.
	out := t.TempDir()
	cmd := command(t, append([]string{"-r", "-", "-o", out}, args...)...)
	f, err := os.Open(sample + ".zst")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cmd.Stdin = f
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("stdin: %v %s", err, b)
	}
	if got := logs(t, out); !sameLogs(got, want) {
		t.Errorf("stdin zstd: logs differ from the plain capture's")
	}
}

// sameLogs compares two runs' logs; conn.log rows are compared without uid (the uids of a
// run differ), the others as they are.
func sameLogs(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	uid := regexp.MustCompile(`"uid":"C[0-9A-Za-z]+"`)
	for k, v := range a {
		if uid.ReplaceAllString(v, "") != uid.ReplaceAllString(b[k], "") {
			return false
		}
	}
	return true
}

// Bad inputs: exit 1 and one error naming the file and saying what is wrong.
func TestBadInputs(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.pcap")
	os.WriteFile(empty, nil, 0o644)
	junk := filepath.Join(dir, "junk.pcap")
	os.WriteFile(junk, []byte("this is not a capture file at all"), 0o644)
	for _, c := range []struct {
		in, want string
	}{
		{dir, dir + ": is a directory, not a capture file"},
		{filepath.Join(dir, "missing.pcap"), "no such file or directory"},
		{empty, empty + ": truncated capture file: file too short (0 bytes)"},
		{junk, junk + ": unknown capture file format (bad magic)"},
	} {
		code, _, stderr := runCLI(t, "-r", c.in, "-o", t.TempDir(), "--no-progress")
		lines := errorLines(stderr)
		if code != exitRuntime || len(lines) != 1 || !strings.Contains(lines[0], c.want) {
			t.Errorf("-r %s: exit %d, stderr %q; want %d and one error with %q", c.in, code, stderr, exitRuntime, c.want)
		}
	}
}

// -q silences the summary; errors are still printed.
func TestQuiet(t *testing.T) {
	code, _, stderr := runCLI(t, "-q", "-r", twoUDP(t, false), "-o", t.TempDir())
	if code != exitOK || stderr != "" {
		t.Errorf("-q: exit %d, stderr %q", code, stderr)
	}
	code, _, stderr = runCLI(t, "-q", "-r", twoUDP(t, true), "-o", t.TempDir())
	if code != exitRuntime || !strings.Contains(stderr, "packet 2") || strings.Contains(stderr, "packets=") {
		t.Errorf("-q with an error: exit %d, stderr %q", code, stderr)
	}
}

// Every line of events.jsonl carries the connection's uid, the one conn.log and ssl.log have.
func TestEventsUID(t *testing.T) {
	sample := filepath.Join("..", "..", "testdata", "sample.pcap")
	out := t.TempDir()
	if code, _, stderr := runCLI(t, "-r", sample, "-o", out, "--json", "--events", "--no-progress"); code != exitOK {
		t.Fatalf("exit %d %s", code, stderr)
	}
	uids := map[string]bool{}
	for _, r := range readJSONLines(t, filepath.Join(out, "ssl.log")) {
		uids[r["uid"].(string)] = true
	}
	ev := readJSONLines(t, filepath.Join(out, eventsFile))
	seen := map[string]bool{}
	for _, e := range ev {
		u, _ := e["uid"].(string)
		if !uids[u] {
			t.Fatalf("event line with uid %q not in ssl.log: %v", u, e)
		}
		seen[u] = true
	}
	if len(seen) != len(uids) {
		t.Errorf("events name %d connections, ssl.log %d", len(seen), len(uids))
	}
}

// --events-text writes printable strings as text, the rest as hex; the default stays hex.
func TestEventsText(t *testing.T) {
	sample := filepath.Join("..", "..", "testdata", "sample.pcap")
	var names [2]map[string]bool
	for i, extra := range [][]string{nil, {"--events-text"}} {
		out := t.TempDir()
		args := append([]string{"-r", sample, "-o", out, "--events", "--no-progress"}, extra...)
		if code, _, stderr := runCLI(t, args...); code != exitOK {
			t.Fatalf("exit %d %s", code, stderr)
		}
		names[i] = map[string]bool{}
		for _, e := range readJSONLines(t, filepath.Join(out, eventsFile)) {
			args := e["args"].(map[string]any)
			if e["event"] == "ssl_extension_server_name" {
				for _, n := range args["names"].([]any) {
					names[i][n.(string)] = true
				}
			}
			if r, ok := args["client_random"].(string); ok && i == 1 && !regexp.MustCompile(`^([0-9a-f]{2})+$`).MatchString(r) {
				t.Errorf("--events-text: a binary client_random is not hex: %q", r)
			}
		}
	}
	if !names[0][hexOf("www.example.com")] || !names[1]["www.example.com"] {
		t.Errorf("server names: canonical %v, text %v", names[0], names[1])
	}
}

func hexOf(s string) string {
	const digits = "0123456789abcdef"
	var b []byte
	for i := 0; i < len(s); i++ {
		b = append(b, digits[s[i]>>4], digits[s[i]&15])
	}
	return string(b)
}

func TestAppendTextArgs(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`,"id":{"orig_h":"1.2.3.4"},"args":{"names":["6869","00ff"],"x":1}}`,
			`,"id":{"orig_h":"1.2.3.4"},"args":{"names":["hi","00ff"],"x":1}}`},
		{`,"args":{"v":"22","w":"5c","e":""}}`, `,"args":{"v":"\"","w":"\\","e":""}}`},
		{`,"args":{"bad":"c328","ctl":"0a"}}`, `,"args":{"bad":"c328","ctl":"0a"}}`},
	} {
		if got := string(appendTextArgs(nil, []byte(c.in))); got != c.want {
			t.Errorf("appendTextArgs(%s) = %s, want %s", c.in, got, c.want)
		}
	}
}

// The summary says where the logs went and what was found.
func TestSummary(t *testing.T) {
	sample := filepath.Join("..", "..", "testdata", "sample.pcap")
	out := t.TempDir()
	code, _, stderr := runCLI(t, "-r", sample, "-o", out, "--no-progress")
	if code != exitOK {
		t.Fatalf("exit %d %s", code, stderr)
	}
	first := strings.SplitN(stderr, "\n", 2)[0]
	for _, want := range []string{"4 connections", "4 TLS, 0 DTLS, 0 QUIC", "certificates", "0 caps hit", "logs in " + out + ": x509.log, ssl.log, conn.log"} {
		if !strings.Contains(first, want) {
			t.Errorf("summary %q lacks %q", first, want)
		}
	}
}

// The progress line of a file shows the share read, the rate and the time left.
func TestProgressLine(t *testing.T) {
	var buf bytes.Buffer
	start := time.Now().Add(-10 * time.Second)
	c := newCountingReader(&frames{n: progressEvery, size: 10}, start)
	c.progress = &buf
	c.last = start
	c.size = 1000
	c.position = func() int64 { return 250 }
	var f capture.Frame
	for c.Next(&f) == nil {
	}
	line := buf.String()
	for _, want := range []string{"25% of 1.0 kB read", "B/s", "0:30 left", "x.pcap packet 1"} {
		if !strings.Contains(line, want) {
			t.Errorf("progress %q lacks %q", line, want)
		}
	}
}

// The help lists every flag, every output file and the exit statuses.
func TestHelpComplete(t *testing.T) {
	code, stdout, _ := runCLI(t, "--help")
	if code != exitOK {
		t.Fatal(code)
	}
	fs := []string{"-r FILE", "-o DIR", "--json", "--events", "--events-text", "--analyze-encrypted", "--verify-checksums",
		"-q", "--no-progress", "--version", "--memstats", "--cpuprofile", "--memprofile", "--trace"}
	for _, name := range outputNames() {
		fs = append(fs, name)
	}
	fs = append(fs, "130", "143", "  1 ", "  2 ", "  0 ", "zstd", "bzip2", "xz")
	for _, want := range fs {
		if !strings.Contains(stdout, want) {
			t.Errorf("--help lacks %q", want)
		}
	}
	// README lists the same exit statuses.
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"130", "143", "--verify-checksums", "--events-text", "-q"} {
		if !bytes.Contains(readme, []byte(want)) {
			t.Errorf("README lacks %q", want)
		}
	}
}

// A link type the decoder does not know names itself, once per file.
func TestUnknownLinkType(t *testing.T) {
	b := pcapBytes([]pcapRecord{
		{ts: 1_700_000_000_000_000, data: []byte("not an IP packet at all")},
		{ts: 1_700_000_000_000_001, data: []byte("nor this one")},
	})
	b[20] = 119 // LINKTYPE_IEEE802_11_PRISM: not one Zeek's root packet analyzer decodes
	in := filepath.Join(t.TempDir(), "prism.pcap")
	os.WriteFile(in, b, 0o644)
	code, _, stderr := runCLI(t, "-r", in, "-o", t.TempDir(), "--no-progress")
	if code != exitOK || strings.Count(stderr, "link type IEEE802_11_PRISM (119) is not decoded") != 1 {
		t.Errorf("exit %d, stderr %q: want one warning naming link type 119", code, stderr)
	}
}
