package ssl

import (
	"crypto/tls"
	"slices"
	"testing"

	tlsmon "github.com/tlsmon/tlsmon"
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

// argsRecorder records the events' lines, with the code of each ssl_extension and the
// content type of each ssl_plaintext_data (-1 for other events).
type argsRecorder struct {
	recorder
	vals []int
}

func (r *argsRecorder) HandleEvent(e tlsmon.Event) {
	n := len(r.lines)
	r.recorder.HandleEvent(e)
	if len(r.lines) == n {
		return
	}
	v := -1
	switch ev := e.(type) {
	case *tlsmon.SSLExtension:
		v = int(ev.Code)
	case *tlsmon.SSLPlaintextData:
		v = int(ev.ContentType)
	}
	r.vals = append(r.vals, v)
}

// TestEventArgsNarrowed replays crypto/tls handshakes through analyzers whose
// Config.EventArgs reads only supported_versions (43) of ssl_extension and application
// data (23) of ssl_plaintext_data: the other values are left out but for each name's
// first event of the connection, every other event raised as with every value read, in
// the same order.
func TestEventArgsNarrowed(t *testing.T) {
	ext, pt := (*tlsmon.SSLExtension)(nil).Name(), (*tlsmon.SSLPlaintextData)(nil).Name()
	args := func(name string) ([]uint64, bool) {
		switch name {
		case ext:
			return []uint64{43}, true
		case pt:
			return []uint64{23}, true
		}
		return nil, false
	}
	for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		chunks := recordHandshake(t, v)
		run := func(args func(string) ([]uint64, bool)) *argsRecorder {
			r := &argsRecorder{}
			env := &analyzer.Env{Conn: testConn, Events: r, Detach: func() {}, Options: analyzer.Options{AnalyzeEncrypted: true}}
			a := SpecShared(NewShared(Config{EventArgs: args})).New(env)
			for _, c := range chunks {
				a.DeliverStream(1, c.isOrig, c.data)
			}
			return r
		}
		all, some := run(nil), run(args)
		var want []string
		left := 0
		first := map[string]bool{}
		for i, name := range all.names() {
			read := (name == ext && all.vals[i] == 43) || (name == pt && all.vals[i] == 23)
			if (name == ext || name == pt) && first[name] && !read {
				left++
				continue
			}
			first[name] = true
			want = append(want, all.lines[i])
		}
		if left == 0 {
			t.Errorf("version %x: no value left out in %v", v, all.names())
		}
		if !slices.Equal(some.lines, want) {
			t.Errorf("version %x: with some values read\n%q\nwant\n%q", v, some.lines, want)
		}
	}
}
