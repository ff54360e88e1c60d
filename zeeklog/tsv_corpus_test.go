package zeeklog_test

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/tlsmon/tlsmon/internal/corpus"

	"github.com/tlsmon/tlsmon/analyzer"
	"github.com/tlsmon/tlsmon/capture"
	"github.com/tlsmon/tlsmon/engine"
	"github.com/tlsmon/tlsmon/zeeklog"
)

// tsvExceptions are the logs ("capture/log") that may differ from Zeek's, with the
// reason; they are printed, never silently passed.
// None today: every tcp and udp capture's ssl.log and x509.log are byte-identical.
var tsvExceptions = map[string]string{}

// corpusDir locates the conformance corpus (see internal/corpus).
func corpusDir(t *testing.T) string { return corpus.Dir(t) }

type capture2 struct{ name, file string }

func corpusCaptures(t *testing.T, dir string, kinds ...string) []capture2 {
	var out []capture2
	for _, c := range corpus.Index(t, dir, kinds...) {
		out = append(out, capture2{c.Name, c.File})
	}
	return out
}

// runLogs runs the whole pipeline over a capture and returns each log's text, TSV or JSON.
func runLogs(t *testing.T, pcap string, json bool) map[string][]byte {
	r, err := capture.Open(pcap)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	bufs := map[string]*bytes.Buffer{}
	set := zeeklog.NewSet(zeeklog.Logs(), func(s zeeklog.LogSpec) zeeklog.Writer {
		bufs[s.Path] = new(bytes.Buffer)
		if json {
			return zeeklog.NewJSONWriter(bufs[s.Path], s.Columns)
		}
		return zeeklog.NewTSVWriter(bufs[s.Path], s.Path, s.Columns, 1)
	})
	eng := engine.New(engine.Options{Handler: set, Analyzer: analyzer.Options{AnalyzeEncrypted: true}})
	if err := eng.Run(r); err != nil {
		t.Fatalf("%s: %v", pcap, err)
	}
	if err := set.Close(1); err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for p, b := range bufs {
		out[p] = b.Bytes()
	}
	return out
}

var (
	uidField  = regexp.MustCompile(`(?m)^([0-9.]+\t)C[0-9A-Za-z]+\t`)
	openClose = regexp.MustCompile(`(?m)^#(open|close)\t.*$`)
)

// maskTSV blanks what legitimately differs between runs: ssl.log's uid column and the
// #open/#close dates.
func maskTSV(b []byte) string {
	b = openClose.ReplaceAll(b, []byte("#$1\tDATE"))
	b = uidField.ReplaceAll(b, []byte("${1}UID\t"))
	return string(b)
}

// TestTSVLogsMatchZeek runs the real pipeline over every tcp and udp capture of the
// conformance corpus and compares the TSV ssl.log and x509.log with Zeek's, byte for byte
// but for the uid column and the #open/#close dates.
func TestTSVLogsMatchZeek(t *testing.T) {
	dir := corpusDir(t)
	caps := corpusCaptures(t, dir, "tcp", "udp")
	if len(caps) == 0 {
		t.Fatal("no tcp or udp capture in INDEX.tsv")
	}
	same, total := 0, 0
	for _, c := range caps {
		got := runLogs(t, filepath.Join(dir, "pcaps", c.file), false)
		for _, log := range []string{"ssl", "x509"} {
			total++
			want, err := os.ReadFile(filepath.Join(dir, "expected", c.name, "tsv", log+".log"))
			if err != nil && !os.IsNotExist(err) {
				t.Fatal(err)
			}
			g, w := maskTSV(got[log]), maskTSV(want)
			if g == w {
				same++
				if _, ok := tsvExceptions[c.name+"/"+log]; ok {
					t.Logf("%s %s.log now identical to Zeek's", c.name, log)
				}
				continue
			}
			if why, ok := tsvExceptions[c.name+"/"+log]; ok {
				t.Logf("%s %s.log differs (known: %s)", c.name, log, why)
				continue
			}
			t.Errorf("%s: %s.log differs from Zeek's:\n%s", c.name, log, lineDiff(w, g))
		}
	}
	t.Logf("%d of %d TSV logs identical to Zeek's (%d captures)", same, total, len(caps))
}

// lineDiff lists the lines of want missing from got (-) and of got missing from want (+).
func lineDiff(want, got string) string {
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	in := func(ls []string) map[string]int {
		m := map[string]int{}
		for _, l := range ls {
			m[l]++
		}
		return m
	}
	wm, gm := in(wl), in(gl)
	var b strings.Builder
	for _, l := range wl {
		if gm[l] == 0 {
			b.WriteString("- " + l + "\n")
		}
	}
	for _, l := range gl {
		if wm[l] == 0 {
			b.WriteString("+ " + l + "\n")
		}
	}
	if b.Len() == 0 {
		b.WriteString("(same lines, different order)\n")
	}
	return b.String()
}
