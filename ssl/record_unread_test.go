package ssl

import (
	"fmt"
	"slices"
	"testing"

	"github.com/tlsmon/tlsmon"
	"github.com/tlsmon/tlsmon/analyzer"
)

// tsRecorder notes every event with its timestamp (certificates with a digest of their
// bytes, weirds with their name and addl).
type tsRecorder struct{ lines []string }

func (r *tsRecorder) HandleEvent(e tlsmon.Event) {
	var l string
	switch ev := e.(type) {
	case *tlsmon.Certificate:
		sum := 0
		for i, c := range ev.DER {
			sum += (i + 1) * int(c)
		}
		l = fmt.Sprintf("cert %d %d %d", ev.Index, len(ev.DER), sum)
	case *tlsmon.Weird:
		l = "weird " + ev.WeirdName + " " + ev.Addl
	case tlsmon.SSLEvent:
		l = ev.Name() + " " + string(ev.AppendArgs(nil))
	default:
		l = fmt.Sprintf("%T", e)
	}
	r.lines = append(r.lines, fmt.Sprintf("%d %s", e.EventMeta().Ts, l))
}

// A record read as ciphertext (its direction encrypted since a change_cipher_spec) that
// is split over deliveries is counted, not buffered, and raises the same events, with the
// timestamp of the delivery that completes it, as when it arrives whole.
func TestSplitCiphertextRecordNotBuffered(t *testing.T) {
	hello := record(ctHandshake, versionTLS10,
		hsMsg(hsClientHello, clientHelloBody(versionTLS12, seqRandom(1), nil, []uint16{0x2f}, nil)))
	ccs := record(ctChangeCipherSpec, versionTLS12, []byte{1})
	app := record(ctApplicationData, versionTLS12, make([]byte, 3000))
	hs := record(ctHandshake, versionTLS12, make([]byte, 40)) // encrypted Finished

	run := func(split int) []string {
		r := &tsRecorder{}
		env := &analyzer.Env{Conn: testConn, Events: r, Options: analyzer.Options{AnalyzeEncrypted: true}}
		env.Detach = func() {}
		a := New(env).(*Analyzer)
		defer a.Done(100)
		a.DeliverStream(1, true, hello)
		a.DeliverStream(2, true, ccs)
		ts := int64(10)
		for _, rec := range [][]byte{app, hs, app} {
			for b := rec; len(b) > 0; ts++ {
				n := min(split, len(b))
				a.DeliverStream(ts, true, b[:n])
				b = b[n:]
				if d := &a.session().dir[0]; d.inBody && (!d.unread || len(d.buf) != 0) {
					t.Fatalf("split %d: body buffered (unread=%v, %d bytes)", split, d.unread, len(d.buf))
				}
			}
		}
		return r.lines
	}
	whole := run(1 << 20)
	if n := len(whole); n < 5 {
		t.Fatalf("only %d events: %q", n, whole)
	}
	for _, split := range []int{1, 6, 999} {
		got := run(split)
		if len(got) != len(whole) {
			t.Fatalf("split %d: %d events, want %d:\n%q\n%q", split, len(got), len(whole), got, whole)
		}
		// timestamps differ (more deliveries), the events themselves must not
		strip := func(l []string) []string {
			out := make([]string, len(l))
			for i, s := range l {
				var ts int64
				var rest string
				fmt.Sscanf(s, "%d", &ts)
				rest = s[len(fmt.Sprint(ts)):]
				out[i] = rest
			}
			return out
		}
		if !slices.Equal(strip(got), strip(whole)) {
			t.Fatalf("split %d: events differ:\n%q\n%q", split, got, whole)
		}
	}
	// the encrypted-data event of a split record carries the completing delivery's time
	got := run(1000)
	last := got[len(got)-1]
	var ts int64
	fmt.Sscanf(last, "%d", &ts)
	pieces := func(b []byte) int64 { return int64((len(b) + 999) / 1000) }
	want := 10 + 2*pieces(app) + pieces(hs) - 1 // the time of the last piece
	if ts != want {
		t.Fatalf("last event at %d, want %d: %s", ts, want, last)
	}
}
