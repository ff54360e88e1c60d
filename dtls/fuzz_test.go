package dtls

import (
	"testing"

	"github.com/tlsmon/tlsmon"
	"github.com/tlsmon/tlsmon/analyzer"
)

// splitDatagrams cuts fuzz input into datagrams: each is a 2-byte prefix (top bit: from
// the originator; 15 bits: length) and that many bytes (fewer at the end).
func splitDatagrams(data []byte, fn func(isOrig bool, d []byte)) {
	for len(data) >= 2 {
		isOrig := data[0]&0x80 != 0
		n := min(int(data[0]&0x7f)<<8|int(data[1]), len(data)-2)
		fn(isOrig, data[2:2+n])
		data = data[2+n:]
	}
}

func joinDatagrams(parts ...[]byte) []byte {
	var b []byte
	for i, p := range parts {
		h := byte(len(p) >> 8)
		if i%2 == 0 {
			h |= 0x80
		}
		b = append(b, h, byte(len(p)))
		b = append(b, p...)
	}
	return b
}

// FuzzDTLSRecords runs datagrams through the whole DTLS analyzer (record layer, version
// tolerance, fragment reassembly and the ssl handshake layer), in both analysis modes,
// with and without tight memory caps, and checks that it neither panics nor exceeds its
// caps, that the caps' accounting matches the buffers held and is returned in full, and
// that events stop after a detach.
func FuzzDTLSRecords(f *testing.F) {
	sh := serverHello13()
	f.Add(joinDatagrams(
		cat(hsRecord(0, 1, 60, 0, 0, seqBytes(40))),
		cat(hsRecord(0, 3, 3, 0, 0, []byte{0xfe, 0xff, 0})),
		cat(hsRecord(1, 1, 60, 0, 40, seqBytes(20)), record(ContentChangeCipherSpec, VersionDTLS12, 0, 2, []byte{1}), record(ContentHandshake, VersionDTLS12, 1, 0, seqBytes(30))),
		cat(hsRecord(1, 2, uint32(len(sh)), 0, 0, sh), []byte{0x2e, 0, 1, 0, 4}, seqBytes(4)),
		cat([]byte{0x3f, 1, 2, 3}, seqBytes(9)),
	))
	f.Add(joinDatagrams(record(ContentAlert, VersionDTLS10, 0, 0, []byte{2, 40, 1}), record(ContentHeartbeat, VersionDTLS12, 0, 1, []byte{1, 0, 5, 1, 2})))
	f.Add(joinDatagrams(hsRecord(0, 11, 3000, 0, 0, seqBytes(100)), hsRecord(0, 11, 900, 0, 0, seqBytes(100)),
		hsRecord(1, 11, 3000, 0, 100, seqBytes(100)), hsRecord(1, 11, 900, 0, 100, seqBytes(800))))
	f.Fuzz(func(t *testing.T, data []byte) {
		for i, encrypt := range []bool{false, true} {
			cfg := Config{NewSink: NewSSLSink} // default per-connection cap, no global cap
			if i == 1 {
				cfg.MaxConnBuffered, cfg.Budget = 2000, NewBudget(1500)
			}
			var detached, afterDetach bool
			env := &analyzer.Env{Conn: &tlsmon.Conn{UID: "Cfuzz"}, Options: analyzer.Options{AnalyzeEncrypted: encrypt}}
			env.Events = tlsmon.HandlerFunc(func(e tlsmon.Event) {
				if detached {
					afterDetach = true
				}
				if se, ok := e.(tlsmon.SSLEvent); ok {
					_ = tlsmon.AppendCanonical(nil, se)
				}
			})
			env.Detach = func() { detached = true }
			a := NewConfig(env, cfg)
			var ts int64
			splitDatagrams(data, func(isOrig bool, d []byte) {
				ts++
				a.DeliverPacket(ts, isOrig, d)
				held := 0
				if a.frags != nil {
					if a.client.Buffered() > MaxHandshakeMessage || a.server.Buffered() > MaxHandshakeMessage {
						t.Fatalf("reassembly holds %d/%d bytes", a.client.Buffered(), a.server.Buffered())
					}
					held = a.client.Held() + a.server.Held()
					if held != a.Held() || held > a.mem.max {
						t.Fatalf("buffers hold %d bytes, accounted %d, cap %d", held, a.Held(), a.mem.max)
					}
				}
				if cfg.Budget != nil && (cfg.Budget.Stats().Used != int64(held) || held > 1500) {
					t.Fatalf("buffers hold %d bytes, budget %+v", held, cfg.Budget.Stats())
				}
			})
			a.Done(ts + 1)
			if a.Held() != 0 || cfg.Budget != nil && cfg.Budget.Stats().Used != 0 {
				t.Fatalf("after Done: held %d, budget %+v", a.Held(), cfg.Budget)
			}
			if afterDetach {
				t.Fatal("event after detach")
			}
		}
		// The header parsers on their own.
		for cid := range 4 {
			if h, p, err := ParseUnifiedHeader(data, cid); err == nil && (h.HeaderLen+len(p) > len(data) || len(p) != h.Length) {
				t.Fatalf("unified header %+v with %d payload bytes from %d", h, len(p), len(data))
			}
		}
		if len(data) > 0 && IsUnifiedHeader(data[0]) {
			if p, err := zeekUnifiedPayload(data); err == nil && len(p) >= len(data) {
				t.Fatal("unified payload includes its header")
			}
		}
	})
}
