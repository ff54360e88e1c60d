package fingerprint

import (
	"bytes"
	"net/netip"
	"strings"
	"testing"

	tlsmon "github.com/tlsmon/tlsmon"
	"github.com/tlsmon/tlsmon/zeeklog"
)

func testConn(proto tlsmon.Proto) *tlsmon.Conn {
	return &tlsmon.Conn{UID: "Ctest", ID: tlsmon.ConnID{
		OrigH: netip.MustParseAddr("10.0.0.1"), RespH: netip.MustParseAddr("10.0.0.2"),
		OrigP: 40000, RespP: 443, Proto: proto}}
}

// clientHelloEvents are the events the analyzer raises for a ClientHello, in Zeek's order:
// each extension's typed event, then its ssl_extension, then ssl_client_hello.
func clientHelloEvents(c *tlsmon.Conn, version uint64, alpn string) []tlsmon.Event {
	m := tlsmon.Meta{Ts: 1, Conn: c}
	return []tlsmon.Event{
		&tlsmon.SSLExtension{Meta: m, IsClient: true, Code: 0x0a0a},
		&tlsmon.SSLExtensionServerName{Meta: m, IsClient: true, Names: [][]byte{[]byte("example.com")}},
		&tlsmon.SSLExtension{Meta: m, IsClient: true, Code: 0},
		&tlsmon.SSLExtensionEllipticCurves{Meta: m, IsClient: true, Curves: []uint64{0x0a0a, 29, 23}},
		&tlsmon.SSLExtension{Meta: m, IsClient: true, Code: 10},
		&tlsmon.SSLExtensionECPointFormats{Meta: m, IsClient: true, PointFormats: []uint64{0}},
		&tlsmon.SSLExtension{Meta: m, IsClient: true, Code: 11},
		&tlsmon.SSLExtensionSignatureAlgorithm{Meta: m, IsClient: true, SignatureAlgorithms: []tlsmon.SignatureAndHashAlgorithm{{HashAlgorithm: 4, SignatureAlgorithm: 3}, {HashAlgorithm: 8, SignatureAlgorithm: 4}}},
		&tlsmon.SSLExtension{Meta: m, IsClient: true, Code: 13},
		&tlsmon.SSLExtensionApplicationLayerProtocolNegotiation{Meta: m, IsClient: true, Protocols: [][]byte{[]byte(alpn), []byte("http/1.1")}},
		&tlsmon.SSLExtension{Meta: m, IsClient: true, Code: 16},
		&tlsmon.SSLExtensionSupportedVersions{Meta: m, IsClient: true, Versions: []uint64{0x1a1a, 0x0304, 0x0303}},
		&tlsmon.SSLExtension{Meta: m, IsClient: true, Code: 43},
		&tlsmon.SSLClientHello{Meta: m, Version: version, Ciphers: []uint64{0x2a2a, 0x1301, 0xc02b}},
	}
}

func serverHelloEvents(c *tlsmon.Conn, random []byte) []tlsmon.Event {
	m := tlsmon.Meta{Ts: 2, Conn: c}
	return []tlsmon.Event{
		&tlsmon.SSLExtensionSupportedVersions{Meta: m, IsClient: false, Versions: []uint64{0x0304}},
		&tlsmon.SSLExtension{Meta: m, IsClient: false, Code: 43},
		&tlsmon.SSLExtension{Meta: m, IsClient: false, Code: 51},
		&tlsmon.SSLServerHello{Meta: m, Version: 0x0303, Cipher: 0x1301, ServerRandom: random},
	}
}

func feed(h tlsmon.Handler, evs []tlsmon.Event) {
	for _, e := range evs {
		h.HandleEvent(e)
	}
}

func TestTrackerFirstHelloAndRetry(t *testing.T) {
	c := testConn(tlsmon.ProtoTCP)
	var done []Result
	tr := New(Options{KeepHellos: true, OnResult: func(_ *tlsmon.Conn, r *Result) { done = append(done, *r) }})
	first := clientHelloEvents(c, 0x0303, "h2")
	feed(tr, first)
	// the analyzer's buffers are reused: the result must not alias them
	first[9].(*tlsmon.SSLExtensionApplicationLayerProtocolNegotiation).Protocols[0][0] = 'x'
	feed(tr, serverHelloEvents(c, helloRetryRandom[:]))
	feed(tr, clientHelloEvents(c, 0x0303, "h3")) // the second hello differs: not fingerprinted
	feed(tr, serverHelloEvents(c, make([]byte, 32)))
	r, ok := tr.Lookup(c)
	if !ok {
		t.Fatal("no result")
	}
	const ja4 = "t13d0206h2"
	if got := r.JA4.String(); got[:10] != ja4 {
		t.Errorf("JA4 %s, want %s…", got, ja4)
	}
	var b Builder
	if got, want := string(b.AppendJA3String(nil, &r.Client)), "771,4865-49195,0-10-11-13-16-43,29-23,0"; got != want {
		t.Errorf("JA3 string %s, want %s", got, want)
	}
	if got, want := string(b.AppendJA4RO(nil, &r.Client)), "t13d0206h2_1301,c02b_0000,000a,000b,000d,0010,002b_0403,0804"; got != want {
		t.Errorf("JA4_ro %s, want %s", got, want)
	}
	if got, want := string(b.AppendJA3SString(nil, &r.Server)), "771,4865,43-51"; got != want {
		t.Errorf("JA3S string %s, want %s", got, want)
	}
	if !r.HelloRetryRequest || r.ClientHellos != 2 || r.ServerHellos != 2 {
		t.Errorf("result %+v", r)
	}
	wantJA4 := r.JA4 // r is valid until the connection is forgotten
	tr.HandleEvent(&tlsmon.ConnectionStateRemove{Meta: tlsmon.Meta{Ts: 3, Conn: c}})
	if len(done) != 1 || done[0].JA4 != wantJA4 {
		t.Errorf("OnResult: %d calls", len(done))
	}
	if _, ok := tr.Lookup(c); ok {
		t.Error("connection not forgotten")
	}
	// a recycled state starts empty
	feed(tr, serverHelloEvents(c, make([]byte, 32)))
	if r, ok := tr.Lookup(c); !ok || r.ClientHellos != 0 || !r.JA4.IsZero() || r.HelloRetryRequest || len(r.Client.Ciphers) != 0 {
		t.Errorf("recycled result %+v", r)
	}
}

func TestTrackerTransport(t *testing.T) {
	for _, c := range []struct {
		proto   tlsmon.Proto
		version uint64
		want    byte
	}{
		{tlsmon.ProtoTCP, 0x0303, 't'},
		{tlsmon.ProtoUDP, 0x0303, 'q'},
		{tlsmon.ProtoUDP, 0xfefd, 'd'},
		{tlsmon.ProtoUDP, 0xfeff, 'd'},
	} {
		tr := New(Options{})
		conn := testConn(c.proto)
		feed(tr, clientHelloEvents(conn, c.version, "h2"))
		if r, _ := tr.Lookup(conn); r.JA4[0] != c.want || len(r.Client.Ciphers) != 0 {
			t.Errorf("%v %#x: %s (hello kept without KeepHellos: %v)", c.proto, c.version, r.JA4, r.Client.Ciphers)
		}
	}
}

func TestColumns(t *testing.T) {
	for _, json := range []bool{false, true} {
		var out bytes.Buffer
		set := zeeklog.NewSet(zeeklog.LogsWith(zeeklog.Extensions{SSL: []zeeklog.ColumnExtension{NewColumns()}}),
			func(spec zeeklog.LogSpec) zeeklog.Writer {
				if spec.Path != "ssl" {
					return zeeklog.NewJSONWriter(&bytes.Buffer{}, spec.Columns)
				}
				if json {
					return zeeklog.NewJSONWriter(&out, spec.Columns)
				}
				return zeeklog.NewTSVWriter(&out, spec.Path, spec.Columns, 1)
			})
		withHello, noHello := testConn(tlsmon.ProtoTCP), testConn(tlsmon.ProtoTCP)
		noHello.UID, noHello.ID.OrigP = "Cnohello", 40001
		feed(set, clientHelloEvents(withHello, 0x0303, "h2"))
		feed(set, serverHelloEvents(withHello, make([]byte, 32)))
		set.HandleEvent(&tlsmon.ConnectionStateRemove{Meta: tlsmon.Meta{Ts: 3, Conn: withHello}})
		// a server-first connection: ssl.log row without a ClientHello
		feed(set, serverHelloEvents(noHello, make([]byte, 32)))
		set.HandleEvent(&tlsmon.ConnectionStateRemove{Meta: tlsmon.Meta{Ts: 4, Conn: noHello}})
		if err := set.Close(0); err != nil {
			t.Fatal(err)
		}
		var b Builder
		tr := New(Options{KeepHellos: true})
		feed(tr, clientHelloEvents(withHello, 0x0303, "h2"))
		feed(tr, serverHelloEvents(withHello, make([]byte, 32)))
		r, _ := tr.Lookup(withHello)
		ja3, ja3s, ja4 := b.JA3(&r.Client).String(), r.JA3S.String(), r.JA4.String()
		s := out.String()
		if json {
			if !strings.Contains(s, `"ja3":"`+ja3+`","ja3s":"`+ja3s+`","ja4":"`+ja4+`"}`) ||
				!strings.Contains(s, `"ja3s":"`+ja3s+`","ja4":""}`) || strings.Count(s, `"ja3":`) != 1 {
				t.Errorf("json:\n%s", s)
			}
		} else {
			if !strings.Contains(s, "\tsni_matches_cert\tja3\tja3s\tja4\n") ||
				!strings.Contains(s, "\t"+ja3+"\t"+ja3s+"\t"+ja4+"\n") || !strings.Contains(s, "\t-\t"+ja3s+"\t(empty)\n") {
				t.Errorf("tsv:\n%s", s)
			}
		}
	}
}

// BenchmarkJA4 fingerprints one browser-sized ClientHello (JA4.md's example, with GREASE).
func BenchmarkJA4(b *testing.B) {
	h := specHello()
	h.Ciphers = append([]uint32{0x0a0a}, h.Ciphers...)
	h.Extensions = append([]uint16{0x1a1a}, h.Extensions...)
	var bld Builder
	b.ReportAllocs()
	for b.Loop() {
		_ = bld.JA4(h)
	}
}

// BenchmarkTracker is the cost per connection of the Tracker: a ClientHello's events, a
// ServerHello's and the connection's end (JA4, JA4_o, JA3 and JA3S computed).
func BenchmarkTracker(b *testing.B) {
	c := testConn(tlsmon.ProtoTCP)
	evs := append(clientHelloEvents(c, 0x0303, "h2"), serverHelloEvents(c, make([]byte, 32))...)
	evs = append(evs, &tlsmon.ConnectionStateRemove{Meta: tlsmon.Meta{Ts: 3, Conn: c}})
	tr := New(Options{})
	b.ReportAllocs()
	for b.Loop() {
		feed(tr, evs)
	}
}

// TestNoAllocs: once warm, fingerprinting a hello allocates nothing, nor does tracking a
// connection whose state is recycled.
func TestNoAllocs(t *testing.T) {
	h := specHello()
	var b Builder
	if n := testing.AllocsPerRun(100, func() { _, _, _ = b.JA4(h), b.JA4O(h), b.JA3(h) }); n != 0 {
		t.Errorf("Builder: %v allocations per hello", n)
	}
	c := testConn(tlsmon.ProtoTCP)
	evs := append(clientHelloEvents(c, 0x0303, "h2"), serverHelloEvents(c, make([]byte, 32))...)
	evs = append(evs, &tlsmon.ConnectionStateRemove{Meta: tlsmon.Meta{Ts: 3, Conn: c}})
	tr := New(Options{})
	if n := testing.AllocsPerRun(100, func() { feed(tr, evs) }); n != 0 {
		t.Errorf("Tracker: %v allocations per connection", n)
	}
}

// TestTrackerCache: connections with identical hellos share cached fingerprints; any
// difference in a field gives the hello's own.
func TestTrackerCache(t *testing.T) {
	tr := New(Options{KeepHellos: true})
	var b Builder
	for i := range 3 * maxCached / 2 {
		c := testConn(tlsmon.ProtoTCP)
		alpn := []string{"h2", "h3", "x"}[i%3]
		evs := clientHelloEvents(c, 0x0303, alpn)
		ch := evs[len(evs)-1].(*tlsmon.SSLClientHello)
		ch.Ciphers = append(ch.Ciphers, uint64(i%7))
		if i%5 == 0 {
			ch.Ciphers = append(ch.Ciphers, 0x010080) // an SSLv2 spec: 24 bits in the key
		}
		if i%11 == 0 {
			for j := range 300 { // too large to be cached
				ch.Ciphers = append(ch.Ciphers, uint64(j+0x100))
			}
		}
		feed(tr, evs)
		feed(tr, serverHelloEvents(c, make([]byte, 32)))
		r, _ := tr.Lookup(c)
		if r.JA4 != b.JA4(&r.Client) || r.JA3 != b.JA3(&r.Client) || r.JA3S != b.JA3S(&r.Server) {
			t.Fatalf("hello %d: cached fingerprints differ from the hello's", i)
		}
		tr.Forget(c)
	}
	if len(tr.clientCache) > maxCached || len(tr.clientCache) == 0 {
		t.Errorf("cache of %d entries", len(tr.clientCache))
	}
	for k := range tr.clientCache {
		if len(k) > maxKeyLen {
			t.Errorf("cached key of %d bytes", len(k))
		}
	}
}

// TestTrackerUnfinishedHello: the events of a hello that never got its ssl_client_hello are
// dropped at the end of the message (or at a violation), not added to the next hello's.
func TestTrackerUnfinishedHello(t *testing.T) {
	c := testConn(tlsmon.ProtoTCP)
	m := tlsmon.Meta{Ts: 1, Conn: c}
	want := New(Options{})
	feed(want, clientHelloEvents(c, 0x0303, "h2"))
	wantRes, _ := want.Lookup(c)
	for _, end := range []tlsmon.Event{
		&tlsmon.SSLHandshakeMessage{Meta: m, IsClient: true, MsgType: 1},
		&tlsmon.AnalyzerViolation{Meta: m},
	} {
		tr := New(Options{})
		evs := clientHelloEvents(c, 0x0303, "h3")
		feed(tr, evs[:len(evs)-1]) // no ssl_client_hello
		tr.HandleEvent(end)
		feed(tr, clientHelloEvents(c, 0x0303, "h2"))
		if r, _ := tr.Lookup(c); r.JA4 != wantRes.JA4 || r.JA3 != wantRes.JA3 {
			t.Errorf("after %s: %s, want %s", end.Name(), r.JA4, wantRes.JA4)
		}
	}
}

// A shard's Columns (ShareCache) keeps its share of the caches, with the same values.
func TestColumnsShareCache(t *testing.T) {
	x := NewColumns()
	x.ShareCache(8)
	for i := range maxCached / 4 {
		c := testConn(tlsmon.ProtoTCP)
		evs := clientHelloEvents(c, 0x0303, "h2")
		ch := evs[len(evs)-1].(*tlsmon.SSLClientHello)
		ch.Ciphers = append(ch.Ciphers, uint64(i%700+0x1000)) // 700 distinct hellos
		feed(&x.Tracker, evs)
		ref := New(Options{}) // a fresh cache
		feed(ref, evs)
		r, _ := x.Lookup(c)
		want, _ := ref.Lookup(c)
		if r.JA4 != want.JA4 || r.JA3 != want.JA3 || r.ja4 != want.ja4 || r.ja3 != want.ja3 {
			t.Fatalf("hello %d: fingerprints differ from a fresh Tracker's", i)
		}
		x.Forget(c)
	}
	if n := len(x.clientCache); n > maxCached/8 || n == 0 {
		t.Errorf("cache of %d entries, bound %d", n, maxCached/8)
	}
}
