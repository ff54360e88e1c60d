package ssl

import (
	"slices"
	"testing"
)

// DeliverMessage parses a whole message in place when nothing is buffered, and otherwise
// feeds header and body to the stream; either way the events are those of Deliver of the
// header then of the body, including what later deliveries complete.
func TestDeliverMessageAsDeliver(t *testing.T) {
	hello := clientHelloBody(versionTLS12, seqRandom(1), nil, []uint16{0x2f}, nil)
	chain := certChainMsg(2, 700)[4:]
	type msg struct {
		mt     uint8
		length int
		body   []byte
	}
	for _, tc := range []struct {
		name string
		msgs []msg
	}{
		{"whole", []msg{{hsClientHello, len(hello), hello}, {hsCertificate, len(chain), chain}, {hsServerHelloDone, 0, nil}}},
		// the second message's header and body complete the first one
		{"short body", []msg{{hsCertificate, len(chain), chain[:100]}, {hsServerHelloDone, 7, chain[104:]},
			{hsClientHello, len(hello), hello}}},
		{"long body", []msg{{hsServerHelloDone, 0, hsMsg(hsServerHelloDone, nil)}, {hsClientHello, len(hello), hello}}},
		{"too large", []msg{{hsCertificate, 6000, chain}, {hsClientHello, len(hello), hello}, {hsClientHello, len(hello), hello}}},
		{"malformed", []msg{{hsCertificate, 3, []byte{0, 0, 9}}, {hsClientHello, len(hello), hello}}},
	} {
		run := func(viaMessage bool) []string {
			r := &recorder{}
			h := NewHandshake(testConn, r, "DTLS", Callbacks{Violation: func(reason string, skip bool) {
				r.lines = append(r.lines, "violation "+reason)
			}})
			h.maxMsg = 5000
			defer h.Release()
			for i, m := range tc.msgs {
				ts := int64(i + 1)
				if viaMessage {
					h.DeliverMessage(ts, true, versionDTLS12, m.mt, uint32(m.length), m.body)
					continue
				}
				hdr := []byte{m.mt, byte(m.length >> 16), byte(m.length >> 8), byte(m.length)}
				h.Deliver(ts, true, versionDTLS12, hdr)
				h.Deliver(ts, true, versionDTLS12, m.body)
			}
			return r.lines
		}
		want, got := run(false), run(true)
		if !slices.Equal(got, want) || len(want) == 0 {
			t.Errorf("%s: events\n got %q\nwant %q", tc.name, got, want)
		}
	}
}
