package flow

import (
	"net/netip"
	"testing"
	"unsafe"

	"github.com/tlsmon/tlsmon/packet"
)

func addr(s string) [16]byte { return netip.MustParseAddr(s).As16() }

var (
	hA = addr("10.0.0.1")
	hB = addr("10.0.0.2")
)

type pk struct {
	fromA    bool
	sp, dp   uint16
	flags    uint8
	seq, ack uint32
	n        int
	ts       int64
}

func mk(proto uint8, x pk) *packet.Packet {
	p := &packet.Packet{Ts: x.ts, IPVersion: 4, Proto: proto, SrcPort: x.sp, DstPort: x.dp,
		Flags: x.flags, Seq: x.seq, Ack: x.ack, PayloadLen: x.n, IPLen: 40 + x.n, Window: 100}
	p.Payload = make([]byte, x.n)
	if proto == 17 {
		p.UDPLen = uint16(8 + x.n)
	}
	if x.fromA {
		p.Src, p.Dst = hA, hB
	} else {
		p.Src, p.Dst = hB, hA
	}
	return p
}

// rmHooks records the uids of removed connections (the table recycles a removed Conn, so
// its address does not identify it).
type rmHooks struct{ removed []string }

func (h *rmHooks) Removed(c *Conn, ts int64)  { h.removed = append(h.removed, c.Info.UID) }
func (h *rmHooks) Weird(c *Conn, name string) {}

const (
	S  = synFlag
	SA = synFlag | ackFlag
	A  = ackFlag
	F  = finFlag | ackFlag
	R  = rstFlag
)

func TestOrientation(t *testing.T) {
	cases := []struct {
		name    string
		proto   uint8
		first   pk
		origIsA bool
	}{
		{"SYN from client", 6, pk{true, 40000, 443, S, 100, 0, 0, 1}, true},
		{"SYN to high port stays", 6, pk{true, 443, 40000, S, 100, 0, 0, 1}, true},
		{"SYN-ACK from server port flips", 6, pk{true, 443, 40000, SA, 100, 1, 0, 1}, false},
		{"SYN-ACK both server ports no flip", 6, pk{true, 80, 443, SA, 100, 1, 0, 1}, true},
		{"SYN-ACK unknown ports no flip", 6, pk{true, 5000, 40000, SA, 100, 1, 0, 1}, true},
		{"mid-stream from server port flips", 6, pk{true, 443, 40000, A, 100, 1, 10, 1}, false},
		{"mid-stream both server ports, src<dst flips", 6, pk{true, 80, 443, A, 100, 1, 10, 1}, false},
		{"mid-stream both server ports, src>dst stays", 6, pk{true, 443, 80, A, 100, 1, 10, 1}, true},
		{"mid-stream to server port", 6, pk{true, 40000, 22, A, 100, 1, 10, 1}, true},
		{"UDP to DNS", 17, pk{true, 5353 + 1000, 53, 0, 0, 0, 10, 1}, true},
		{"UDP from DNS flips", 17, pk{true, 53, 40000, 0, 0, 0, 10, 1}, false},
		{"UDP both server ports stays", 17, pk{true, 53, 123, 0, 0, 0, 10, 1}, true},
		{"UDP DTLS port flips", 17, pk{true, 443, 50000, 0, 0, 0, 10, 1}, false},
		{"UDP unknown stays", 17, pk{true, 40000, 50000, 0, 0, 0, 10, 1}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tb := NewTable(Config{}, nil)
			r, ok := packetOf(tb, mk(c.proto, c.first))
			if !ok || !r.IsNew {
				t.Fatal("no new connection")
			}
			if got := r.IsOrig(); got != c.origIsA {
				t.Fatalf("packet from A is orig = %v, want %v (id %+v)", got, c.origIsA, r.Conn.Info.ID)
			}
			wantOrigP := c.first.sp
			if !c.origIsA {
				wantOrigP = c.first.dp
			}
			if r.Conn.Info.ID.OrigP != wantOrigP {
				t.Fatalf("orig port %d, want %d", r.Conn.Info.ID.OrigP, wantOrigP)
			}
		})
	}
}

func uidOf(c *Conn) string { return c.Info.UID }

func run(t testing.TB, tb *Table, proto uint8, ps []pk) *Conn {
	t.Helper()
	var c *Conn
	for _, x := range ps {
		r, ok := packetOf(tb, mk(proto, x))
		if !ok {
			t.Fatal("packet refused")
		}
		if r.TCP.Close {
			tb.CloseTCP(r.Conn, r.Side, r.TCP)
		}
		c = r.Conn
	}
	return c
}

func TestHandshakeStates(t *testing.T) {
	cases := []struct {
		name        string
		ps          []pk
		state, hist string
		ob, rb      uint64
	}{
		{"SF", []pk{
			{true, 40000, 443, S, 1000, 0, 0, 1},
			{false, 443, 40000, SA, 5000, 1001, 0, 2},
			{true, 40000, 443, A, 1001, 5001, 0, 3},
			{true, 40000, 443, A | 0x08, 1001, 5001, 10, 4},
			{false, 443, 40000, A | 0x08, 5001, 1011, 20, 5},
			{true, 40000, 443, F, 1011, 5021, 0, 6},
			{false, 443, 40000, F, 5021, 1012, 0, 7},
			{true, 40000, 443, A, 1012, 5022, 0, 8},
		}, "SF", "ShADdFf", 10, 20},
		{"S0", []pk{{true, 40000, 443, S, 1000, 0, 0, 1}}, "S0", "S", 0, 0},
		{"REJ", []pk{
			{true, 40000, 443, S, 1000, 0, 0, 1},
			{false, 443, 40000, R | A, 0, 1001, 0, 2},
		}, "REJ", "Sr", 0, 0},
		{"S1", []pk{
			{true, 40000, 443, S, 1000, 0, 0, 1},
			{false, 443, 40000, SA, 5000, 1001, 0, 2},
			{true, 40000, 443, A, 1001, 5001, 0, 3},
		}, "S1", "ShA", 0, 0},
		{"SYN-ACK from server port", []pk{
			{false, 443, 40000, SA, 5000, 1001, 0, 1},
			{true, 40000, 443, A, 1001, 5001, 0, 2},
		}, "S1", "^hA", 0, 0},
		{"SYN-ACK first then ack flips", []pk{
			{false, 5000, 40000, SA, 5000, 1001, 0, 1},
			{true, 40000, 5000, A, 1001, 5001, 0, 2},
		}, "OTH", "^hA", 0, 0},
		{"RSTO", []pk{
			{true, 40000, 443, S, 1000, 0, 0, 1},
			{false, 443, 40000, SA, 5000, 1001, 0, 2},
			{true, 40000, 443, A, 1001, 5001, 0, 3},
			{true, 40000, 443, R, 1001, 0, 0, 4},
		}, "RSTO", "ShAR", 0, 0},
		{"wraparound", []pk{
			{true, 40000, 443, S, 0xffffff00, 0, 0, 1},
			{false, 443, 40000, SA, 5000, 0xffffff01, 0, 2},
			{true, 40000, 443, A, 0xffffff01, 5001, 0x200, 3},
			{false, 443, 40000, A, 5001, 0x101, 0, 4},
		}, "S1", "ShDa", 0x200, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tb := NewTable(Config{}, nil)
			conn := run(t, tb, 6, c.ps)
			st := conn.Stats()
			if st.State != c.state || st.History != c.hist {
				t.Fatalf("state %s history %s, want %s %s", st.State, st.History, c.state, c.hist)
			}
			if st.OrigBytes != c.ob || st.RespBytes != c.rb {
				t.Fatalf("bytes %d/%d, want %d/%d", st.OrigBytes, st.RespBytes, c.ob, c.rb)
			}
		})
	}
}

func TestTimersAndReuse(t *testing.T) {
	h := &rmHooks{}
	tb := NewTable(Config{}, h)
	const s = int64(1e6)
	// A lone SYN is removed by the attempt timer: its retransmission 10 s later is a new connection.
	// Connections are told apart by uid: the table recycles removed connections' memory.
	c1 := uidOf(run(t, tb, 6, []pk{{true, 40000, 443, S, 1000, 0, 0, 1}}))
	c2 := uidOf(run(t, tb, 6, []pk{{true, 40000, 443, S, 1000, 0, 0, 1 + 10*s}}))
	if c1 == c2 || len(h.removed) != 1 || h.removed[0] != c1 {
		t.Fatalf("attempt timer did not split the connection")
	}
	// UDP inactivity: 1 minute.
	u1 := uidOf(run(t, tb, 17, []pk{{true, 40000, 5000, 0, 0, 0, 10, 100 * s}}))
	u2 := uidOf(run(t, tb, 17, []pk{{true, 40000, 5000, 0, 0, 0, 10, 159 * s}}))
	u3 := uidOf(run(t, tb, 17, []pk{{true, 40000, 5000, 0, 0, 0, 10, 220 * s}}))
	if u1 != u2 || u2 == u3 {
		t.Fatalf("udp inactivity timeout not applied: %s %s %s", u1, u2, u3)
	}
	// UDP DNS: idle for 9 s at a 10 s check ends the session.
	d1 := uidOf(run(t, tb, 17, []pk{{true, 40000, 53, 0, 0, 0, 10, 300 * s}}))
	d2 := uidOf(run(t, tb, 17, []pk{{true, 40000, 53, 0, 0, 0, 10, 305 * s}}))
	d3 := uidOf(run(t, tb, 17, []pk{{true, 40000, 53, 0, 0, 0, 10, 325 * s}}))
	if d1 != d2 || d2 == d3 {
		t.Fatalf("dns session timeout not applied: %s %s %s", d1, d2, d3)
	}
	// A closed connection is deleted tcp_close_delay after its last packet; a new SYN
	// with another ISN after the close is a reuse: new connection.
	tb2 := NewTable(Config{}, h)
	a := uidOf(run(t, tb2, 6, []pk{
		{true, 40001, 443, S, 1000, 0, 0, 1},
		{false, 443, 40001, SA, 5000, 1001, 0, 2},
		{true, 40001, 443, F, 1001, 5001, 0, 3},
		{false, 443, 40001, F, 5001, 1002, 0, 4},
	}))
	b := uidOf(run(t, tb2, 6, []pk{{true, 40001, 443, S, 9000, 0, 0, 5}}))
	if a == b {
		t.Fatal("SYN after close did not start a new connection")
	}
	tb2.Flush(10)
	if tb2.Len() != 0 {
		t.Fatal("flush left connections")
	}
}

func TestUIDDeterministic(t *testing.T) {
	g1, g2 := NewUIDGen(7), NewUIDGen(7)
	seen := map[string]bool{}
	for i := 0; i < 1000; i++ {
		a, b := g1.Next(), g2.Next()
		if a != b || len(a) != 18 || a[0] != 'C' || seen[a] {
			t.Fatalf("uid %q %q", a, b)
		}
		seen[a] = true
	}
}

func TestConnSize(t *testing.T) {
	sz := unsafe.Sizeof(Conn{})
	t.Logf("flow.Conn: %d bytes (+ uid string 18 bytes, map entry ~%d bytes)", sz, unsafe.Sizeof(Key{})+8)
	if sz > 400 {
		t.Fatalf("flow.Conn is %d bytes", sz)
	}
}

func BenchmarkLookup(b *testing.B) {
	tb := NewTable(Config{}, nil)
	ps := make([]*packet.Packet, 1024)
	for i := range ps {
		ps[i] = mk(17, pk{true, uint16(10000 + i), 53, 0, 0, 0, 10, 1})
		packetOf(tb, ps[i])
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p := ps[i&1023]
		p.Ts = 2
		if _, ok := packetOf(tb, p); !ok {
			b.Fatal("refused")
		}
	}
}

// packetOf runs Table.Packet and returns its result by value.
func packetOf(tb *Table, p *packet.Packet) (Result, bool) {
	var r Result
	ok := tb.Packet(p, &r)
	return r, ok
}

// TestRecycle checks that a removed connection is reused only once no timer entry points
// to it (a stale timer firing on a recycled Conn would remove the wrong connection), and
// never when the caller allocates connections (Config.NewConn).
func TestRecycle(t *testing.T) {
	const s = int64(1e6)
	h := &rmHooks{}
	tb := NewTable(Config{}, h)
	a := run(t, tb, 17, []pk{{true, 1, 2, 0, 0, 0, 10, 0}}) // inactivity timer at 60 s
	b1 := run(t, tb, 6, []pk{{true, 40000, 443, S, 1000, 0, 0, 1 * s}})
	b1uid := b1.Info.UID
	// Another ISN: reuse, b1 is removed with its attempt and inactivity timers pending.
	b2 := run(t, tb, 6, []pk{{true, 40000, 443, S, 9000, 0, 0, 2 * s}})
	if b2 == b1 || tb.nFree != 0 || len(h.removed) != 1 || h.removed[0] != b1uid {
		t.Fatalf("reused before its timers popped (nFree %d, removed %v)", tb.nFree, h.removed)
	}
	b2uid := b2.Info.UID
	tb.Advance(7 * s) // b1's attempt timer pops (one left); b2's fires: removed
	if tb.nFree != 0 || len(h.removed) != 2 || h.removed[1] != b2uid {
		t.Fatalf("after the attempt timers: nFree %d, removed %v", tb.nFree, h.removed)
	}
	auid := a.Info.UID
	tb.Advance(62 * s) // the inactivity timers: a removed, then every entry popped
	if tb.nFree != 3 || len(h.removed) != 3 || h.removed[2] != auid || tb.Len() != 0 {
		t.Fatalf("after the inactivity timers: nFree %d, removed %v, %d left", tb.nFree, h.removed, tb.Len())
	}
	c := run(t, tb, 17, []pk{{true, 1, 2, 0, 0, 0, 10, 63 * s}})
	if c != b2 && c != b1 && c != a {
		t.Fatal("free list not used")
	}
	if st := c.Stats(); c.Info.UID == auid || c.Info.UID == b2uid || st.OrigPkts != 1 || st.History != "D" || c.Removed() {
		t.Fatalf("recycled connection not reset: %s %+v", c.Info.UID, st)
	}
	cuid := c.Info.UID
	tb.Advance(200 * s)
	if len(h.removed) != 4 || h.removed[3] != cuid || tb.nFree != 3 {
		t.Fatalf("removed %v, nFree %d", h.removed, tb.nFree)
	}

	// The caller's connections are its own.
	tb = NewTable(Config{NewConn: func() *Conn { return new(Conn) }}, h)
	run(t, tb, 17, []pk{{true, 1, 2, 0, 0, 0, 10, 0}})
	tb.Advance(100 * s)
	if tb.nFree != 0 || tb.Len() != 0 {
		t.Fatalf("recycled a caller's connection (nFree %d)", tb.nFree)
	}
}

// BenchmarkLookupMixed looks up established TCP connections in an order and directions
// that the branch predictor cannot learn (as interleaved traffic does): the per-packet cost
// of the table without capture or decoding.
func BenchmarkLookupMixed(b *testing.B) {
	tb := NewTable(Config{}, nil)
	const n = 4096
	ps := make([]*packet.Packet, 2*n)
	for i := range n {
		sp := uint16(10000 + i)
		run(b, tb, 6, []pk{
			{true, sp, 443, S, 1000, 0, 0, 1},
			{false, 443, sp, SA, 5000, 1001, 0, 2},
			{true, sp, 443, A, 1001, 5001, 0, 3},
		})
		ps[2*i] = mk(6, pk{true, sp, 443, A, 1001, 5001, 0, 4})
		ps[2*i+1] = mk(6, pk{false, 443, sp, A, 5001, 1001, 0, 4})
	}
	order := make([]int32, 1<<16)
	x := uint32(1)
	for i := range order {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		order[i] = int32(x % (2 * n))
	}
	var r Result
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if !tb.Packet(ps[order[i&(len(order)-1)]], &r) {
			b.Fatal("refused")
		}
	}
}

// Hash is the same for both directions of a connection and spreads keys that differ in one
// port or one address byte over shards.
func TestKeyHashSymmetricAndSpread(t *testing.T) {
	src := [16]byte{10: 0xff, 11: 0xff, 12: 10, 15: 1}
	dst := [16]byte{10: 0xff, 11: 0xff, 12: 192, 13: 168, 15: 1}
	var counts [8]int
	for p := uint16(40000); p < 48000; p++ {
		k1, s1 := MakeKey(src, dst, p, 443, 6)
		k2, s2 := MakeKey(dst, src, 443, p, 6)
		if k1.Hash() != k2.Hash() || s1 == s2 {
			t.Fatalf("port %d: hashes %x %x, sides %d %d", p, k1.Hash(), k2.Hash(), s1, s2)
		}
		counts[k1.Hash()%8]++
	}
	for i, n := range counts {
		if n < 900 || n > 1100 {
			t.Errorf("shard %d of 8 gets %d of 8000 keys", i, n)
		}
	}
}

// With frame indices (SetFrame), a connection's uid and the order of its timers among
// others due at the same time depend on the frame that created it, not on what the table
// saw before: a table that saw only some of the connections (a shard, docs/SCALING.md)
// gives them the uids and the removal order a table that saw all of them gives.
func TestFrameIndexedUIDsAndTimers(t *testing.T) {
	const s = int64(1e6)
	type conn struct {
		frame uint64
		port  uint16
	}
	all := []conn{{1, 1000}, {2, 1001}, {3, 1002}, {10, 2000}, {11, 3000}, {12, 1003}}
	some := []conn{{10, 2000}, {11, 3000}}
	play := func(cs []conn) (uids map[uint16]string, removed []string) {
		h := &rmHooks{}
		tb := NewTable(Config{UIDSeed: 5}, h)
		uids = map[uint16]string{}
		for _, c := range cs {
			tb.SetFrame(c.frame)
			// All at the same time: every inactivity deadline ties.
			uids[c.port] = uidOf(run(t, tb, 17, []pk{{true, 40000, c.port, 0, 0, 0, 10, 5 * s}}))
		}
		tb.SetFrame(20)
		tb.Advance(500 * s)
		return uids, h.removed
	}
	ua, ra := play(all)
	ub, rb := play(some)
	for port, u := range ub {
		if ua[port] != u {
			t.Errorf("port %d: uid %s alone, %s among others", port, u, ua[port])
		}
	}
	var sub []string
	for _, u := range ra {
		if u == ua[2000] || u == ua[3000] {
			sub = append(sub, u)
		}
	}
	if len(rb) != 2 || len(sub) != 2 || sub[0] != rb[0] || sub[1] != rb[1] {
		t.Errorf("removal order %v alone, %v among others", rb, sub)
	}
	seen := map[string]bool{}
	for _, u := range ua {
		if seen[u] {
			t.Fatalf("uid %s drawn twice", u)
		}
		seen[u] = true
	}
}

// Many uids in one frame run into the next frame's range but stay unique.
func TestFrameIndexOverflow(t *testing.T) {
	g := NewUIDGen(1)
	seen := map[string]bool{}
	for f := uint64(1); f <= 3; f++ {
		g.Frame(f)
		for i := 0; i < 600; i++ { // more than 1<<uidFrameShift per frame
			u := g.Next()
			if seen[u] {
				t.Fatalf("frame %d: uid %s drawn twice", f, u)
			}
			seen[u] = true
		}
	}
}

// Timers due at the same time fire in the order their connections were created, even when
// inserted in the other order (a re-armed inactivity timer): the order a shard can
// reproduce without knowing the other shards' insertions (timers.go).
func TestTimerTiesByCreation(t *testing.T) {
	const s = int64(1e6)
	h := &rmHooks{}
	tb := NewTable(Config{}, h)
	tb.SetFrame(10)
	p := uidOf(run(t, tb, 17, []pk{{true, 40000, 2000, 0, 0, 0, 10, 5 * s}}))
	tb.SetFrame(11)
	q := uidOf(run(t, tb, 17, []pk{{true, 40000, 3000, 0, 0, 0, 10, 6 * s}}))
	tb.SetFrame(12)
	run(t, tb, 17, []pk{{true, 40000, 2000, 0, 0, 0, 10, 6 * s}})
	tb.SetFrame(13)
	tb.Advance(65*s + s/2) // p's timer fires and re-arms at 66 s, after q's (66 s)
	tb.SetFrame(14)
	tb.Advance(70 * s)
	if len(h.removed) != 2 || h.removed[0] != p || h.removed[1] != q {
		t.Fatalf("removed %v, want [%s %s]", h.removed, p, q)
	}
}
