package ssl

import (
	"crypto/tls"
	"slices"
	"testing"

	"github.com/tlsmon/tlsmon/analyzer"
)

// TestUnreadEventsNotRaised replays crypto/tls handshakes through analyzers whose
// Config.Events reads nothing: the optional events are left out, the others raised as
// with every event read, in the same order.
func TestUnreadEventsNotRaised(t *testing.T) {
	optional := map[string]bool{}
	for _, ev := range optionalEvents {
		optional[ev.Name()] = true
	}
	for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		chunks := recordHandshake(t, v)
		run := func(events func(string) bool) *recorder {
			r := &recorder{}
			env := &analyzer.Env{Conn: testConn, Events: r, Detach: func() {}, Options: analyzer.Options{AnalyzeEncrypted: true}}
			a := SpecShared(NewShared(Config{Events: events})).New(env)
			for _, c := range chunks {
				a.DeliverStream(1, c.isOrig, c.data)
			}
			return r
		}
		all := run(nil)
		some := run(func(string) bool { return false })
		var want []string
		left := 0
		names := all.names()
		for i, l := range all.lines {
			if optional[names[i]] {
				left++
				continue
			}
			want = append(want, l)
		}
		if left == 0 {
			t.Errorf("version %x: no optional event in %v", v, all.names())
		}
		if !slices.Equal(some.lines, want) {
			t.Errorf("version %x: with no optional event read\n%q\nwant\n%q", v, some.lines, want)
		}
	}
}
