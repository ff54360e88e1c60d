package engine

import (
	"testing"

	"github.com/gopacket/gopacket/layers"
	"github.com/tlsmon/tlsmon"
	"github.com/tlsmon/tlsmon/analyzer"
	"github.com/tlsmon/tlsmon/capture"
	"github.com/tlsmon/tlsmon/packet"
)

// TestConnectionCapWeird: every new connection refused at Limits.MaxConnections is counted,
// and weird.log gets the first 25 hits of each sampling round, then one in 1000; a new
// round starts 10 minutes after the first hit of the previous one.
func TestConnectionCapWeird(t *testing.T) {
	var evs []tlsmon.Event
	var ws []weirdRec
	e := New(Options{Analyzers: []analyzer.Spec{}, Handler: collect(&evs, &ws), Limits: Limits{MaxConnections: 10}})
	p := &packet.Packet{IPVersion: 4, Proto: 6, IPLen: 40, Flags: packet.SYN, SrcPort: 40000, DstPort: 443, Dst: srv}
	syn := func(i int, ts int64) {
		p.Ts = ts
		p.Src = [16]byte{10: 0xff, 11: 0xff, 12: 10, 13: byte(i >> 16), 14: byte(i >> 8), 15: byte(i)}
		e.Packet(p)
	}
	const n = 2010
	for i := 0; i < n; i++ {
		syn(i, 1_000_000+int64(i)) // within one second: one round
	}
	st := e.Stats()
	if got := st.CapHits[capConnections]; got != n-10 {
		t.Fatalf("max_connections hits %d, want %d", got, n-10)
	}
	// hits 1..2000: 25, then the 1025th and the 2025th would be next: 26 rows.
	if len(ws) != 26 || st.CapWeirds != 26 {
		t.Fatalf("%d weirds (%d counted), want 26", len(ws), st.CapWeirds)
	}
	for _, w := range ws {
		if w.name != weirdConnCap || w.source != "tlsmon" || w.conn != nil || w.addl != "10" {
			t.Fatalf("weird %+v", w)
		}
	}
	// A new round starts capSampleDuration after the first hit of the previous one.
	ws = ws[:0]
	for i := 0; i < 40; i++ {
		syn(n+i, 1_000_000+capSampleDuration+int64(i))
	}
	if hits := e.Stats().CapHits[capConnections] - (n - 10); hits == 0 || len(ws) != int(min(hits, capSampleThreshold)) {
		t.Fatalf("second round: %d hits, %d weirds", hits, len(ws))
	}
}

// TestFragmentCapWeird: a fragment dropped at Limits.MaxFragmentBytes writes a weird (no
// connection).
func TestFragmentCapWeird(t *testing.T) {
	var evs []tlsmon.Event
	var ws []weirdRec
	e := New(Options{Analyzers: []analyzer.Spec{}, Handler: collect(&evs, &ws), Limits: Limits{MaxFragmentBytes: 4096}})
	for i := 0; i < 100; i++ {
		frame := ipv4Fragment(i)
		st, err := e.dec.Decode(101, int64(1_000_000+i), frame, &e.pkt)
		e.now = int64(1_000_000 + i)
		e.decoded(st, err, &e.pkt)
	}
	st := e.Stats()
	if st.CapHits[capFragmentBytes] == 0 {
		t.Fatalf("no frag_bytes hit: %v", st)
	}
	var n int
	for _, w := range ws {
		if w.name == weirdFragBytesCap && w.source == "tlsmon" {
			n++
		}
	}
	if want := int(min(st.CapHits[capFragmentBytes], capSampleThreshold)); n != want {
		t.Fatalf("%d fragment cap weirds, want %d (%d hits)", n, want, st.CapHits[capFragmentBytes])
	}
}

// ipv4Fragment is a raw IPv4 first fragment (more fragments, offset 0) of a UDP datagram
// from its own source, 1000 bytes of payload.
func ipv4Fragment(i int) []byte {
	b := make([]byte, 20+1000)
	b[0] = 0x45
	b[2], b[3] = byte(len(b)>>8), byte(len(b))
	b[4], b[5] = byte(i>>8), byte(i)
	b[6] = 0x20
	b[8], b[9] = 64, 17
	copy(b[12:], []byte{10, 1, byte(i >> 8), byte(i)})
	copy(b[16:], []byte{192, 0, 2, 1})
	return b
}

// TestTunnelFragmentCapWeird: the fragment caps hit by the decoder of an encapsulated
// packet (here IP in IP) are reported and counted like those of the outer decoder.
func TestTunnelFragmentCapWeird(t *testing.T) {
	var evs []tlsmon.Event
	var ws []weirdRec
	e := New(Options{Analyzers: []analyzer.Spec{}, Handler: collect(&evs, &ws), Limits: Limits{MaxFragmentBytes: 4096}})
	for i := 0; i < 100; i++ {
		f := ipFrame(t, layers.IPProtocolIPv4, ipv4Fragment(i))
		e.Frame(&capture.Frame{Ts: int64(1_000_000 + i), LinkType: packet.LinkRaw, Data: f, WireLen: len(f)})
	}
	st := e.Stats()
	hits := st.CapHits[capFragmentBytes]
	if hits == 0 {
		t.Fatalf("no frag_bytes hit: %v", st)
	}
	var n int
	for _, w := range ws {
		if w.name == weirdFragBytesCap && w.source == "tlsmon" {
			n++
		}
	}
	if want := int(min(hits, capSampleThreshold)); n != want {
		t.Fatalf("%d fragment cap weirds, want %d (%d hits)", n, want, hits)
	}
}
