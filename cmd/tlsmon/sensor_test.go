package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tlsmon/tlsmon"
	"github.com/tlsmon/tlsmon/engine"
	"github.com/tlsmon/tlsmon/live"
	"github.com/tlsmon/tlsmon/zeeklog"
)

// The sensor's flags: usage errors (exit 2) name the problem; a bad filter is one.
func TestSensorFlags(t *testing.T) {
	cases := []struct {
		args     []string
		code     int
		done     bool
		inStderr string
	}{
		{[]string{"-i", "eth0", "-r", "a.pcap"}, exitUsage, true, "cannot be combined"},
		{[]string{"-r", "a.pcap", "-f", "tcp and"}, exitUsage, true, `-f: filter "tcp and": expression ends after "and"`},
		{[]string{"-i", "eth0", "-f", "vlan 10"}, exitUsage, true, `"vlan" is not supported`},
		{[]string{"-i", "eth0", "-f", "host example.com"}, exitUsage, true, "host names are not resolved"},
		{[]string{"-i", "eth0", "--rotate", "10ms"}, exitUsage, true, "at least 1s"},
		{[]string{"-i", "eth0", "--af-packet-fanout-id", "70000"}, exitUsage, true, "at most 65535"},
		{[]string{"-i", ""}, exitUsage, true, "empty interface"},
		{[]string{"-i", "eth0", "--af-packet-fanout-mode", "rr"}, exitUsage, true, `fanout mode "rr"`},
		{[]string{"-i", "eth0", "--af-packet-block-size", "5000"}, exitUsage, true, "multiple of 4096"},
		{[]string{"-r", "a.pcap", "--rotate", "1h"}, exitUsage, true, "apply to live capture"},
		{[]string{"-r", "a.pcap", "--metrics", ":9100"}, exitUsage, true, "apply to live capture"},
		{[]string{"-i", "eth0", "-f", "tcp port 443", "--rotate", "1h", "--metrics", ":9100"}, exitOK, false, ""},
		{[]string{"-r", "a.pcap", "-f", "port 443"}, exitOK, false, ""},
		{[]string{"-i", "eth0", "--workers", "2"}, exitOK, false, ""},
		{[]string{"-i", "eth0", "--workers", "2", "--af-packet-no-fanout"}, exitUsage, true, "needs the fanout group"},
		{[]string{"-i", "eth0", "--workers", "1", "--logs", "ssl,stats,capture_loss"}, exitOK, false, ""},
		{[]string{"-r", "a.pcap", "--logs", "stats"}, exitUsage, true, `unknown log "stats"`},
	}
	for _, c := range cases {
		var o, e bytes.Buffer
		_, code, done := parseArgs(c.args, &o, &e)
		if code != c.code || done != c.done || !strings.Contains(e.String(), c.inStderr) {
			t.Errorf("%q: code %d done %v stderr %q; want %d %v and %q", c.args, code, done, e.String(), c.code, c.done, c.inStderr)
		}
	}
	var o, e bytes.Buffer
	cfg, _, _ := parseArgs([]string{"-i", "eth0", "-i", "eth1"}, &o, &e)
	l := cfg.sensor.live
	if len(l.Interfaces) != 2 || l.BufferSize != 128<<20 || l.BlockSize != 32<<10 || l.FanoutID != 23 ||
		l.NoFanout || !l.Defrag || l.NoPromisc || cfg.sensor.statsInterval != 5*time.Minute {
		t.Errorf("defaults: %+v", cfg.sensor)
	}
}

// -f on files: the same BPF program run in user space keeps only the matching packets;
// the exit status of a bad one is 2 and nothing is read.
func TestFilterOnFiles(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in.pcap")
	var recs []pcapRecord
	for i := range 6 {
		recs = append(recs, pcapRecord{ts: 1_700_000_000_000_000 + int64(i)*1000,
			data: udpPacket(hostA, hostB, uint16(40000+i), uint16(5353+i%2), []byte("q"))})
	}
	writePcap(t, in, recs)
	count := func(args ...string) int {
		out := filepath.Join(dir, strings.Join(args, "_"))
		if code := run(append([]string{"-q", "-r", in, "-o", out}, args...), io.Discard, io.Discard); code != 0 {
			t.Fatalf("%v: exit %d", args, code)
		}
		b, _ := os.ReadFile(filepath.Join(out, "conn.log"))
		n := 0
		for _, l := range strings.Split(string(b), "\n") {
			if l != "" && l[0] != '#' {
				n++
			}
		}
		return n
	}
	if n := count(); n != 6 {
		t.Fatalf("no filter: %d conn.log rows, want 6", n)
	}
	if n := count("-f", "udp dst port 5354"); n != 3 {
		t.Errorf("-f 'udp dst port 5354': %d rows, want 3", n)
	}
	if n := count("-f", "tcp"); n != 0 {
		t.Errorf("-f tcp: %d rows, want 0", n)
	}
	var e bytes.Buffer
	if code := run([]string{"-r", in, "-o", filepath.Join(dir, "bad"), "-f", "udp or"}, io.Discard, &e); code != exitUsage {
		t.Errorf("bad filter: exit %d (%s), want 2", code, e.String())
	}
	if _, err := os.Stat(filepath.Join(dir, "bad")); err == nil {
		t.Error("bad filter: the output directory was created")
	}
}

// Rotated logs are named as Zeek names them: PATH.YYYY-MM-DD-HH-MM-SS.log, the file's open
// time in local time.
func TestRotatedName(t *testing.T) {
	ts := time.Date(2026, 12, 7, 4, 0, 5, 0, time.Local).UnixMicro()
	if got := rotatedName("/logs/ssl.log", ts); got != "/logs/ssl.2026-12-07-04-00-05.log" {
		t.Errorf("rotatedName: %s", got)
	}
}

var rotatedRE = regexp.MustCompile(`^conn\.\d{4}-\d\d-\d\d-\d\d-\d\d-\d\d\.log$`)

// Rotation without traffic between: a log with no row since the last rotation is not
// renamed; one with rows is, with its #close, and the new file starts with a header.
func TestRotateOutputs(t *testing.T) {
	dir := t.TempDir()
	// live mode (-i): only there are logs rotated
	o, err := openOutputs(config{outDir: dir, sensor: sensorConfig{ifaces: []string{"lo"}}}, func(error) {})
	if err != nil {
		t.Fatal(err)
	}
	conn := o.rots[len(o.rots)-1]
	for _, r := range o.rots {
		if r.name == "conn" {
			conn = r
		}
	}
	vals := make([]zeeklog.Value, len(zeeklog.Logs()[0].Columns))
	for _, spec := range zeeklog.Logs() {
		if spec.Path == "conn" {
			vals = make([]zeeklog.Value, len(spec.Columns))
		}
	}
	if err := conn.Write(vals); err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	o.rotate(t0)
	o.rotate(t0.Add(time.Second)) // nothing written since: nothing to rename
	if err := conn.Write(vals); err != nil {
		t.Fatal(err)
	}
	if err := o.Close(); err != nil {
		t.Fatal(err)
	}
	ents, _ := os.ReadDir(dir)
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	if len(names) != 2 || names[1] != "conn.log" || !rotatedRE.MatchString(names[0]) {
		t.Fatalf("files %v, want conn.log and one rotated conn log", names)
	}
	for _, n := range names {
		b, _ := os.ReadFile(filepath.Join(dir, n))
		s := string(b)
		if !strings.HasPrefix(s, "#separator") || !strings.Contains(s, "\n#close\t") || strings.Count(s, "\n#fields") != 1 {
			t.Errorf("%s is not one whole log:\n%s", n, s)
		}
	}
	if got := o.rowCounts()["conn"]; got != 2 {
		t.Errorf("conn rows counted: %d, want 2", got)
	}
}

// The metrics collector reports the published snapshot.
func TestMetricsCollect(t *testing.T) {
	m := newSensorMetrics(2)
	st := engine.Stats{Packets: 10, Bytes: 1000, Connections: 3, Active: 1, CapHits: map[string]uint64{"frag_bytes": 2}}
	m.workers[0].publish(st, []live.Stats{{Interface: "eth0", Received: 10, Drops: 4, Kernel: 14}})
	m.workers[1].HandleEvent(&tlsmon.NewConnection{})
	m.workers[1].publish(engine.Stats{Packets: 7}, []live.Stats{{Interface: "eth0", Received: 7, Drops: 1, Kernel: 8}})
	m.publishRows(map[string]uint64{"conn": 3})
	body := collectText(t, m)
	for _, want := range []string{
		`tlsmon_packets_total{worker="0"} 10`,
		`tlsmon_connections_active{worker="0"} 1`,
		`tlsmon_kernel_drops_total{interface="eth0",worker="0"} 4`,
		`tlsmon_cap_hits_total{cap="frag_bytes",worker="0"} 2`,
		`tlsmon_packets_total{worker="1"} 7`,
		`tlsmon_kernel_drops_total{interface="eth0",worker="1"} 1`,
		`tlsmon_events_total{event="new_connection",worker="1"} 1`,
		`tlsmon_log_rows_total{log="conn"} 3`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("no %q in\n%s", want, body)
		}
	}
}

// Live outputs are main's outputs: with -o - the health logs stream to stdout like the other
// logs and rotation (files only) leaves the stream alone; with files, --logs selects the
// health logs by name and rotation renames the file written.
func TestHealthLogsFollowOutputs(t *testing.T) {
	var stdout, stderr bytes.Buffer
	cfg, code, done := parseArgs([]string{"-i", "lo", "-o", "-"}, &stdout, &stderr)
	if done || code != exitOK {
		t.Fatalf("parseArgs: %d %q", code, stderr.String())
	}
	o, err := openOutputs(cfg, func(error) {})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	h := newHealthLogs(o)
	m := newSensorMetrics(1).workers[0]
	mark := healthMark{ts: now}
	h.write(peerDescription, &mark, now.Add(time.Second), engine.Stats{Packets: 5, AckEvents: 4, GapEvents: 1}, nil, m, 0)
	o.rotate(now.Add(2 * time.Second))
	h.write(peerDescription, &mark, now.Add(3*time.Second), engine.Stats{Packets: 7, AckEvents: 4, GapEvents: 1}, nil, m, 0)
	if err := o.Close(); err != nil {
		t.Fatal(err)
	}
	out := stdout.String()
	if n := strings.Count(out, `"_path":"stats"`); n != 2 {
		t.Errorf("stats rows on stdout: %d, want 2:\n%s", n, out)
	}
	if strings.Contains(out, `"_write_ts":0.0`) { // live network time follows the wall clock
		t.Errorf("health rows written at network time 0:\n%s", out)
	}
	if !strings.Contains(out, `"_path":"capture_loss"`) || !strings.Contains(out, `"percent_lost":25.0`) {
		t.Errorf("capture_loss row missing or wrong on stdout:\n%s", out)
	}

	dir := t.TempDir()
	cfg, code, done = parseArgs([]string{"-i", "lo", "-o", dir, "--logs", "conn,stats"}, &stdout, &stderr)
	if done || code != exitOK {
		t.Fatalf("parseArgs: %d %q", code, stderr.String())
	}
	if o, err = openOutputs(cfg, func(error) {}); err != nil {
		t.Fatal(err)
	}
	h = newHealthLogs(o)
	mark = healthMark{ts: now}
	h.write(peerDescription, &mark, now.Add(time.Second), engine.Stats{}, nil, m, 0)
	o.rotate(now.Add(2 * time.Second))
	h.write(peerDescription, &mark, now.Add(3*time.Second), engine.Stats{}, nil, m, 0)
	if err := o.Close(); err != nil {
		t.Fatal(err)
	}
	ents, _ := os.ReadDir(dir)
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	if len(names) != 2 || names[1] != "stats.log" || !strings.HasPrefix(names[0], "stats.") {
		t.Fatalf("files %v, want stats.log and one rotated stats log (no capture_loss.log)", names)
	}
}

// Worker 0 draws the run's uids (one worker live = the run without workers); the others
// draw from seeds of their own, for every run seed.
func TestWorkerSeed(t *testing.T) {
	for _, seed := range []uint64{0, 1, 0xdeadbeef, ^uint64(0)} {
		if workerSeed(seed, 0) != seed {
			t.Errorf("seed %#x: worker 0 draws from %#x", seed, workerSeed(seed, 0))
		}
		seen := map[uint64]int{}
		for w := range 64 {
			s := workerSeed(seed, w)
			if prev, ok := seen[s]; ok {
				t.Errorf("seed %#x: workers %d and %d share the seed %#x", seed, prev, w, s)
			}
			seen[s] = w
		}
	}
}
