package dtls

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/tlsmon/tlsmon"
	"github.com/tlsmon/tlsmon/analyzer"
)

func (h *harness) trace() string {
	var b strings.Builder
	for _, c := range h.sink.calls {
		fmt.Fprintln(&b, c)
	}
	return b.String()
}

func TestHelloVerifyRequestFlow(t *testing.T) {
	h := newHarness()
	ch1 := seqBytes(60)
	hvr := seqBytes(23)
	ch2 := seqBytes(80)
	// ClientHello without cookie, in two fragments in two datagrams.
	h.a.DeliverPacket(1, true, hsRecord(0, 1, 60, 0, 0, ch1[:40]))
	h.a.DeliverPacket(2, true, hsRecord(1, 1, 60, 0, 40, ch1[40:]))
	// HelloVerifyRequest.
	h.a.DeliverPacket(3, false, hsRecord(0, 3, 23, 0, 0, hvr))
	// ClientHello with cookie: message_seq 1, fragments reversed in one datagram.
	h.a.DeliverPacket(4, true, cat(hsRecord(3, 1, 80, 1, 50, ch2[50:]), hsRecord(2, 1, 80, 1, 0, ch2[:50])))

	want := []call{
		{Kind: "rec", Ts: 1, IsOrig: true, ContentType: 22, Version: VersionDTLS12, Length: 12 + 40},
		{Kind: "hs", Ts: 2, IsOrig: true, MsgType: 1, Length: 60, Version: VersionDTLS12, Body: ch1},
		{Kind: "rec", Ts: 2, IsOrig: true, ContentType: 22, Version: VersionDTLS12, Length: 12 + 20},
		{Kind: "hs", Ts: 3, IsOrig: false, MsgType: 3, Length: 23, Version: VersionDTLS12, Body: hvr},
		{Kind: "rec", Ts: 3, IsOrig: false, ContentType: 22, Version: VersionDTLS12, Length: 12 + 23},
		{Kind: "rec", Ts: 4, IsOrig: true, ContentType: 22, Version: VersionDTLS12, Length: 12 + 30},
		{Kind: "hs", Ts: 4, IsOrig: true, MsgType: 1, Length: 80, Version: VersionDTLS12, Body: ch2},
		{Kind: "rec", Ts: 4, IsOrig: true, ContentType: 22, Version: VersionDTLS12, Length: 12 + 50},
	}
	checkCalls(t, h, want)
	if len(h.violations()) != 0 || h.detaches != 0 {
		t.Fatalf("violations %q detaches %d", h.violations(), h.detaches)
	}
	if !h.a.Confirmed() {
		t.Fatal("not confirmed after ClientHello")
	}
}

func checkCalls(t *testing.T, h *harness, want []call) {
	t.Helper()
	got := h.sink.calls
	if len(got) != len(want) {
		t.Fatalf("got %d calls, want %d:\n%s", len(got), len(want), h.trace())
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.Kind != w.Kind || g.Ts != w.Ts || g.IsOrig != w.IsOrig || g.MsgType != w.MsgType || g.Length != w.Length ||
			g.ContentType != w.ContentType || g.Version != w.Version || g.Encrypted != w.Encrypted || !bytes.Equal(g.Body, w.Body) {
			t.Fatalf("call %d: got %v want %v\n%s", i, got[i], want[i], h.trace())
		}
	}
}

func TestRecordKindsInOneDatagram(t *testing.T) {
	h := newHarness()
	d := cat(
		hsRecord(5, 16, 4, 2, 0, []byte{1, 2, 3, 4}),
		record(ContentChangeCipherSpec, VersionDTLS12, 0, 6, []byte{1}),
		record(ContentHandshake, VersionDTLS12, 1, 0, seqBytes(48)), // encrypted Finished
		record(ContentAlert, VersionDTLS12, 0, 7, nil),              // empty: nothing
		record(ContentAlert, VersionDTLS12, 1, 1, seqBytes(26)),
	)
	h.a.DeliverPacket(9, true, d)
	want := []call{
		{Kind: "hs", Ts: 9, IsOrig: true, MsgType: 16, Length: 4, Version: VersionDTLS12, Body: []byte{1, 2, 3, 4}},
		{Kind: "rec", Ts: 9, IsOrig: true, ContentType: 22, Version: VersionDTLS12, Length: 16},
		{Kind: "rec", Ts: 9, IsOrig: true, ContentType: 20, Version: VersionDTLS12, Length: 1},
		{Kind: "rec", Ts: 9, IsOrig: true, ContentType: 22, Version: VersionDTLS12, Length: 48, Encrypted: true},
		{Kind: "rec", Ts: 9, IsOrig: true, ContentType: 21, Version: VersionDTLS12, Length: 26, Encrypted: true},
	}
	checkCalls(t, h, want)
}

func TestUnifiedRecordsAfterDTLS13(t *testing.T) {
	h := newHarness()
	uni := cat([]byte{0x2e, 0x00, 0x01, 0x00, 0x14}, seqBytes(20))
	// Before DTLS 1.3 is negotiated, 0x2e is read as a DTLS 1.0/1.2 header: its "version"
	// is invalid and the datagram is dropped without a violation (not confirmed).
	h.a.DeliverPacket(1, false, uni)
	if len(h.sink.calls) != 0 || len(h.violations()) != 0 {
		t.Fatalf("unified header accepted before negotiation:\n%s", h.trace())
	}
	sh := serverHello13()
	h.a.DeliverPacket(2, false, cat(hsRecord(0, 2, uint32(len(sh)), 0, 0, sh), uni, uni))
	h.a.DeliverPacket(3, true, cat([]byte{0x3f, 'c', 'i', 'd', 0, 1, 0, 3}, seqBytes(3)))
	want := []call{
		{Kind: "hs", Ts: 2, MsgType: 2, Length: len(sh), Version: VersionDTLS12, Body: sh},
		{Kind: "rec", Ts: 2, ContentType: 22, Version: VersionDTLS12, Length: 12 + len(sh)},
		// Zeek takes the rest of the datagram as one record's payload.
		{Kind: "uni", Ts: 2, Length: 20 + len(uni), Version: VersionDTLS13, ContentType: 23, Encrypted: true},
		// With a connection id, everything after the first byte.
		{Kind: "uni", Ts: 3, IsOrig: true, Length: 10, Version: VersionDTLS13, ContentType: 23, Encrypted: true},
	}
	checkCalls(t, h, want)
}

func TestVersionToleranceUnconfirmed(t *testing.T) {
	h := newHarness()
	bad := record(ContentHandshake, 0x0303, 0, 0, seqBytes(20))
	for i := range MaxVersionErrors {
		h.a.DeliverPacket(int64(i), true, bad)
	}
	// Still listening: a valid record is parsed.
	h.a.DeliverPacket(100, true, record(ContentApplicationData, VersionDTLS10, 0, 1, seqBytes(3)))
	if len(h.sink.calls) != 1 {
		t.Fatalf("valid record after %d errors:\n%s", MaxVersionErrors, h.trace())
	}
	// Unconfirmed, the count is not reset: one more error stops the analyzer, silently.
	h.a.DeliverPacket(101, true, cat(bad, record(ContentApplicationData, VersionDTLS10, 0, 2, seqBytes(3))))
	h.a.DeliverPacket(102, true, record(ContentApplicationData, VersionDTLS10, 0, 3, seqBytes(3)))
	if len(h.sink.calls) != 1 || len(h.violations()) != 0 || h.detaches != 0 {
		t.Fatalf("after the limit: violations %q detaches %d\n%s", h.violations(), h.detaches, h.trace())
	}
}

func TestVersionErrorConfirmed(t *testing.T) {
	h := newHarness()
	h.a.DeliverPacket(1, true, hsRecord(0, 1, 3, 0, 0, []byte{0xfe, 0xfd, 0}))
	if !h.a.Confirmed() {
		t.Fatal("not confirmed")
	}
	bad := record(ContentApplicationData, 0xfefc, 0, 1, seqBytes(3))
	h.a.DeliverPacket(2, true, cat(bad, record(ContentApplicationData, VersionDTLS12, 0, 2, seqBytes(3))))
	v := h.violations()
	if len(v) != 1 || !strings.Contains(v[0], "Invalid version in DTLS connection. Packet reported version: 65276") {
		t.Fatalf("violations %q", v)
	}
	if h.detaches != 1 {
		t.Fatalf("detaches %d", h.detaches)
	}
	n := len(h.sink.calls)
	h.a.DeliverPacket(3, true, record(ContentApplicationData, VersionDTLS12, 0, 3, seqBytes(3)))
	if len(h.sink.calls) != n {
		t.Fatal("delivered after detaching")
	}
}

func TestViolationFinishesDatagramThenDetaches(t *testing.T) {
	h := newHarness()
	// A fragment far outside the window is a violation, but the datagram's records are
	// still processed (Zeek disables the analyzer from script land afterwards).
	h.a.DeliverPacket(1, true, hsRecord(0, 1, 100, 0, 0, seqBytes(40)))
	h.a.DeliverPacket(2, true, cat(hsRecord(0x8000, 1, 100, 0, 40, seqBytes(40)), record(ContentAlert, VersionDTLS12, 0, 0x8001, []byte{1, 0})))
	h.a.DeliverPacket(3, true, hsRecord(0x8002, 1, 100, 0, 80, seqBytes(20)))
	v := h.violations()
	if len(v) != 1 || !strings.Contains(v[0], "outside reassembly window") || h.detaches != 1 {
		t.Fatalf("violations %q detaches %d", v, h.detaches)
	}
	if len(h.sink.calls) != 3 {
		t.Fatalf("calls:\n%s", h.trace())
	}
}

func TestTruncatedRecords(t *testing.T) {
	for name, d := range map[string][]byte{
		"short header":           {22, 0xfe, 0xfd, 0, 0},
		"short body":             record(ContentAlert, VersionDTLS12, 0, 0, seqBytes(4))[:15],
		"short handshake header": record(ContentHandshake, VersionDTLS12, 0, 0, seqBytes(5)),
	} {
		t.Run(name, func(t *testing.T) {
			h := newHarness()
			h.a.DeliverPacket(1, true, cat(record(ContentAlert, VersionDTLS12, 0, 9, []byte{1, 0}), d))
			if len(h.sink.calls) != 1 || len(h.violations()) != 1 || h.detaches != 1 {
				t.Fatalf("violations %q detaches %d\n%s", h.violations(), h.detaches, h.trace())
			}
		})
	}
}

func TestSinkRecordError(t *testing.T) {
	h := newHarness()
	h.sink.recErr = errTestRecord
	h.a.DeliverPacket(1, true, record(ContentHeartbeat, VersionDTLS12, 0, 0, []byte{1}))
	if v := h.violations(); len(v) != 1 || !strings.Contains(v[0], errTestRecord.Error()) {
		t.Fatalf("violations %q", v)
	}
}

func TestSTUNSkipped(t *testing.T) {
	h := newHarness()
	stun := cat([]byte{0, 1, 0, 8, 0x21, 0x12, 0xa4, 0x42}, seqBytes(20))
	h.a.DeliverPacket(1, true, stun)
	h.a.DeliverPacket(2, true, record(ContentApplicationData, VersionDTLS12, 0, 0, seqBytes(3)))
	if len(h.sink.calls) != 1 || len(h.violations()) != 0 {
		t.Fatalf("violations %q\n%s", h.violations(), h.trace())
	}
}

func TestViolationsIgnoredOnLargeConnections(t *testing.T) {
	h := newHarness()
	big := record(ContentApplicationData, VersionDTLS12, 1, 0, seqBytes(IgnoreViolationsAfter))
	h.a.DeliverPacket(1, true, big)
	h.a.DeliverPacket(2, true, []byte{22, 0xfe})
	h.a.DeliverPacket(3, true, record(ContentApplicationData, VersionDTLS12, 1, 1, seqBytes(3)))
	if len(h.violations()) != 1 || h.detaches != 0 || len(h.sink.calls) != 2 {
		t.Fatalf("violations %q detaches %d\n%s", h.violations(), h.detaches, h.trace())
	}
}

// countSink counts calls without keeping anything.
type countSink struct{ n int }

func (s *countSink) Handshake(int64, bool, uint16, uint8, uint32, []byte) { s.n++ }
func (s *countSink) Record(int64, bool, uint8, uint16, []byte, bool) error {
	s.n++
	return nil
}
func (s *countSink) Unified(int64, bool, int)  { s.n++ }
func (s *countSink) NegotiatedVersion() uint16 { return 0 }
func (s *countSink) EndOfData(int64, bool)     {}
func (s *countSink) Done(int64)                {}

func TestDeliverPacketAllocatesNothing(t *testing.T) {
	sink := &countSink{}
	env := &analyzer.Env{Conn: &tlsmon.Conn{}, Events: tlsmon.HandlerFunc(func(tlsmon.Event) {}), Detach: func() {}}
	a := New(env, func(*analyzer.Env, Control) Sink { return sink })
	d := cat(hsRecord(1, 16, 4, 2, 0, []byte{1, 2, 3, 4}), record(ContentApplicationData, VersionDTLS12, 1, 1, seqBytes(30)))
	frag1, frag2 := hsRecord(2, 11, 100, 3, 0, seqBytes(50)), hsRecord(3, 11, 100, 3, 50, seqBytes(50))
	frag3, frag4 := hsRecord(4, 11, 100, 4, 0, seqBytes(50)), hsRecord(5, 11, 100, 4, 50, seqBytes(50))
	a.DeliverPacket(0, true, frag1) // sizes the reassembly buffer
	a.DeliverPacket(0, true, frag2)
	// Each run reassembles two messages (alternating message_seq restarts reassembly).
	allocs := testing.AllocsPerRun(100, func() {
		a.DeliverPacket(1, true, d)
		a.DeliverPacket(1, true, frag3)
		a.DeliverPacket(1, true, frag4)
		a.DeliverPacket(1, true, frag1)
		a.DeliverPacket(1, true, frag2)
	})
	if allocs != 0 || sink.n != 3+101*(3+3+3) {
		t.Fatalf("%.1f allocations per run, %d sink calls", allocs, sink.n)
	}
}

// A datagram that is not DTLS (a flood of one-datagram flows to port 443) makes no sink:
// the analyzer never builds a handshake parser for it.
func TestNoSinkWithoutDTLS(t *testing.T) {
	made := 0
	env := &analyzer.Env{Conn: &tlsmon.Conn{UID: "Ctest"}, Events: tlsmon.HandlerFunc(func(tlsmon.Event) {}), Detach: func() {}}
	a := New(env, func(*analyzer.Env, Control) Sink { made++; return &recSink{} })
	a.DeliverPacket(1, true, []byte("GET / HTTP/1.1\r\n\r\n"))
	if made != 0 || a.frags != nil {
		t.Fatalf("%d sinks made, reassembly state %v, for a datagram that is not DTLS", made, a.frags != nil)
	}
	a.DeliverPacket(2, true, hsRecord(1, 11, 100, 0, 0, seqBytes(50))) // half a message
	if a.frags == nil || a.Held() == 0 {
		t.Fatalf("reassembly state %v, %d bytes held after a handshake fragment", a.frags != nil, a.Held())
	}
	a.Done(3)
	if a.frags != nil || a.Held() != 0 {
		t.Fatal("reassembly state kept after Done")
	}
}
