package zeeklog_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// jsonLines decodes JSON log lines, dropping the uid (Zeek's are its own).
func jsonLines(t *testing.T, data []byte) []map[string]any {
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		if l == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("bad JSON line %q: %v", l, err)
		}
		delete(m, "uid")
		out = append(out, m)
	}
	return out
}

func canon(t *testing.T, m map[string]any) string {
	b, err := json.Marshal(m) // map keys come out sorted
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// auxExceptions are the logs ("capture/log") whose analyzer.log or weird.log may differ,
// with the reason.
var auxExceptions = map[string]string{
	"tls__tls1.2-protocol-violation/analyzer": "the ssl package's out_of_bound reason lacks binpac's lengths (\"3823 > 256\")",
}

// TestAnalyzerAndWeirdLogsMatchZeek runs the pipeline over every tcp and udp capture and
// compares analyzer.log and weird.log with Zeek's, for what tlsmon analyzes: analyzer.log
// rows of the SSL and DTLS analyzers, and weird.log rows of the weirds tlsmon can raise
// (wanted lists them by name: a name Zeek logs that tlsmon never raises, such as the
// HTTP analyzer's, is left out of the comparison).
func TestAnalyzerAndWeirdLogsMatchZeek(t *testing.T) {
	dir := corpusDir(t)
	wanted := func(log string, m map[string]any) bool {
		if log == "analyzer" {
			n, _ := m["analyzer_name"].(string)
			return n == "SSL" || n == "DTLS"
		}
		n, _ := m["name"].(string)
		src, _ := m["source"].(string)
		return strings.HasPrefix(strings.ToLower(n), "ssl_") || strings.HasPrefix(n, "DTLS") ||
			src == "SSL" || src == "DTLS" || n == "log_container_field_truncated"
	}
	rows := 0
	for _, c := range corpusCaptures(t, dir, "tcp", "udp") {
		got := runLogs(t, filepath.Join(dir, "pcaps", c.file), true)
		for _, log := range []string{"analyzer", "weird"} {
			data, err := os.ReadFile(filepath.Join(dir, "expected", c.name, log+".log"))
			if err != nil && !os.IsNotExist(err) {
				t.Fatal(err)
			}
			var want, have []string
			for _, m := range jsonLines(t, data) {
				if wanted(log, m) {
					want = append(want, canon(t, m))
				}
			}
			for _, m := range jsonLines(t, got[log]) {
				if wanted(log, m) {
					have = append(have, canon(t, m))
				}
			}
			rows += len(want)
			if strings.Join(want, "\n") != strings.Join(have, "\n") {
				if why, ok := auxExceptions[c.name+"/"+log]; ok {
					t.Logf("%s %s.log differs (known: %s)", c.name, log, why)
					continue
				}
				t.Errorf("%s: %s.log differs from Zeek's:\n%s", c.name, log, lineDiff(strings.Join(want, "\n"), strings.Join(have, "\n")))
			}
		}
	}
	t.Logf("%d analyzer.log and weird.log rows of Zeek's compared", rows)
}
