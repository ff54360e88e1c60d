package rdp

import (
	"strings"
	"testing"
)

func TestHandOffToSSL(t *testing.T) {
	for _, proto := range []uint32{1, 2, 8} { // SSL, HYBRID (CredSSP), HYBRID_EX
		a, r := newTest(3389, true)
		a.DeliverStream(1, true, connectRequest("user", 0xb))
		a.DeliverStream(2, false, connectConfirm(proto))
		if len(r.names) != 0 {
			t.Fatalf("proto %d: events before TLS: %v", proto, r.names)
		}
		a.DeliverStream(3, true, clientHello())
		if !r.has("ssl_client_hello") {
			t.Fatalf("proto %d: no ssl_client_hello after hand-off: %v", proto, r.names)
		}
		if len(r.violations) != 0 || r.detached != 0 {
			t.Fatalf("proto %d: violations %v detached %d", proto, r.violations, r.detached)
		}
		a.Done(4)
	}
}

func TestNoHandOffForStandardRDPSecurity(t *testing.T) {
	a, r := newTest(3389, true)
	a.DeliverStream(1, true, connectRequest("", 0))
	a.DeliverStream(2, false, connectConfirm(0))
	a.DeliverStream(3, true, clientHello())
	if len(r.names) != 0 {
		t.Fatalf("events without TLS negotiated: %v", r.names)
	}
	// A confirm without a negotiation response does not hand off either.
	a, r = newTest(3389, true)
	a.DeliverStream(1, true, connectRequest("", 0))
	a.DeliverStream(2, false, tpkt(cotp(pduConnectConfirm, []byte{0, 0, 0x12, 0x34, 0})))
	a.DeliverStream(3, true, clientHello())
	if len(r.names) != 0 {
		t.Fatalf("events without negotiation response: %v", r.names)
	}
}

// Bytes in the delivery that carried the confirm are parsed as RDP, not TLS; only later
// deliveries reach the SSL analyzer.
func TestSameDeliveryStaysRDP(t *testing.T) {
	a, r := newTest(3389, true)
	a.DeliverStream(1, true, connectRequest("", 1))
	a.DeliverStream(2, false, append(connectConfirm(1), alert()...))
	if r.has("ssl_alert") {
		t.Fatalf("bytes after the confirm in the same delivery reached SSL: %v", r.names)
	}
	a.DeliverStream(3, false, alert())
	if !r.has("ssl_alert") {
		t.Fatalf("alert after hand-off not seen: %v", r.names)
	}
}

func TestSplitFrames(t *testing.T) {
	a, r := newTest(3389, true)
	stream := append(connectRequest("a-long-cookie-value", 3), 0)[:len(connectRequest("a-long-cookie-value", 3))]
	for i := range stream {
		a.DeliverStream(1, true, stream[i:i+1])
	}
	conf := connectConfirm(2)
	a.DeliverStream(2, false, conf[:3])
	a.DeliverStream(2, false, conf[3:9])
	a.DeliverStream(2, false, conf[9:])
	a.DeliverStream(3, true, clientHello())
	if !r.has("ssl_client_hello") || len(r.violations) != 0 {
		t.Fatalf("split frames: events %v violations %v", r.names, r.violations)
	}
	// Two frames in one delivery, the confirm second.
	a, r = newTest(3389, true)
	a.DeliverStream(2, false, append(tpkt(cotp(0x80, []byte{1, 2, 3})), connectConfirm(1)...))
	a.DeliverStream(3, true, clientHello())
	if !r.has("ssl_client_hello") {
		t.Fatalf("confirm after another frame: %v", r.names)
	}
}

func TestViolations(t *testing.T) {
	badLen := append([]byte{0, 0, 0x12, 0x34, 0}, negRecord(negResponse, 0, 9, 1)...)
	badType := append([]byte{0, 0, 0x12, 0x34, 0}, negRecord(0x31, 0, 8, 1)...)
	tests := []struct {
		name  string
		orig  bool
		frame []byte
	}{
		{"negotiation length", false, tpkt(cotp(pduConnectConfirm, badLen))},
		{"confirm record type", false, tpkt(cotp(pduConnectConfirm, badType))},
		{"confirm truncated", false, tpkt(cotp(pduConnectConfirm, []byte{0, 0, 1}))},
		{"negotiation truncated", false, tpkt(cotp(pduConnectConfirm, []byte{0, 0, 0, 0, 0, negResponse, 0, 8}))},
		{"tpkt too short", true, []byte{3, 0, 0, 4}},
		{"tpkt length below header", true, []byte{3, 0, 0, 1}},
		{"cookie without CRLF", true, tpkt(cotp(pduConnectRequest, []byte("\x00\x00\x00\x00\x00Cookie: mstshash=abc")))},
		{"request negotiation length", true, tpkt(cotp(pduConnectRequest, append([]byte{0, 0, 0, 0, 0}, negRecord(1, 0, 7, 1)...)))},
		{"data header truncated", true, tpkt(cotp(pduData, []byte{0x80}))},
	}
	for _, tc := range tests {
		a, r := newTest(3389, true)
		a.DeliverStream(1, tc.orig, tc.frame)
		if len(r.violations) != 1 || !strings.HasPrefix(r.violations[0], "RDP: ") || r.detached != 1 {
			t.Errorf("%s: violations %v detached %d", tc.name, r.violations, r.detached)
			continue
		}
		// Nothing more happens, even a valid confirm and TLS.
		a.DeliverStream(2, false, connectConfirm(1))
		a.DeliverStream(3, true, clientHello())
		if len(r.names) != 1 {
			t.Errorf("%s: events after the violation: %v", tc.name, r.names)
		}
	}
}

func TestValidFramesAreNotViolations(t *testing.T) {
	frames := [][]byte{
		connectRequest("", 0),
		connectRequest("x", 1),
		tpkt(cotp(pduConnectRequest, []byte{0, 0, 0, 0, 0})), // no negotiation request
		tpkt(cotp(pduConnectConfirm, append([]byte{0, 0, 0, 0, 0}, negRecord(negFailure, 0, 8, 5)...))),
		tpkt(cotp(pduData, []byte{0x80, 0x7f, 0x67, 1, 2})), // MCS data, not analyzed
		tpkt(cotp(0x70, nil)), // other PDU
	}
	for i, f := range frames {
		a, r := newTest(3389, true)
		a.DeliverStream(1, true, f)
		if len(r.violations) != 0 || r.detached != 0 {
			t.Errorf("frame %d: violations %v detached %d", i, r.violations, r.detached)
		}
	}
}

func TestGapStops(t *testing.T) {
	a, r := newTest(3389, true)
	a.DeliverStream(1, true, connectRequest("", 1))
	a.Gap(2, true, 10)
	a.DeliverStream(3, false, connectConfirm(1))
	a.DeliverStream(4, true, clientHello())
	if len(r.names) != 0 {
		t.Fatalf("events after a gap before the hand-off: %v", r.names)
	}
	a, r = newTest(3389, true)
	a.DeliverStream(1, true, connectRequest("", 1))
	a.DeliverStream(2, false, connectConfirm(1))
	a.DeliverStream(3, true, clientHello())
	n := len(r.names)
	a.Gap(4, false, 10)
	a.DeliverStream(5, false, alert())
	if len(r.names) != n {
		t.Fatalf("events after a gap after the hand-off: %v", r.names[n:])
	}
}

func TestPartialIgnored(t *testing.T) {
	a, r := newTest(3389, true)
	r.partial = true
	a.DeliverStream(1, true, connectRequest("", 1))
	a.DeliverStream(2, false, connectConfirm(1))
	a.DeliverStream(3, true, clientHello())
	a.DeliverStream(4, true, []byte{3, 0, 0, 1})
	if len(r.names) != 0 || r.detached != 0 {
		t.Fatalf("partial connection analyzed: %v", r.names)
	}
}

// With SSL's default of detaching after the handshake, the SSL child's detach removes the
// RDP analyzer too.
func TestChildDetachPropagates(t *testing.T) {
	a, r := newTest(3389, false)
	a.DeliverStream(1, true, connectRequest("", 1))
	a.DeliverStream(2, false, connectConfirm(1))
	a.DeliverStream(3, true, []byte{0x16, 9, 9, 0, 1, 0}) // an SSL violation (bad record version)
	if r.detached == 0 {
		t.Fatalf("SSL detach not propagated: %v %v", r.names, r.violations)
	}
	if len(r.violations) != 1 || !strings.HasPrefix(r.violations[0], "SSL: ") {
		t.Fatalf("want one SSL violation, got %v", r.violations)
	}
}

func TestDoneAndLateCalls(t *testing.T) {
	a, r := newTest(3389, true)
	a.DeliverStream(1, true, connectRequest("", 1))
	a.DeliverStream(2, false, connectConfirm(1))
	a.DeliverStream(3, true, clientHello())
	a.EndOfData(4, true)
	a.Done(5)
	n := len(r.names)
	a.DeliverStream(6, true, clientHello())
	a.Gap(6, true, 1)
	a.EndOfData(6, false)
	a.Done(7)
	if len(r.names) != n {
		t.Fatalf("events after Done: %v", r.names[n:])
	}
}
