package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tlsmon/tlsmon/internal/kafkatest"
)

// sinkCaptures are the -r arguments of the sink tests: the sample capture and, with the
// corpus beside the repository, one capture that fills all five logs.
func sinkCaptures(t *testing.T) []string {
	args := []string{"-r", filepath.Join("..", "..", "testdata", "sample.pcap")}
	p := filepath.Join("..", "..", "..", "shared", "conformance", "pcaps", "globus-url-copy-bad-encoding.pcap")
	if _, err := os.Stat(p); err == nil {
		args = append(args, "-r", p)
	} else if os.Getenv("CI") == "true" {
		t.Fatalf("corpus capture missing: %v", err)
	}
	return args
}

// fileLines returns the lines of every log file in dir, by log name.
func fileLines(t *testing.T, dir string) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	logs, _ := filepath.Glob(filepath.Join(dir, "*.log"))
	for _, p := range logs {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		out[strings.TrimSuffix(filepath.Base(p), ".log")] = strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	}
	return out
}

// unstream splits a streamed line into its _path, _write_ts and the file's row.
func unstream(t *testing.T, line string) (path string, writeTs float64, row string) {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(line), &m); err != nil {
		t.Fatalf("stdout line is not JSON: %v: %s", err, line)
	}
	if err := json.Unmarshal(m["_path"], &path); err != nil {
		t.Fatalf("no _path: %s", line)
	}
	if err := json.Unmarshal(m["_write_ts"], &writeTs); err != nil {
		t.Fatalf("no numeric _write_ts: %s", line)
	}
	pre := `{"_path":"` + path + `","_write_ts":` + string(m["_write_ts"])
	rest, ok := strings.CutPrefix(line, pre)
	if !ok {
		t.Fatalf("_path and _write_ts are not the first keys: %s", line)
	}
	if rest == "}" {
		return path, writeTs, "{}"
	}
	return path, writeTs, "{" + strings.TrimPrefix(rest, ",")
}

// The rows on stdout equal the JSON files' rows plus _path and _write_ts, for every
// selection of logs and with the policy scripts' and fingerprints' columns and logs.
func TestStdoutEqualsJSONFiles(t *testing.T) {
	for _, tc := range []struct {
		logs  string
		extra []string
		want  []string // logs that must be there (with the corpus capture)
	}{
		{"", nil, []string{"ssl", "x509", "conn"}},
		{"ssl,x509", nil, []string{"ssl", "x509"}},
		{"", []string{"--load", "local", "--fingerprints"}, []string{"ssl", "x509", "conn", "notice", "known_certs"}},
		{"notice,known_certs", []string{"--load", "local"}, []string{"notice", "known_certs"}},
	} {
		logs := tc.logs
		t.Run("logs="+logs+strings.Join(tc.extra, ""), func(t *testing.T) {
			args := append(sinkCaptures(t), "--no-progress")
			args = append(args, tc.extra...)
			if logs != "" {
				args = append(args, "--logs", logs)
			}
			dir := t.TempDir()
			code, _, stderr := runCLI(t, append(args, "-o", dir, "--json")...)
			if code != exitOK {
				t.Fatalf("files: exit %d: %s", code, stderr)
			}
			code, stdout, stderr := runCLI(t, append(args, "-o", "-")...)
			if code != exitOK {
				t.Fatalf("stdout: exit %d: %s", code, stderr)
			}
			if !strings.Contains(stderr, "elapsed") {
				t.Errorf("the summary should be on stderr: %q", stderr)
			}
			files := fileLines(t, dir)
			got := map[string][]string{}
			for _, line := range strings.Split(strings.TrimSuffix(stdout, "\n"), "\n") {
				path, wts, row := unstream(t, line)
				var ts struct{ Ts float64 }
				json.Unmarshal([]byte(row), &ts)
				if wts < ts.Ts-1e-6 && path != "x509" {
					t.Errorf("_write_ts %f before the row's ts: %s", wts, line)
				}
				got[path] = append(got[path], row)
			}
			if len(got) != len(files) {
				t.Errorf("logs on stdout %v, files %v", keys(got), keys(files))
			}
			for path, lines := range files {
				if strings.Join(got[path], "\n") != strings.Join(lines, "\n") {
					t.Errorf("%s: stdout rows differ from the file's:\n got %q\nwant %q", path, got[path], lines)
				}
			}
			if logs != "" && len(files) != len(tc.want) {
				t.Errorf("--logs %s wrote %v", logs, keys(files))
			}
			if len(sinkCaptures(t)) == 4 { // the corpus capture raises notices, has known certificates
				for _, path := range tc.want {
					if len(files[path]) == 0 || len(got[path]) == 0 {
						t.Errorf("%s: missing (files %v, stdout %v)", path, keys(files), keys(got))
					}
				}
			}
			if slices.Contains(tc.extra, "--fingerprints") && len(got["ssl"]) > 0 &&
				!strings.Contains(got["ssl"][0], `"ja4":`) {
				t.Errorf("ssl rows on stdout lack the fingerprint columns: %s", got["ssl"][0])
			}
		})
	}
}

func keys(m map[string][]string) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}

// Two sensors into one cluster: every row of each run arrives (equal to its JSON files),
// each carries its sensor's header, and no uid is shared between the sensors.
func TestKafkaTwoSensors(t *testing.T) {
	_, addr := kafkatest.Cluster(t, 3, "zeek")
	// The two sensors run at the same time, as two processes would (the command keeps no
	// state outside its run).
	sensors := []string{"sensor-a", "sensor-b"}
	type result struct {
		code           int
		stdout, stderr string
		dir            string
	}
	res := make([]result, len(sensors))
	var wg sync.WaitGroup
	for i, sensor := range sensors {
		res[i].dir = t.TempDir()
		args := append(sinkCaptures(t), "--no-progress", "--kafka", addr, "--sensor-id", sensor, "-o", res[i].dir, "--json")
		if i == 1 { // Kafka gets the extended rows and logs, as the files do
			args = append(args, "--load", "local", "--fingerprints")
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			var o, e bytes.Buffer
			res[i].code = run(args, &o, &e)
			res[i].stdout, res[i].stderr = o.String(), e.String()
		}()
	}
	wg.Wait()
	n := 0
	files := map[string]map[string][]string{}
	for i, sensor := range sensors {
		r := res[i]
		if r.code != exitOK || r.stdout != "" {
			t.Fatalf("%s: exit %d, stdout %q, stderr %s", sensor, r.code, r.stdout, r.stderr)
		}
		if !strings.Contains(r.stderr, "tlsmon: kafka: ") || !strings.Contains(r.stderr, " 0 dropped, 0 not acknowledged") {
			t.Errorf("%s: no Kafka line on stderr: %s", sensor, r.stderr)
		}
		files[sensor] = fileLines(t, r.dir)
		for _, l := range files[sensor] {
			n += len(l)
		}
	}
	recs := kafkatest.ReadAll(t, addr, n, 20*time.Second, "zeek")
	if len(recs) != n {
		t.Fatalf("%d records, want %d", len(recs), n)
	}
	uids := map[string]string{} // uid → sensor
	got := map[string]map[string][]string{"sensor-a": {}, "sensor-b": {}}
	for _, r := range recs {
		if len(r.Headers) != 1 || r.Headers[0].Key != "sensor" {
			t.Fatalf("record without its sensor header: %v", r.Headers)
		}
		sensor := string(r.Headers[0].Value)
		var m map[string]any
		if err := json.Unmarshal(r.Value, &m); err != nil {
			t.Fatal(err)
		}
		path, _ := m["_path"].(string)
		got[sensor][path] = append(got[sensor][path], "{"+strings.TrimPrefix(string(r.Value), `{"_path":"`+path+`",`))
		if uid, ok := m["uid"].(string); ok {
			if s, ok := uids[uid]; ok && s != sensor {
				t.Errorf("uid %s used by %s and %s", uid, s, sensor)
			}
			uids[uid] = sensor
			if string(r.Key) != uid {
				t.Errorf("key %q, want the uid %s", r.Key, uid)
			}
		}
	}
	if len(uids) < 2 {
		t.Fatalf("only %d uids", len(uids))
	}
	if len(sinkCaptures(t)) == 4 && (len(got["sensor-b"]["notice"]) == 0 || len(got["sensor-b"]["known_certs"]) == 0) {
		t.Errorf("no notice or known_certs rows in Kafka with --load local: %v", keys(got["sensor-b"]))
	}
	for sensor, logs := range files {
		for path, lines := range logs {
			if !sameMultiset(got[sensor][path], lines) {
				t.Errorf("%s %s: Kafka rows differ from the file's:\n got %q\nwant %q", sensor, path, got[sensor][path], lines)
			}
		}
	}
}

func sameMultiset(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	m := map[string]int{}
	for _, s := range a {
		m[s]++
	}
	for _, s := range b {
		m[s]--
		if m[s] < 0 {
			return false
		}
	}
	return true
}

// A cluster that is away at exit: the run reports the rows it could not deliver and exits 3.
func TestKafkaLostExitStatus(t *testing.T) {
	c, addr := kafkatest.Cluster(t, 1, "zeek")
	kafkatest.Outage(c, false, func() bool { return true })
	args := append(sinkCaptures(t), "--no-progress", "--kafka", addr, "--kafka-flush-timeout", "300ms")
	code, stdout, stderr := runCLI(t, args...)
	if code != exitLost || stdout != "" {
		t.Fatalf("exit %d (want %d), stdout %q, stderr %s", code, exitLost, stdout, stderr)
	}
	if !strings.Contains(stderr, "rows not delivered") || !strings.Contains(stderr, "0 delivered") {
		t.Errorf("stderr does not report the loss: %s", stderr)
	}
}

// Uids: the default run and --uid-seed 0 give the same uids; a sensor id gives others.
func TestSensorIDSeedsUIDs(t *testing.T) {
	uidsOf := func(extra ...string) string {
		dir := t.TempDir()
		args := append([]string{"-r", filepath.Join("..", "..", "testdata", "sample.pcap"), "--no-progress", "--json", "-o", dir}, extra...)
		if code, _, stderr := runCLI(t, args...); code != exitOK {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		var us []string
		for _, r := range readJSONLines(t, filepath.Join(dir, "conn.log")) {
			us = append(us, r["uid"].(string))
		}
		return strings.Join(us, ",")
	}
	def := uidsOf()
	if def == "" || uidsOf("--uid-seed", "0") != def {
		t.Fatalf("--uid-seed 0 changed the default uids %s", def)
	}
	a, b := uidsOf("--sensor-id", "x"), uidsOf("--sensor-id", "x")
	if a == def || a == b {
		t.Errorf("sensor id runs: %s and %s, default %s: want three different sequences", a, b, def)
	}
	if uidsOf("--sensor-id", "x", "--uid-seed", "7") != uidsOf("--uid-seed", "7") {
		t.Error("--uid-seed does not make the uids reproducible")
	}
}

func TestSinkFlagErrors(t *testing.T) {
	sample := filepath.Join("..", "..", "testdata", "sample.pcap")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-o", "-", "--events"}, "--events needs an output directory"},
		{[]string{"--logs", "ssl,dns"}, `unknown log "dns"`},
		{[]string{"--kafka", "h:9092", "--kafka-policy", "spill"}, "unknown buffer policy"},
		{[]string{"--kafka", "h:9092", "--kafka-sasl", "plain"}, "needs --kafka-user"},
		{[]string{"--kafka", "h:9092", "--kafka-sasl", "gssapi", "--kafka-user", "u"}, "unknown mechanism"},
		{[]string{"--kafka", "h:9092", "--kafka-tls-cert", "c.pem"}, "go together"},
		{[]string{"--kafka", "h:9092", "--kafka-buffer", "0"}, "at least 1"},
		{[]string{"--uid-seed", "x"}, "--uid-seed"},
		{[]string{"--kafka", "h:9092", "--kafka-compression", "brotli"}, "unknown codec"},
	} {
		code, _, stderr := runCLI(t, append([]string{"-r", sample}, tc.args...)...)
		if code != exitUsage || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", tc.args, code, stderr, exitUsage, tc.want)
		}
	}
}

// A run with every destination leaves no goroutine behind: the signal watch and the Kafka
// client end with the run, whether the rows were delivered or lost.
func TestSinkRunsLeaveNoGoroutine(t *testing.T) {
	c, addr := kafkatest.Cluster(t, 1, "zeek")
	down := false
	var mu sync.Mutex
	kafkatest.Outage(c, false, func() bool { mu.Lock(); defer mu.Unlock(); return down })
	ch := make(chan os.Signal, 1) // os/signal starts its one process-wide loop at the first Notify
	signal.Notify(ch, os.Interrupt)
	signal.Stop(ch)
	base := runtime.NumGoroutine()
	for _, lose := range []bool{false, true} {
		mu.Lock()
		down = lose
		mu.Unlock()
		for _, workers := range []string{"1", "2"} { // 2: the split path's merger puts the rows
			args := append(sinkCaptures(t), "-q", "-o", "-", "--kafka", addr, "--kafka-flush-timeout", "300ms", "--workers", workers)
			if code, _, stderr := runCLI(t, args...); (code == exitLost) != lose {
				t.Fatalf("lose %v, %s workers: exit %d: %s", lose, workers, code, stderr)
			}
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > base {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("%d goroutines after the runs, %d before:\n%s", runtime.NumGoroutine(), base, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// brokenStdout is a standard output whose writes fail (a full disk behind a redirection).
type brokenStdout struct{}

func (brokenStdout) Write([]byte) (int, error) { return 0, errors.New("no space left on device") }

// Standard output that cannot be written stops the run as a full disk does: exit 1, the
// error printed once.
func TestStdoutWriteError(t *testing.T) {
	for _, workers := range []string{"1", "2"} { // 2: written by the split path's merger
		var e bytes.Buffer
		code := run(append(sinkCaptures(t), "--no-progress", "-o", "-", "--workers", workers), brokenStdout{}, &e)
		lines := errorLines(e.String())
		if code != exitRuntime || len(lines) != 1 || !strings.Contains(lines[0], "no space left on device") {
			t.Fatalf("%s workers: exit %d, stderr %q: want %d and the error once", workers, code, e.String(), exitRuntime)
		}
	}
}
