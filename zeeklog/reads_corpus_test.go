package zeeklog_test

import (
	"bytes"
	"path/filepath"
	"testing"

	tlsmon "github.com/tlsmon/tlsmon"
	"github.com/tlsmon/tlsmon/analyzer"
	"github.com/tlsmon/tlsmon/capture"
	"github.com/tlsmon/tlsmon/engine"
	"github.com/tlsmon/tlsmon/ssl"
	"github.com/tlsmon/tlsmon/zeeklog"
)

// TestUnreadEventsLeftOut runs the pipeline over every tcp and udp capture of the corpus
// twice, the second time with the analyzers told which events the logs read
// (ssl.Config.Events = Set.ReadsEvent) and which values of ssl_extension's code and
// ssl_plaintext_data's content type they read (EventArgs = Set.EventArgs): every log must
// be the same, with fewer events.
func TestUnreadEventsLeftOut(t *testing.T) {
	dir := corpusDir(t)
	var all, some int
	for _, c := range corpusCaptures(t, dir, "tcp", "udp") {
		logs := func(filter bool) (map[string]*bytes.Buffer, int) {
			r, err := capture.Open(filepath.Join(dir, "pcaps", c.file))
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			bufs := map[string]*bytes.Buffer{}
			set := zeeklog.NewSet(zeeklog.Logs(), func(s zeeklog.LogSpec) zeeklog.Writer {
				bufs[s.Path] = new(bytes.Buffer)
				return zeeklog.NewTSVWriter(bufs[s.Path], s.Path, s.Columns, 1)
			})
			n := 0
			opts := engine.Options{
				Handler:  tlsmon.HandlerFunc(func(e tlsmon.Event) { n++; set.HandleEvent(e) }),
				Analyzer: analyzer.Options{AnalyzeEncrypted: true},
				UIDSeed:  1,
			}
			if filter {
				opts.SSL = ssl.Config{Events: set.ReadsEvent, EventArgs: set.EventArgs}
			}
			if err := engine.New(opts).Run(r); err != nil {
				t.Fatal(err)
			}
			if err := set.Close(1); err != nil {
				t.Fatal(err)
			}
			return bufs, n
		}
		want, n1 := logs(false)
		got, n2 := logs(true)
		all, some = all+n1, some+n2
		for p, b := range want {
			if !bytes.Equal(b.Bytes(), got[p].Bytes()) {
				t.Errorf("%s: %s.log differs when unread events are left out:\n%s\n--- all events:\n%s", c.name, p, got[p], b)
			}
		}
	}
	if some >= all {
		t.Errorf("%d events with the filter, %d without", some, all)
	}
	t.Logf("%d events, %d with the filter", all, some)
}
