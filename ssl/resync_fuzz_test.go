package ssl

import (
	"testing"

	"github.com/tlsmon/tlsmon"
	"github.com/tlsmon/tlsmon/analyzer"
)

// FuzzResync feeds arbitrary bytes to a direction resynchronising after a gap (and to a
// connection picked up mid-stream): no panic, a claimed boundary starts with a plausible
// header, and the bytes held while looking stay bounded.
func FuzzResync(f *testing.F) {
	c, s := tls12Flight()
	f.Add(append(append([]byte{1, 2, 3}, c[3]...), c[4]...), uint8(7), false)
	f.Add(append(append([]byte{0x17, 3, 3, 0, 1, 9}, s[1]...), s[2]...), uint8(3), true)
	f.Add(append([]byte{0x16, 3, 3, 0x40, 0}, s[0]...), uint8(1), true)
	f.Fuzz(func(t *testing.T, data []byte, split uint8, partial bool) {
		if off, ok := findBoundary(data, partial); ok {
			if _, plausible := plausibleHeader(data[off:]); !plausible {
				t.Fatalf("boundary at %d without a plausible header", off)
			}
		} else if off < 0 || off > len(data) {
			t.Fatalf("keep offset %d out of range", off)
		}
		env := &analyzer.Env{Conn: testConn, Events: tlsmon.HandlerFunc(func(tlsmon.Event) {}), Detach: func() {},
			Options: analyzer.Options{Recover: true, AnalyzeEncrypted: true}, Partial: func() bool { return partial }}
		a := New(env).(*Analyzer)
		a.DeliverStream(1, true, c[0])
		a.Gap(2, true, 100)
		n := int(split%64) + 1
		for len(data) > 0 && a.session() != nil {
			k := min(n, len(data))
			a.DeliverStream(3, true, data[:k])
			data = data[k:]
			if rs := &a.session().rs[0]; rs.active && len(rs.buf) >= 10+maxRecordLength {
				t.Fatalf("resync holds %d bytes", len(rs.buf))
			}
		}
		a.Done(4)
	})
}
