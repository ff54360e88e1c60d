package quic

import (
	"testing"

	"github.com/tlsmon/tlsmon"
)

func (h *harness) weirds() []string {
	var out []string
	for _, e := range h.events {
		if w, ok := e.(*tlsmon.Weird); ok {
			out = append(out, w.WeirdName+" "+w.Addl)
		}
	}
	return out
}

func sameStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

var shortPkt = []byte{0x40, 1, 2, 3, 4, 5, 6, 7, 8, 9}

// TestSpuriousShortHeader: short-header packets without a QUIC session (no Initial,
// Handshake or 0-RTT packet seen) raise Zeek's script weird at 1, 2, 4, 8... packets per
// direction.
func TestSpuriousShortHeader(t *testing.T) {
	h := newHarness(Config{})
	for i := range 9 {
		h.a.DeliverPacket(int64(i), true, shortPkt)
	}
	h.a.DeliverPacket(10, false, shortPkt)
	want := []string{WeirdSpuriousShortHeader + " 1", WeirdSpuriousShortHeader + " 2", WeirdSpuriousShortHeader + " 4",
		WeirdSpuriousShortHeader + " 8", WeirdSpuriousShortHeader + " 1"}
	if got := h.weirds(); !sameStrings(got, want) {
		t.Fatalf("weirds %q, want %q", got, want)
	}
}

// TestSessionWeirds: with a session the short headers are history, not weirds; a
// CONNECTION_CLOSE frame ends the session, after which short headers and discarded
// packets (fixed bit clear, once an Initial was decrypted) are weirds again.
func TestSessionWeirds(t *testing.T) {
	h := newHarness(Config{})
	h.a.DeliverPacket(1, true, clientInitial(t, dcidA, dcidA, 0, cryptoFrame(0, message(100))))
	h.a.DeliverPacket(2, true, shortPkt)
	h.a.DeliverPacket(3, true, shortPkt)
	if got := h.weirds(); len(got) != 0 {
		t.Fatalf("weirds with a session: %q", got)
	}
	h.a.DeliverPacket(4, false, serverInitial(t, dcidA, 0, []byte{frameConnClose, 0, 0, 0}))
	h.a.DeliverPacket(5, true, shortPkt)           // the client's third: no threshold
	h.a.DeliverPacket(6, true, shortPkt)           // the fourth
	h.a.DeliverPacket(7, true, []byte{0x0f, 1, 2}) // fixed bit clear
	want := []string{WeirdSpuriousShortHeader + " 4", WeirdSpuriousDiscarded + " "}
	if got := h.weirds(); !sameStrings(got, want) {
		t.Fatalf("weirds %q, want %q", got, want)
	}
}

// TestHistoryAndProtocols: the session's history stops at QUIC::max_history_length with a
// weird; a client ALPN offer of several protocols is QUIC_many_protocols.
func TestHistoryAndProtocols(t *testing.T) {
	h := newHarness(Config{})
	pkt := clientInitial(t, dcidA, dcidA, 0, []byte{framePing})
	for i := range maxHistory + 5 {
		h.a.DeliverPacket(int64(i), true, pkt)
	}
	childEvents{h.a}.HandleEvent(&tlsmon.SSLExtensionApplicationLayerProtocolNegotiation{IsClient: true,
		Protocols: [][]byte{[]byte("h3"), []byte("h3-29")}})
	want := []string{WeirdMaxHistory + " ", WeirdManyProtocols + " [h3, h3-29]"}
	if got := h.weirds(); !sameStrings(got, want) {
		t.Fatalf("weirds %q, want %q", got, want)
	}
}
