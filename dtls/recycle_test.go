package dtls

import (
	"runtime"
	"testing"

	"github.com/tlsmon/tlsmon"
	"github.com/tlsmon/tlsmon/analyzer"
	"github.com/tlsmon/tlsmon/ssl"
)

// The ssl sink gives its handshake's event structs (≈ 2.2 kB) back to its ssl.Shared when
// the analyzer is done, whether it ran to the end or detached, so that the next
// connection reuses them: a connection's lifecycle then allocates only its small
// per-connection objects.
func TestSSLSinkRecycledAtDone(t *testing.T) {
	env := &analyzer.Env{Conn: &tlsmon.Conn{}, Events: tlsmon.HandlerFunc(func(tlsmon.Event) {}), Detach: func() {}}
	done := cat(hsRecord(1, 14, 0, 2, 0, nil)) // server hello done: parsed, nothing to detach for
	bad := cat(hsRecord(1, 77, 0, 2, 0, nil))  // unknown message type: a violation, then a detach
	cfg := Config{SSL: ssl.NewShared(ssl.Config{})}
	for _, tc := range []struct {
		name     string
		datagram []byte
		detached bool
	}{{"ended", done, false}, {"detached", bad, true}} {
		conn := func() {
			a := NewConfig(env, cfg)
			a.DeliverPacket(1, false, tc.datagram)
			if a.detached != tc.detached {
				t.Fatalf("%s: detached %v", tc.name, a.detached)
			}
			a.Done(2)
		}
		for range 10 {
			conn() // warm the free list
		}
		const n = 200
		var m0, m1 runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&m0)
		for range n {
			conn()
		}
		runtime.ReadMemStats(&m1)
		per := (m1.TotalAlloc - m0.TotalAlloc) / n
		t.Logf("%s: %d bytes allocated per connection", tc.name, per)
		if per > 1500 {
			t.Errorf("%s: %d bytes allocated per connection, want the event structs reused", tc.name, per)
		}
	}
}
