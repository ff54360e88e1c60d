package rdp

import (
	"testing"

	"github.com/tlsmon/tlsmon"
	"github.com/tlsmon/tlsmon/analyzer"
)

// FuzzRDP feeds arbitrary bytes, in two directions and chunks of varying size, to the
// analyzer attached by port and by content. It must never panic; events carry the
// connection; at most one RDP violation is raised; nothing is raised after Done.
func FuzzRDP(f *testing.F) {
	f.Add(connectRequest("user", 3), append(connectConfirm(2), alert()...), uint8(5), false)
	f.Add(append(connectRequest("", 1), clientHello()...), append(connectConfirm(1), alert()...), uint8(200), true)
	f.Add([]byte("\x03\x00\x00\x01Cookie: mstshash=x\r\n"), []byte("\x03\x00\x00\x0b\x06\xd0\x00\x00\x00\x00\x00McDn"), uint8(1), true)
	f.Fuzz(func(t *testing.T, orig, resp []byte, split uint8, byContent bool) {
		port := uint16(3389)
		if byContent {
			port = 9999
		}
		conn := testConn(port)
		done := false
		rdpViolations := 0
		h := tlsmon.HandlerFunc(func(e tlsmon.Event) {
			if e.EventMeta().Conn != conn {
				t.Fatalf("%s without the connection", e.Name())
			}
			if done {
				t.Fatalf("%s after Done", e.Name())
			}
			if v, ok := e.(*tlsmon.AnalyzerViolation); ok && v.Analyzer == "RDP" {
				rdpViolations++
			}
		})
		env := &analyzer.Env{Conn: conn, Events: h, Detach: func() {}, Options: analyzer.Options{AnalyzeEncrypted: true}}
		a := New(env)
		n := int(split%64) + 1
		for len(orig) > 0 || len(resp) > 0 {
			k := min(n, len(orig))
			a.DeliverStream(1, true, orig[:k])
			orig = orig[k:]
			k = min(n+1, len(resp))
			a.DeliverStream(2, false, resp[:k])
			resp = resp[k:]
		}
		a.EndOfData(3, true)
		a.Done(3)
		done = true
		a.DeliverStream(4, true, []byte{3, 0, 0, 1})
		if rdpViolations > 1 {
			t.Fatalf("%d RDP violations", rdpViolations)
		}
	})
}
