package rdp

import (
	"testing"

	"github.com/tlsmon/tlsmon/analyzer"
)

func newRecoverTest() (*Analyzer, *recorder) {
	r := &recorder{}
	env := &analyzer.Env{Conn: testConn(3389), Events: r, Detach: func() { r.detached++ },
		Options: analyzer.Options{AnalyzeEncrypted: true, Recover: true}, Partial: func() bool { return r.partial }}
	return New(env).(*Analyzer), r
}

// Under Options.Recover: a gap after the hand-off goes to the SSL analyzer, which analyses
// the records after it; a gap before it still stops; a partial connection is analysed only
// when its first bytes are a TPKT.
func TestRecover(t *testing.T) {
	a, r := newRecoverTest()
	a.DeliverStream(1, true, connectRequest("", 1))
	a.DeliverStream(2, false, connectConfirm(1))
	a.DeliverStream(3, true, clientHello())
	a.Gap(4, false, 10)
	a.DeliverStream(5, false, append(alert(), alert()...))
	if !r.has("ssl_alert") {
		t.Fatalf("no SSL analysis after a gap after the hand-off: %v", r.names)
	}

	a, r = newRecoverTest()
	a.DeliverStream(1, true, connectRequest("", 1))
	a.Gap(2, true, 10)
	a.DeliverStream(3, false, connectConfirm(1))
	a.DeliverStream(4, true, clientHello())
	if len(r.names) != 0 {
		t.Fatalf("events after a gap before the hand-off: %v", r.names)
	}

	for _, first := range [][]byte{connectRequest("", 1), {0x16, 3, 1, 0, 5}} {
		a, r = newRecoverTest()
		r.partial = true
		a.DeliverStream(1, true, first)
		a.DeliverStream(2, false, connectConfirm(1))
		a.DeliverStream(3, true, clientHello())
		if got := r.has("ssl_client_hello"); got != (first[0] == 3) {
			t.Fatalf("partial connection starting %x: ssl_client_hello %v (%v)", first[:2], got, r.names)
		}
	}
}
