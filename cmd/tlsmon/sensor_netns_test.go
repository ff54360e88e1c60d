//go:build linux

package main

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tlsmon/tlsmon/internal/corpus"
	"github.com/tlsmon/tlsmon/internal/testgen"
)

// The live tests replay captures with tcpreplay onto one end of a veth pair whose other
// end tlsmon -i captures, in a network namespace of their own. They need root (or
// CAP_NET_ADMIN for the namespace and CAP_NET_RAW), iproute2 and tcpreplay; they run under CI=true (where
// .ci/run installs tcpreplay, and where they must not skip when run as root) or when
// TLSMON_NETNS=1 asks for them.

// vethPair is a namespace holding the sending end of a veth pair; recv is the capturing
// end, in the test's namespace.
type vethPair struct {
	ns, send, recv string
}

var vethSeq int

func liveTestsWanted(t *testing.T) {
	t.Helper()
	if os.Getenv("CI") != "true" && os.Getenv("TLSMON_NETNS") != "1" {
		t.Skip("live capture tests run under CI=true or with TLSMON_NETNS=1 (they need root, iproute2 and tcpreplay)")
	}
	if testing.Short() {
		t.Skip("live capture tests skipped with -short")
	}
}

// mustOrSkip skips with why, unless CI runs as root: there the live tests must run.
func mustOrSkip(t *testing.T, why string) {
	t.Helper()
	if os.Getenv("CI") == "true" && os.Geteuid() == 0 {
		t.Fatalf("%s (CI runs as root: the live tests must run)", why)
	}
	t.Skip(why)
}

func newVeth(t *testing.T) *vethPair {
	t.Helper()
	liveTestsWanted(t)
	if _, err := exec.LookPath("tcpreplay"); err != nil {
		mustOrSkip(t, "tcpreplay not installed (apt-get install tcpreplay)")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		mustOrSkip(t, "ip (iproute2) not installed")
	}
	vethSeq++
	id := fmt.Sprintf("%d%d", os.Getpid()%100000, vethSeq)
	v := &vethPair{ns: "tlsmon-t" + id, send: "tms" + id, recv: "tmr" + id}
	if out, err := exec.Command("ip", "netns", "add", v.ns).CombinedOutput(); err != nil {
		mustOrSkip(t, fmt.Sprintf("network namespaces not permitted here (ip netns add: %v: %s)", err, bytes.TrimSpace(out)))
	}
	t.Cleanup(func() {
		exec.Command("ip", "link", "del", v.recv).Run()
		exec.Command("ip", "netns", "del", v.ns).Run()
	})
	// IPv6 off on both ends before they come up: no router solicitations or MLD reports
	// mixed into the replayed traffic. A large MTU lets captured jumbo frames through.
	steps := [][]string{
		{"ip", "link", "add", v.recv, "mtu", "9000", "type", "veth", "peer", "name", v.send, "mtu", "9000"},
		{"ip", "link", "set", v.send, "netns", v.ns},
		noIPv6(v.recv),
		append([]string{"ip", "netns", "exec", v.ns}, noIPv6(v.send)...),
		{"ip", "link", "set", v.recv, "up"},
		{"ip", "netns", "exec", v.ns, "ip", "link", "set", v.send, "up"},
	}
	for _, s := range steps {
		if out, err := exec.Command(s[0], s[1:]...).CombinedOutput(); err != nil {
			mustOrSkip(t, fmt.Sprintf("setting up the veth pair: %v: %v: %s", s, err, bytes.TrimSpace(out)))
		}
	}
	return v
}

// noIPv6 is the command that turns IPv6 off on iface (nothing to do where IPv6 is absent).
func noIPv6(iface string) []string {
	p := "/proc/sys/net/ipv6/conf/" + iface + "/disable_ipv6"
	return []string{"sh", "-c", "[ ! -e " + p + " ] || echo 1 > " + p}
}

// replay sends a capture from the namespace's end; extra are tcpreplay options (speed).
func (v *vethPair) replay(t *testing.T, pcap string, extra ...string) {
	t.Helper()
	args := append([]string{"netns", "exec", v.ns, "tcpreplay", "-q", "-i", v.send}, extra...)
	if len(extra) == 0 {
		args = append(args, "--topspeed")
	}
	args = append(args, pcap)
	if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
		t.Fatalf("tcpreplay %s: %v: %s", pcap, err, out)
	}
}

// sensor is a running tlsmon -i.
type sensor struct {
	cmd    *exec.Cmd
	stderr *bytes.Buffer
	done   chan error
	dir    string
}

// startSensor runs tlsmon -i v.recv -o dir args... and waits until it captures.
func startSensor(t *testing.T, v *vethPair, dir string, args ...string) *sensor {
	t.Helper()
	all := append([]string{"-i", v.recv, "-o", dir}, args...)
	cmd := command(t, all...)
	pr, pw := io.Pipe()
	cmd.Stderr = pw
	s := &sensor{cmd: cmd, stderr: &bytes.Buffer{}, done: make(chan error, 1), dir: dir}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(pr)
		said := false
		for sc.Scan() {
			s.stderr.WriteString(sc.Text() + "\n")
			if !said && strings.Contains(sc.Text(), "capturing on") {
				said = true
				close(ready)
			}
		}
	}()
	go func() { err := cmd.Wait(); pw.Close(); s.done <- err }()
	select {
	case <-ready:
	case err := <-s.done:
		t.Fatalf("tlsmon -i exited before capturing: %v\n%s", err, s.stderr)
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("tlsmon -i did not start capturing\n%s", s.stderr)
	}
	t.Cleanup(func() { cmd.Process.Kill() })
	return s
}

// stop sends SIGTERM and waits for a clean exit (status 0: a sensor's normal end).
func (s *sensor) stop(t *testing.T) {
	t.Helper()
	time.Sleep(300 * time.Millisecond) // the last replayed packets reach the ring
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-s.done:
		if err != nil {
			t.Fatalf("tlsmon -i after SIGTERM: %v\n%s", err, s.stderr)
		}
	case <-time.After(20 * time.Second):
		s.cmd.Process.Kill()
		t.Fatalf("tlsmon -i did not stop after SIGTERM\n%s", s.stderr)
	}
}

// offline runs tlsmon -r on the capture into a new directory.
func offline(t *testing.T, pcap string, args ...string) string {
	t.Helper()
	dir := t.TempDir()
	if code := run(append([]string{"-q", "-r", pcap, "-o", dir}, args...), io.Discard, io.Discard); code != 0 {
		t.Fatalf("tlsmon -r %s: exit %d", pcap, code)
	}
	return dir
}

// timeless are the columns that differ between a live replay and the capture file: times,
// durations, and uids (drawn at random).
var timeless = map[string]bool{"ts": true, "uid": true, "duration": true}

// rows returns the data rows of a TSV log with the timeless columns removed, sorted; a
// missing file has none.
func rows(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var keep []int
	var out []string
	for _, line := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
		if f, ok := strings.CutPrefix(line, "#fields\t"); ok {
			keep = keep[:0]
			for i, name := range strings.Split(f, "\t") {
				if !timeless[name] {
					keep = append(keep, i)
				}
			}
		}
		if line == "" || line[0] == '#' {
			continue
		}
		cols := strings.Split(line, "\t")
		var kept []string
		for _, i := range keep {
			if i < len(cols) {
				kept = append(kept, cols[i])
			}
		}
		out = append(out, strings.Join(kept, "\t"))
	}
	sort.Strings(out)
	return out
}

func sameRows(t *testing.T, what string, got, want []string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("%s: live rows differ from the file run\nlive:\n%s\nfile:\n%s", what, strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// isEthernet reports whether a classic pcap file has link type Ethernet (tcpreplay sends
// Ethernet frames).
func isEthernet(path string) bool {
	b := make([]byte, 24)
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	if _, err := io.ReadFull(f, b); err != nil {
		return false
	}
	switch string(b[:4]) {
	case "\xd4\xc3\xb2\xa1", "\x4d\x3c\xb2\xa1":
		return b[20] == 1 && b[21] == 0
	case "\xa1\xb2\xc3\xd4", "\xa1\xb2\x3c\x4d":
		return b[23] == 1 && b[22] == 0
	}
	return false
}

// Corpus captures replayed onto the veth give the same ssl.log, x509.log and conn.log as
// the file run (uids and times aside); SIGTERM ends the sensor with every row written.
func TestLiveCorpus(t *testing.T) {
	v := newVeth(t)
	dir := corpus.Dir(t)
	var picked []string
	for _, c := range corpus.Index(t, dir, "tcp", "udp", "starttls", "quic") {
		p := filepath.Join(dir, "pcaps", c.File)
		if strings.HasSuffix(p, ".pcap") && isEthernet(p) {
			picked = append(picked, p)
		}
	}
	if len(picked) == 0 {
		t.Fatal("no Ethernet capture in the corpus")
	}
	// A spread of them: the CI time of each is about half a second.
	const want = 10
	if len(picked) > want {
		step := len(picked) / want
		var s []string
		for i := 0; i < len(picked) && len(s) < want; i += step {
			s = append(s, picked[i])
		}
		picked = s
	}
	// And one with 802.1ad/802.1Q tags: the kernel takes them off the frame and the source
	// puts them back, as libpcap does.
	if q := filepath.Join(dir, "pcaps", "pppoe-over-qinq.pcap"); isEthernet(q) {
		picked = append(picked, q)
	}
	// With two workers (two sockets in the interface's fanout group, an engine each) the
	// rows are the same: a connection split between the workers would show as two rows
	// of halves, one counted twice as two. Each worker's stats.log rows count its packets:
	// over the captures, both must have had some.
	for _, workers := range []int{1, 2} {
		perWorker := map[string]float64{}
		t.Run(fmt.Sprintf("workers=%d", workers), func(t *testing.T) {
			for _, p := range picked {
				t.Run(filepath.Base(p), func(t *testing.T) {
					live := t.TempDir()
					var args []string
					if workers > 1 {
						args = []string{"--workers", strconv.Itoa(workers), "--stats-interval", "1h"}
					}
					s := startSensor(t, v, live, args...)
					v.replay(t, p)
					s.stop(t)
					off := offline(t, p)
					if len(rows(t, filepath.Join(off, "conn.log"))) == 0 {
						t.Fatal("the file run wrote no conn.log row: nothing to compare")
					}
					for _, log := range []string{"ssl.log", "x509.log", "conn.log"} {
						sameRows(t, log, rows(t, filepath.Join(live, log)), rows(t, filepath.Join(off, log)))
					}
					checkWholeLines(t, live, true)
					uniqueUIDs(t, filepath.Join(live, "conn.log"))
					for peer, n := range byPeer(t, filepath.Join(live, "stats.log"), "pkts_proc") {
						perWorker[peer] += n
					}
				})
			}
		})
		if workers > 1 && (len(perWorker) != workers || perWorker["worker-0"] == 0 || perWorker["worker-1"] == 0) {
			t.Errorf("%d workers: packets by worker over all captures %v: want both workers to get some", workers, perWorker)
		}
	}
}

// withWorkers runs a live test with one worker and with two (--workers 2: two sockets in
// the fanout group, an engine each).
func withWorkers(t *testing.T, test func(t *testing.T, workers []string)) {
	t.Run("workers=1", func(t *testing.T) { test(t, nil) })
	t.Run("workers=2", func(t *testing.T) { test(t, []string{"--workers", "2"}) })
}

// uniqueUIDs fails if two conn.log rows share a uid (workers draw from different sequences).
func uniqueUIDs(t *testing.T, path string) {
	t.Helper()
	seen := map[string]bool{}
	for _, r := range tsvColumn(t, path, "uid") {
		if seen[r] {
			t.Errorf("%s: uid %s on two rows", filepath.Base(path), r)
		}
		seen[r] = true
	}
}

// tsvColumn returns a column of a TSV log's data rows (none for a missing file).
func tsvColumn(t *testing.T, path, col string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	idx := -1
	var out []string
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if f, ok := strings.CutPrefix(line, "#fields\t"); ok {
			idx = slices.Index(strings.Split(f, "\t"), col)
		}
		if line == "" || line[0] == '#' || idx < 0 {
			continue
		}
		if cols := strings.Split(line, "\t"); idx < len(cols) {
			out = append(out, cols[idx])
		}
	}
	return out
}

// byPeer adds up a count column of stats.log or capture_loss.log by peer (worker).
func byPeer(t *testing.T, path, col string) map[string]float64 {
	t.Helper()
	peers, vals := tsvColumn(t, path, "peer"), tsvColumn(t, path, col)
	if len(peers) != len(vals) {
		t.Fatalf("%s: %d peers, %d %s values", path, len(peers), len(vals), col)
	}
	m := map[string]float64{}
	for i, p := range peers {
		v, err := strconv.ParseFloat(vals[i], 64)
		if err != nil {
			t.Fatalf("%s: %s: %v", filepath.Base(path), col, err)
		}
		m[p] += v
	}
	return m
}

// Several interfaces × several workers: two veth pairs captured by one tlsmon with two
// workers (each interface its own fanout group, each worker a socket on both). Every
// connection is written once and whole, as the file runs of the two captures write them;
// uids are unique; each worker's health rows and metrics count its own share, and both
// workers got connections on each interface; SIGTERM exits 0 with the logs closed.
func TestLiveWorkersInterfaces(t *testing.T) {
	a, b := newVeth(t), newVeth(t)
	tlsPcap := filepath.Join(t.TempDir(), "tls.pcap")
	writeMany(t, tlsPcap, 40)
	udpPcap := filepath.Join(t.TempDir(), "udp.pcap")
	if err := os.WriteFile(udpPcap, manyUDP(40), 0o644); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	live := t.TempDir()
	id := strconv.Itoa(1000 + (os.Getpid()+7)%60000)
	s := startSensor(t, a, live, "-i", b.recv, "--workers", "2", "--af-packet-fanout-id", id,
		"--stats-interval", "1h", "--metrics", addr)
	a.replay(t, tlsPcap)
	b.replay(t, udpPcap)
	var m map[string]float64
	deadline := time.Now().Add(10 * time.Second)
	for {
		m = parseMetrics(scrape(t, "http://"+addr+"/metrics"))
		if m[`tlsmon_connections_total{worker="0"}`]+m[`tlsmon_connections_total{worker="1"}`] == 80 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("metrics never counted the 80 connections: %v", m)
		}
		time.Sleep(200 * time.Millisecond)
	}
	s.stop(t)
	offA, offB := offline(t, tlsPcap), offline(t, udpPcap)
	for _, log := range []string{"conn.log", "ssl.log", "x509.log"} {
		want := append(rows(t, filepath.Join(offA, log)), rows(t, filepath.Join(offB, log))...)
		sort.Strings(want)
		sameRows(t, log+" of two interfaces, two workers", rows(t, filepath.Join(live, log)), want)
	}
	uniqueUIDs(t, filepath.Join(live, "conn.log"))
	checkWholeLines(t, live, true)
	for _, w := range []string{"0", "1"} {
		for _, iface := range []string{a.recv, b.recv} {
			if m[`tlsmon_interface_packets_total{interface="`+iface+`",worker="`+w+`"}`] == 0 {
				t.Errorf("worker %s read nothing from %s: the fanout group did not share it out", w, iface)
			}
			if d := m[`tlsmon_kernel_drops_total{interface="`+iface+`",worker="`+w+`"}`]; d != 0 {
				t.Errorf("worker %s, %s: %v kernel drops on a 40-connection replay", w, iface, d)
			}
		}
	}
	tcp, udp := byPeer(t, filepath.Join(live, "stats.log"), "tcp_conns"), byPeer(t, filepath.Join(live, "stats.log"), "udp_conns")
	for _, p := range []string{"worker-0", "worker-1"} {
		if tcp[p] == 0 || udp[p] == 0 {
			t.Errorf("stats.log, %s: %v TCP and %v UDP connections: want some of each", p, tcp[p], udp[p])
		}
	}
	if tcp["worker-0"]+tcp["worker-1"] != 40 || udp["worker-0"]+udp["worker-1"] != 40 {
		t.Errorf("stats.log: TCP %v, UDP %v connections by worker; want 40 of each in all", tcp, udp)
	}
	if len(byPeer(t, filepath.Join(live, "capture_loss.log"), "acks")) != 2 {
		t.Errorf("capture_loss.log: want one row per worker")
	}
}

// -f selects the same packets live (kernel BPF) and on files (user-space BPF).
func TestLiveFilter(t *testing.T) {
	v := newVeth(t)
	pcap := filepath.Join(t.TempDir(), "two.pcap")
	writeMany(t, pcap, 6)
	const expr = "tcp and not src port 40001 and not dst port 40001"
	live := t.TempDir()
	s := startSensor(t, v, live, "-f", expr)
	v.replay(t, pcap)
	s.stop(t)
	all := rows(t, filepath.Join(offline(t, pcap), "conn.log"))
	filtered := rows(t, filepath.Join(offline(t, pcap, "-f", expr), "conn.log"))
	if len(filtered) == 0 || len(filtered) >= len(all) {
		t.Fatalf("the filter kept %d of %d connections: it should drop some, not all", len(filtered), len(all))
	}
	sameRows(t, "conn.log with -f", rows(t, filepath.Join(live, "conn.log")), filtered)
}

// writeMany writes n generated TLS connections (distinct client ports from 40000 up).
func writeMany(t *testing.T, path string, n int) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := testgen.WriteMany(f, nil, n, 1, testgen.Framing{}); err != nil {
		t.Fatal(err)
	}
}

// Rotation under traffic: every row is in exactly one file (rotated or current), each file
// whole with its header and #close, named as Zeek names rotated logs.
func TestLiveRotation(t *testing.T) { withWorkers(t, testLiveRotation) }

func testLiveRotation(t *testing.T, workers []string) {
	v := newVeth(t)
	pcap := filepath.Join(t.TempDir(), "many.pcap")
	writeMany(t, pcap, 120)
	live := t.TempDir()
	s := startSensor(t, v, live, append(workers, "--rotate", "1s")...)
	done := make(chan struct{})
	go func() {
		defer close(done)
		time.Sleep(700 * time.Millisecond)
		s.cmd.Process.Signal(syscall.SIGHUP) // and one on demand
	}()
	v.replay(t, pcap, "--pps", "600")
	<-done
	s.stop(t)
	ents, _ := os.ReadDir(live)
	rotated := regexp.MustCompile(`^(ssl|conn|x509)\.\d{4}-\d\d-\d\d-\d\d-\d\d-\d\d(-\d+)?\.log$`)
	var got = map[string][]string{}
	nRotated := 0
	for _, e := range ents {
		name := e.Name()
		base := strings.SplitN(name, ".", 2)[0]
		if rotated.MatchString(name) {
			nRotated++
		} else if name != base+".log" {
			continue
		}
		got[base] = append(got[base], rows(t, filepath.Join(live, name))...)
	}
	if nRotated < 2 {
		t.Fatalf("%d rotated files after about 2 s of --rotate 1s and a SIGHUP: %v", nRotated, ents)
	}
	off := offline(t, pcap)
	for _, log := range []string{"ssl", "conn", "x509"} {
		g := got[log]
		sort.Strings(g)
		sameRows(t, log+" over all rotated files", g, rows(t, filepath.Join(off, log+".log")))
	}
	checkWholeLines(t, live, true)
}

// On a quiet link network time follows the wall clock: a connection idle past the UDP
// inactivity timeout gets its conn.log row while tlsmon still runs.
func TestLiveIdleExpiry(t *testing.T) { withWorkers(t, testLiveIdleExpiry) }

func testLiveIdleExpiry(t *testing.T, workers []string) {
	v := newVeth(t)
	pcap := filepath.Join(t.TempDir(), "udp.pcap")
	if err := os.WriteFile(pcap, manyUDP(1), 0o644); err != nil {
		t.Fatal(err)
	}
	live := t.TempDir()
	s := startSensor(t, v, live, append(workers, "--udp-inactivity-timeout", "1s")...)
	v.replay(t, pcap)
	deadline := time.Now().Add(8 * time.Second)
	for len(rows(t, filepath.Join(live, "conn.log"))) == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("no conn.log row 8 s after a UDP packet with a 1 s inactivity timeout\n%s", s.stderr)
		}
		time.Sleep(100 * time.Millisecond)
	}
	s.stop(t)
	if n := len(rows(t, filepath.Join(live, "conn.log"))); n != 1 {
		t.Errorf("%d conn.log rows, want 1", n)
	}
}

// --metrics serves Prometheus counters that match what was replayed.
func TestLiveMetrics(t *testing.T) {
	v := newVeth(t)
	pcap := filepath.Join(t.TempDir(), "few.pcap")
	writeMany(t, pcap, 5)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	live := t.TempDir()
	s := startSensor(t, v, live, "--metrics", addr, "--stats-interval", "1s")
	v.replay(t, pcap)
	want := map[string]float64{
		`tlsmon_connections_total{worker="0"}`:                             5,
		`tlsmon_events_total{event="ssl_client_hello",worker="0"}`:         5,
		`tlsmon_kernel_drops_total{interface="` + v.recv + `",worker="0"}`: 0,
	}
	var body string
	deadline := time.Now().Add(10 * time.Second)
	for {
		body = scrape(t, "http://"+addr+"/metrics")
		m := parseMetrics(body)
		ok := true
		for k, w := range want {
			if m[k] != w {
				ok = false
			}
		}
		if ok && m[`tlsmon_packets_total{worker="0"}`] > 0 && m[`tlsmon_interface_packets_total{interface="`+v.recv+`",worker="0"}`] > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("metrics never showed %v:\n%s", want, body)
		}
		time.Sleep(200 * time.Millisecond)
	}
	s.stop(t)
	final := parseMetrics(body)

	// stats.log and capture_loss.log: per-interval rows that add up to the run's counters.
	sum := func(log, col string) (total float64, n int) {
		b, err := os.ReadFile(filepath.Join(live, log))
		if err != nil {
			t.Fatal(err)
		}
		idx := -1
		for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
			if f, ok := strings.CutPrefix(line, "#fields\t"); ok {
				for i, name := range strings.Split(f, "\t") {
					if name == col {
						idx = i
					}
				}
			}
			if line == "" || line[0] == '#' || idx < 0 {
				continue
			}
			v, err := strconv.ParseFloat(strings.Split(line, "\t")[idx], 64)
			if err != nil {
				t.Fatalf("%s: %s: %v", log, col, err)
			}
			total += v
			n++
		}
		return total, n
	}
	if pk, n := sum("stats.log", "pkts_proc"); n == 0 || pk < final[`tlsmon_packets_total{worker="0"}`] {
		t.Errorf("stats.log: %d rows, pkts_proc adds up to %v, want at least the %v packets scraped", n, pk, final[`tlsmon_packets_total{worker="0"}`])
	}
	if c, _ := sum("stats.log", "tcp_conns"); c != 5 {
		t.Errorf("stats.log: tcp_conns adds up to %v, want 5", c)
	}
	if acks, n := sum("capture_loss.log", "acks"); n == 0 || acks == 0 {
		t.Errorf("capture_loss.log: %d rows, %v acks: the handshakes' ACKs are not counted", n, acks)
	}
	if gaps, _ := sum("capture_loss.log", "gaps"); gaps != 0 {
		t.Errorf("capture_loss.log: %v gaps on a lossless replay", gaps)
	}
}

func scrape(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %v", url, resp.StatusCode, err)
	}
	return string(b)
}

// parseMetrics reads the Prometheus text format: series (name{labels}) to value.
func parseMetrics(body string) map[string]float64 {
	m := map[string]float64{}
	for _, line := range strings.Split(body, "\n") {
		if line == "" || line[0] == '#' {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			continue
		}
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err == nil {
			m[line[:i]] = v
		}
	}
	return m
}

// Two tlsmon processes in one fanout group (PACKET_FANOUT_HASH) share the interface by
// flow: every connection is written whole by exactly one of them, as the file run writes
// it, and both get some. (Within one process: --workers, TestLiveWorkersInterfaces.)
func TestLiveFanoutTwoProcesses(t *testing.T) {
	v := newVeth(t)
	pcap := filepath.Join(t.TempDir(), "many.pcap")
	writeMany(t, pcap, 40)
	a, b := t.TempDir(), t.TempDir()
	id := strconv.Itoa(1000 + os.Getpid()%60000)
	sa := startSensor(t, v, a, "--af-packet-fanout-id", id)
	sb := startSensor(t, v, b, "--af-packet-fanout-id", id)
	v.replay(t, pcap)
	sa.stop(t)
	sb.stop(t)
	off := offline(t, pcap)
	for _, log := range []string{"conn.log", "ssl.log", "x509.log"} {
		ra, rb := rows(t, filepath.Join(a, log)), rows(t, filepath.Join(b, log))
		if log == "conn.log" && (len(ra) == 0 || len(rb) == 0) {
			t.Errorf("conn.log: %d and %d rows: the fanout group did not split the connections", len(ra), len(rb))
		}
		both := append(ra, rb...)
		sort.Strings(both)
		if log == "x509.log" {
			continue // the same certificates in several connections: rows repeat per connection
		}
		sameRows(t, log+" of both processes", both, rows(t, filepath.Join(off, log)))
	}
}

// SIGTERM writes the rows of the connections still open (as Zeek at termination): three UDP
// flows, far from their inactivity timeout, have no conn.log row until the signal, and all
// three after it, in logs closed whole.
func TestLiveSIGTERMFlushes(t *testing.T) { withWorkers(t, testLiveSIGTERMFlushes) }

func testLiveSIGTERMFlushes(t *testing.T, workers []string) {
	v := newVeth(t)
	pcap := filepath.Join(t.TempDir(), "udp.pcap")
	if err := os.WriteFile(pcap, manyUDP(3), 0o644); err != nil {
		t.Fatal(err)
	}
	live := t.TempDir()
	s := startSensor(t, v, live, workers...)
	v.replay(t, pcap)
	time.Sleep(1500 * time.Millisecond) // rows are flushed to the files within a second
	if n := len(rows(t, filepath.Join(live, "conn.log"))); n != 0 {
		t.Fatalf("%d conn.log rows before the signal, want 0 (the flows are still open)", n)
	}
	s.stop(t)
	if n := len(rows(t, filepath.Join(live, "conn.log"))); n != 3 {
		t.Errorf("%d conn.log rows after SIGTERM, want 3", n)
	}
	checkWholeLines(t, live, true)
}

// fragment splits an Ethernet/IPv4 frame's payload into two IP fragments at byte at (a
// multiple of 8), with their header checksums.
func fragment(frame []byte, at int) [2][]byte {
	hdr, body := frame[:14+20], frame[14+20:]
	mk := func(part []byte, off int, more bool) []byte {
		b := append(append([]byte{}, hdr...), part...)
		ip := b[14:34]
		binary.BigEndian.PutUint16(ip[2:], uint16(20+len(part)))
		fo := uint16(off / 8)
		if more {
			fo |= 0x2000
		}
		binary.BigEndian.PutUint16(ip[6:], fo)
		ip[10], ip[11] = 0, 0
		var sum uint32
		for i := 0; i < 20; i += 2 {
			sum += uint32(binary.BigEndian.Uint16(ip[i:]))
		}
		for sum > 0xffff {
			sum = sum&0xffff + sum>>16
		}
		binary.BigEndian.PutUint16(ip[10:], ^uint16(sum))
		return b
	}
	return [2][]byte{mk(body[:at], 0, true), mk(body[at:], at, false)}
}

// With --workers 2 and the fanout's defragmentation, a UDP flow whose middle datagram is
// fragmented stays whole in one worker: the kernel reassembles the datagram before hashing it
// with its flow (a fragment alone has no ports: hashed by addresses it could reach another
// worker). 24 flows between the same two hosts, distinct by port: the conn.log rows are the
// file run's, one per flow.
func TestLiveWorkersFragments(t *testing.T) {
	v := newVeth(t)
	var recs []pcapRecord
	ts := int64(1_700_000_000_000_000)
	payload := bytes.Repeat([]byte("tlsmon-fragment-"), 8) // 128 bytes
	for i := range 24 {
		sport := uint16(41000 + i)
		add := func(data []byte) {
			recs = append(recs, pcapRecord{ts: ts, data: data})
			ts += 1000
		}
		add(udpPacket(hostA, hostB, sport, 7000, []byte("first")))
		for _, f := range fragment(udpPacket(hostA, hostB, sport, 7000, payload), 64) {
			add(f)
		}
		add(udpPacket(hostB, hostA, 7000, sport, []byte("reply")))
	}
	pcap := filepath.Join(t.TempDir(), "frag.pcap")
	writePcap(t, pcap, recs)
	live := t.TempDir()
	s := startSensor(t, v, live, "--workers", "2", "--stats-interval", "1h")
	v.replay(t, pcap)
	s.stop(t)
	got, want := rows(t, filepath.Join(live, "conn.log")), rows(t, filepath.Join(offline(t, pcap), "conn.log"))
	if len(want) != 24 {
		t.Fatalf("the file run wrote %d conn.log rows, want 24", len(want))
	}
	sameRows(t, "conn.log of fragmented flows, two workers", got, want)
	if n := byPeer(t, filepath.Join(live, "stats.log"), "udp_conns"); n["worker-0"] == 0 || n["worker-1"] == 0 {
		t.Errorf("UDP connections by worker %v: want both workers to get some", n)
	}
}
