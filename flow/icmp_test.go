package flow

import (
	"testing"

	"github.com/tlsmon/tlsmon/packet"
)

func icmp(proto uint8, src, dst [16]byte, typ, code uint8, n int, ts int64) *packet.Packet {
	pl := make([]byte, 8+n)
	pl[0], pl[1] = typ, code
	return &packet.Packet{Ts: ts, IPVersion: 4, Proto: proto, Src: src, Dst: dst,
		Payload: pl, PayloadLen: len(pl), IPLen: 20 + len(pl)}
}

func TestICMPEchoSharesConnection(t *testing.T) {
	tb := NewTable(Config{}, nil)
	req, ok := packetOf(tb, icmp(1, hB, hA, 8, 0, 56, 1))
	if !ok || !req.IsNew {
		t.Fatal("echo request made no connection")
	}
	rep, ok := packetOf(tb, icmp(1, hA, hB, 0, 0, 56, 2))
	if !ok || rep.IsNew || rep.Conn != req.Conn || rep.IsOrig() {
		t.Fatalf("echo reply: new=%v same=%v orig=%v", rep.IsNew, rep.Conn == req.Conn, rep.IsOrig())
	}
	id := req.Conn.Info.ID
	if id.OrigH.As16() != hB || id.OrigP != 8 || id.RespP != 0 || id.Proto != 1 {
		t.Fatalf("id %+v", id)
	}
	st := req.Conn.Stats()
	if st.OrigPkts != 1 || st.RespPkts != 1 || st.OrigBytes != 56 || st.RespBytes != 56 || st.State != "OTH" || st.History != "" {
		t.Fatalf("stats %+v", st)
	}
}

func TestICMPOneWay(t *testing.T) {
	tb := NewTable(Config{}, nil)
	// Destination unreachable (3), port unreachable (3): keyed on the code, direction kept.
	a, _ := packetOf(tb, icmp(1, hA, hB, 3, 3, 28, 1))
	b, _ := packetOf(tb, icmp(1, hB, hA, 3, 3, 28, 2))
	if a.Conn == b.Conn || !b.IsNew {
		t.Fatal("one-way messages in opposite directions share a connection")
	}
	c, _ := packetOf(tb, icmp(1, hA, hB, 3, 3, 28, 3))
	if c.Conn != a.Conn || !c.IsOrig() {
		t.Fatal("repeated one-way message made a new connection")
	}
	if id := a.Conn.Info.ID; id.OrigP != 3 || id.RespP != 3 {
		t.Fatalf("ports %d %d", id.OrigP, id.RespP)
	}
	// ICMPv6 neighbor solicitation / advertisement pair up.
	ns, _ := packetOf(tb, icmp(58, hA, hB, 135, 0, 16, 4))
	na, _ := packetOf(tb, icmp(58, hB, hA, 136, 0, 16, 5))
	if ns.Conn != na.Conn || ns.Conn.Info.ID.RespP != 136 {
		t.Fatal("neighbor advertisement not in the solicitation's connection")
	}
	if _, ok := packetOf(tb, icmp(1, hA, hB, 8, 0, 0, 6)); !ok {
		t.Fatal("8-byte echo refused")
	}
	short := icmp(1, hA, hB, 8, 0, 0, 7)
	short.Payload, short.PayloadLen = short.Payload[:4], 4
	if _, ok := packetOf(tb, short); ok {
		t.Fatal("4-byte ICMP message keyed")
	}
	if w := ICMPTruncated(1, 4, 4); w != "truncated_header" {
		t.Fatalf("weird %q", w)
	}
	if w := ICMPTruncated(1, 64, 4); w != "internally_truncated_header" {
		t.Fatalf("weird %q", w)
	}
	// Idle for the ICMP inactivity timeout (1 min): removed.
	tb.Advance(200e6)
	if tb.Len() != 0 {
		t.Fatalf("%d connections left after the ICMP timeout", tb.Len())
	}
}

func TestUDPSizeFromHeader(t *testing.T) {
	tb := NewTable(Config{}, nil)
	p := mk(17, pk{true, 40000, 9000, 0, 0, 0, 10, 1})
	p.UDPLen = 256 // the header claims more than the IP length carries
	r, _ := packetOf(tb, p)
	p.Ts = 3
	packetOf(tb, p)
	if st := r.Conn.Stats(); st.OrigBytes != 2*(256-8) {
		t.Fatalf("orig_bytes %d, want %d", st.OrigBytes, 2*(256-8))
	}
}

func TestIndexGrowsAndShrinks(t *testing.T) {
	h := &rmHooks{}
	tb := NewTable(Config{}, h)
	const n = 5000
	conns := map[*Conn]bool{}
	for i := 0; i < n; i++ {
		r, _ := packetOf(tb, mk(17, pk{true, uint16(1000 + i), 9000, 0, 0, 0, 1, 1}))
		conns[r.Conn] = true
	}
	if len(conns) != n || tb.Len() != n || len(tb.m.buckets) < n {
		t.Fatalf("%d distinct, %d in table, %d buckets", len(conns), tb.Len(), len(tb.m.buckets))
	}
	for i := 0; i < n; i++ { // every one is found again, from either side
		p := mk(17, pk{false, 9000, uint16(1000 + i), 0, 0, 0, 1, 2})
		if r, _ := packetOf(tb, p); r.IsNew || !conns[r.Conn] {
			t.Fatalf("connection %d not found", i)
		}
	}
	tb.Advance(1000e6)
	if tb.Len() != 0 || len(h.removed) != n || len(tb.m.buckets) != minBuckets {
		t.Fatalf("after timeout: %d left, %d removed, %d buckets", tb.Len(), len(h.removed), len(tb.m.buckets))
	}
}

func TestBroadcastNotOriginator(t *testing.T) {
	tb := NewTable(Config{}, nil)
	// From the DHCP server port to the broadcast address: Zeek would flip (67 is a likely
	// server port) but never makes the broadcast address the originator.
	p := mk(17, pk{true, 67, 40000, 0, 0, 0, 10, 1})
	p.Dst = addr("255.255.255.255")
	r, _ := packetOf(tb, p)
	if !r.IsOrig() || r.Conn.Info.ID.OrigP != 67 {
		t.Fatal("broadcast destination became the originator")
	}
}
