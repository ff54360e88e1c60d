package engine

import (
	"bytes"
	"testing"

	"github.com/tlsmon/tlsmon"
	"github.com/tlsmon/tlsmon/analyzer"
	"github.com/tlsmon/tlsmon/capture"
	"github.com/tlsmon/tlsmon/packet"
)

// violAnalyzer confirms its protocol on "HELLO" and raises a violation on "BAD" (ignored,
// as DPD ignores it past 10 KiB, when the payload also holds "LATE").
type violAnalyzer struct{ recAnalyzer }

func (a *violAnalyzer) DeliverStream(ts int64, isOrig bool, data []byte) {
	a.recAnalyzer.DeliverStream(ts, isOrig, data)
	if bytes.Contains(data, []byte("BAD")) {
		a.env.Events.HandleEvent(&tlsmon.AnalyzerViolation{Meta: tlsmon.Meta{Ts: ts, Conn: a.env.Conn},
			Analyzer: "TEST", Reason: "bad", Ignored: bytes.Contains(data, []byte("LATE"))})
	}
}

func newViolHarness() *harness {
	h := newHarness(analyzer.Spec{Name: "TEST", TCPPorts: []uint16{9999}}, Limits{})
	spec := analyzer.Spec{Name: "TEST", TCPPorts: []uint16{9999}, New: func(env *analyzer.Env) analyzer.Analyzer {
		return &violAnalyzer{recAnalyzer{env: env}}
	}}
	h.e = New(Options{Analyzers: []analyzer.Spec{spec}, Handler: tlsmon.HandlerFunc(func(ev tlsmon.Event) {
		if x, ok := ev.(*tlsmon.ConnectionStateRemove); ok {
			c := *x
			h.removed = append(h.removed, &c)
		}
	})})
	return h
}

// TestServiceRemovedOnViolation: as Zeek's dpd.zeek, a violation that makes a confirmed
// analyzer fail removes its service from conn.log; one DPD ignores leaves it.
func TestServiceRemovedOnViolation(t *testing.T) {
	for _, c := range []struct {
		data    string
		service []string
	}{
		{"HELLO", []string{"test"}},
		{"HELLO BAD", nil},
		{"HELLO BAD LATE", []string{"test"}},
	} {
		h := newViolHarness()
		h.handshake()
		h.tcp(4, true, fPA, 101, 501, c.data)
		h.e.Flush()
		if len(h.removed) != 1 {
			t.Fatalf("%q: %d removals", c.data, len(h.removed))
		}
		if got := h.removed[0].Stats.Service; len(got) != len(c.service) || len(got) == 1 && got[0] != c.service[0] {
			t.Errorf("%q: service %v, want %v", c.data, got, c.service)
		}
	}
}

// TestDeferredCloseExtendsDuration: a FIN that comes while the peer's data is not yet
// acknowledged does not close the side (Zeek's close_deferred), so the packets until the
// acknowledgement still count in the connection's duration.
func TestDeferredCloseExtendsDuration(t *testing.T) {
	const s = 1_000_000
	h := newHarness(analyzer.Spec{Name: "TEST", TCPPorts: []uint16{9999}}, Limits{})
	h.tcp(1*s, true, fS, 100, 0, "")
	h.tcp(2*s, false, fSA, 500, 101, "")
	h.tcp(3*s, true, fA, 101, 501, "")
	h.tcp(4*s, true, fPA, 101, 501, "abc") // not acknowledged yet
	h.tcp(5*s, true, fFA, 104, 501, "")    // client FIN: closes the client's side
	h.tcp(6*s, false, fFA, 501, 101, "")   // server FIN: the client's data is pending
	h.tcp(9*s, false, fA, 502, 105, "")    // the server acknowledges: end of data, close
	h.tcp(12*s, true, fA, 105, 502, "")    // after both closed: not counted
	h.e.Flush()
	if len(h.removed) != 1 {
		t.Fatalf("%d removals", len(h.removed))
	}
	if st := h.removed[0].Stats; st.Duration != 8*s || st.State != "SF" {
		t.Fatalf("duration %d state %s, want %d SF", st.Duration, st.State, 8*s)
	}
}

// TestNegativeTimestampDropped: a frame with a negative time (a 32-bit pcap time past 2038
// read as signed) is dropped with the weird negative_packet_timestamp, at the network time
// of the packets before it, as Zeek's packet source does.
func TestNegativeTimestampDropped(t *testing.T) {
	var evs []tlsmon.Event
	var ws []weirdRec
	var weirdTs []int64
	col := collect(&evs, &ws)
	e := New(Options{Analyzers: []analyzer.Spec{}, Handler: tlsmon.HandlerFunc(func(ev tlsmon.Event) {
		if w, ok := ev.(*tlsmon.Weird); ok {
			weirdTs = append(weirdTs, w.Ts)
		}
		col.HandleEvent(ev)
	})})
	frame := []byte{
		0x45, 0, 0, 28, 0, 0, 0, 0, 64, 17, 0, 0, 10, 1, 1, 1, 10, 2, 2, 2,
		0x9c, 0x40, 0x01, 0xbb, 0, 8, 0, 0,
	}
	e.Frame(&capture.Frame{LinkType: 101, Ts: 5_000_000, Data: frame, WireLen: len(frame)})
	other := append([]byte(nil), frame...)
	other[19] = 3 // another connection
	e.Frame(&capture.Frame{LinkType: 101, Ts: -2_000_000_000, Data: other, WireLen: len(other)})
	e.Flush()
	conns := 0
	for _, ev := range evs {
		if _, ok := ev.(*tlsmon.ConnectionStateRemove); ok {
			conns++
		}
	}
	if conns != 1 {
		t.Fatalf("%d connections, want 1 (the negative-time frame dropped)", conns)
	}
	if len(ws) != 1 || ws[0].name != "negative_packet_timestamp" || ws[0].conn != nil || weirdTs[0] != 5_000_000 {
		t.Fatalf("weirds %+v at %v", ws, weirdTs)
	}
}

// TestUnknownLinkType: frames of a link type Zeek does not dispatch are decoded as raw IP
// (Zeek's default), and the link type is reported once: the weird unknown_link_type and
// Stats.UnknownLinkTypes (the command warns on stderr).
func TestUnknownLinkType(t *testing.T) {
	var evs []tlsmon.Event
	var ws []weirdRec
	e := New(Options{Analyzers: []analyzer.Spec{}, Handler: collect(&evs, &ws)})
	frame := []byte{
		0x45, 0, 0, 28, 0, 0, 0, 0, 64, 17, 0, 0, 10, 1, 1, 1, 10, 2, 2, 2,
		0x9c, 0x40, 0x01, 0xbb, 0, 8, 0, 0,
	}
	e.Frame(&capture.Frame{LinkType: 147, Ts: 1_000_000, Data: frame, WireLen: len(frame)})
	e.Frame(&capture.Frame{LinkType: 147, Ts: 2_000_000, Data: frame, WireLen: len(frame)})
	e.Flush()
	if len(evs) != 1 {
		t.Fatalf("%d connections, want 1 (raw IP)", len(evs))
	}
	if len(ws) != 1 || ws[0].name != "unknown_link_type" || ws[0].addl != "147" {
		t.Fatalf("weirds %+v", ws)
	}
	if st := e.Stats(); len(st.UnknownLinkTypes) != 1 || st.UnknownLinkTypes[0] != 147 {
		t.Fatalf("unknown link types %v", st.UnknownLinkTypes)
	}
}

// TestSYNWeirds: Zeek's SynWeirds — SYN_with_data, TCP_christmas (SYN with RST),
// baroque_SYN (SYN with URG).
func TestSYNWeirds(t *testing.T) {
	h := newHarness(analyzer.Spec{Name: "TEST", TCPPorts: []uint16{9999}}, Limits{})
	h.tcp(1, true, fS, 100, 0, "early data")
	h.tcp(2, false, fSA|packet.URG, 500, 111, "")
	h.tcp(3, true, fS|packet.RST, 100, 0, "")
	h.e.Flush()
	want := map[string]bool{"SYN_with_data": true, "baroque_SYN": true, "TCP_christmas": true}
	for _, w := range h.weirds {
		delete(want, w)
	}
	if len(want) != 0 {
		t.Fatalf("missing weirds %v (got %v)", want, h.weirds)
	}
}

// TestAfterResetWeirds: Zeek's UpdateResetState — a FIN (or SYN) from an endpoint that
// reset is FIN_after_reset (SYN_after_reset).
func TestAfterResetWeirds(t *testing.T) {
	h := newHarness(analyzer.Spec{Name: "TEST", TCPPorts: []uint16{9999}}, Limits{})
	h.handshake()
	h.tcp(4, true, packet.RST, 101, 0, "")
	h.tcp(5, true, fFA, 101, 501, "")
	h.e.Flush()
	found := false
	for _, w := range h.weirds {
		found = found || w == "FIN_after_reset"
	}
	if !found {
		t.Fatalf("weirds %v", h.weirds)
	}
}
