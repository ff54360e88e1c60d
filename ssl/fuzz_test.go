package ssl

import (
	"slices"
	"testing"

	"github.com/tlsmon/tlsmon"
	"github.com/tlsmon/tlsmon/analyzer"
)

// FuzzRecordLayer feeds arbitrary bytes, split into two directions and several chunks, to
// the analyzer. It must never panic, and events must carry the connection; analyzers with
// a message cache raise the same events as without.
func FuzzRecordLayer(f *testing.F) {
	c, s := tls12Flight()
	f.Add(c[0], s[0], uint8(7))
	f.Add(append(c[2], c[3]...), s[1], uint8(1))
	f.Add([]byte{0x80, 0x0c, 1, 0, 2, 0, 3, 0, 0, 0, 1, 1, 0, 0x80}, []byte{0x80, 5, 4, 0, 1, 0, 2}, uint8(3))
	// a certificate message the message cache takes, beginning a record split over segments
	big := slices.Concat(record(ctHandshake, versionTLS12, hsMsg(hsServerHello, serverHelloBody(versionTLS12, seqRandom(9), nil, 0x2f, nil))),
		record(ctHandshake, versionTLS12, certChainMsg(1, 17000)[:16384]), record(ctHandshake, versionTLS12, certChainMsg(1, 17000)[16384:]))
	f.Add(c[0], big, uint8(200))
	f.Fuzz(func(t *testing.T, orig, resp []byte, split uint8) {
		// Each run also goes through analyzers with a message cache (a Shared), twice so
		// that the second finds the first's messages: the cache changes no event.
		sh := NewShared(Config{})
		for _, enc := range []bool{false, true} {
			var want []string
			for i, shared := range []*Shared{nil, sh, sh} {
				r := &tsRecorder{}
				h := tlsmon.HandlerFunc(func(e tlsmon.Event) {
					if e.EventMeta().Conn == nil {
						t.Fatalf("%s without connection", e.Name())
					}
					r.HandleEvent(e)
				})
				env := &analyzer.Env{Conn: testConn, Events: h, Detach: func() {}, Options: analyzer.Options{AnalyzeEncrypted: enc}}
				a := newAnalyzer(env, shared)
				n := int(split%32) + 1
				if split >= 200 {
					n = 1460
				}
				o, p := orig, resp
				for len(o) > 0 || len(p) > 0 {
					k := min(n, len(o))
					a.DeliverStream(1, true, o[:k])
					o = o[k:]
					k = min(n, len(p))
					a.DeliverStream(2, false, p[:k])
					p = p[k:]
				}
				a.Done(3)
				if i == 0 {
					want = r.lines
				} else if !slices.Equal(r.lines, want) {
					t.Fatalf("with the message cache (run %d), events differ:\n got %q\nwant %q", i, r.lines, want)
				}
			}
		}
	})
}

// FuzzHandshake feeds arbitrary message bodies to the handshake layer under different
// negotiated states.
func FuzzHandshake(f *testing.F) {
	f.Add(uint8(hsClientHello), clientHelloBody(versionTLS12, seqRandom(1), []byte{1}, []uint16{1, 2},
		[]ext{{0, prefixed16(append([]byte{0}, prefixed16([]byte("a.b"))...))}, {43, prefixed8(u16s(0x0304))}}), uint8(0))
	f.Add(uint8(hsServerHello), serverHelloBody(versionTLS12, seqRandom(2), nil, 0xc02f, []ext{{18, prefixed16(prefixed16(sctBody()))}}), uint8(1))
	f.Add(uint8(hsCertificate), certMsg([][]byte{[]byte("a"), nil}), uint8(2))
	f.Add(uint8(hsServerKeyExchange), append([]byte{3, 0, 23}, prefixed8([]byte{4})...), uint8(3))
	f.Add(uint8(hsCertificateRequest), append(prefixed8([]byte{1}), prefixed16(nil)...), uint8(4))
	f.Fuzz(func(t *testing.T, typ uint8, body []byte, state uint8) {
		h := NewHandshake(testConn, tlsmon.HandlerFunc(func(tlsmon.Event) {}), "SSL", Callbacks{})
		ciphers := []uint32{0xc02f, 0x0033, 0xc018, 0x0034, 0x002f, 0x1301}
		h.chosenCipher = ciphers[int(state)%len(ciphers)]
		versions := []uint16{versionTLS10, versionTLS12, versionTLS13, 0x7f12, versionDTLS10}
		h.chosenVersion = versions[int(state/8)%len(versions)]
		h.Message(1, state&1 == 0, typ, body, len(body))
		// and as a stream, split in two records
		msg := append([]byte{typ, byte(len(body) >> 16), byte(len(body) >> 8), byte(len(body))}, body...)
		k := int(state) % (len(msg) + 1)
		h.Deliver(2, true, versionTLS12, msg[:k])
		h.Deliver(2, true, versionTLS12, msg[k:])
	})
}
