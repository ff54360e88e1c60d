package ssl

import (
	"testing"

	"github.com/tlsmon/tlsmon"
)

// A released handshake's event structs may serve the next NewHandshake, which then raises
// its events for its own connection, handler and analyzer name only.
func TestHandshakeReleaseReuse(t *testing.T) {
	hello := hsMsg(hsClientHello, clientHelloBody(versionTLS12, seqRandom(1), nil, []uint16{0x2f}, nil))
	other := &tlsmon.Conn{UID: "Cother"}
	for i := 0; i < 3; i++ {
		r1, r2 := &recorder{}, &recorder{}
		var conns []*tlsmon.Conn
		h1 := NewHandshake(testConn, r1, "DTLS", Callbacks{})
		h1.Deliver(1, true, versionTLS12, hello)
		h1.Deliver(1, true, versionTLS12, make([]byte, 100)[:4]) // an incomplete message left behind
		h1.Release()
		h1.Release() // idempotent
		h2 := NewHandshake(other, tlsmon.HandlerFunc(func(e tlsmon.Event) {
			conns = append(conns, e.EventMeta().Conn)
			r2.HandleEvent(e)
		}), "SSL", Callbacks{})
		h2.Deliver(2, false, versionTLS12, hsMsg(99, nil)) // unknown type: a violation
		h2.Deliver(2, true, versionTLS12, hello)
		if len(r2.lines) == 0 || !r2.has("ssl_client_hello") {
			t.Fatalf("round %d: second handshake's events %q", i, r2.lines)
		}
		for _, c := range conns {
			if c != other {
				t.Fatalf("round %d: event for connection %v, want %v", i, c, other)
			}
		}
		if n := len(r1.lines); n == 0 || !r1.has("ssl_client_hello") {
			t.Fatalf("round %d: first handshake's events %q", i, r1.lines)
		}
		before := len(r1.lines)
		h2.Release()
		if len(r1.lines) != before {
			t.Fatalf("round %d: the released handshake's handler got events", i)
		}
	}
}
