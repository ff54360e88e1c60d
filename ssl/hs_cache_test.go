package ssl

import (
	"crypto/sha256"
	"fmt"
	"slices"
	"testing"

	"github.com/tlsmon/tlsmon"
	"github.com/tlsmon/tlsmon/analyzer"
)

// cacheRecorder keeps recorder's lines, with a digest of each certificate's bytes, and
// checks the certificates' Same against those of the other connections of its run.
type cacheRecorder struct {
	recorder
	same *sameCheck
}

func (r *cacheRecorder) HandleEvent(e tlsmon.Event) {
	if c, ok := e.(*tlsmon.Certificate); ok {
		sum := sha256.Sum256(c.DER)
		r.lines = append(r.lines, fmt.Sprintf("cert %d %v %x", c.Index, c.IsClient, sum))
		r.same.check(c.Same, sum)
		return
	}
	r.recorder.HandleEvent(e)
}

// sameCheck collects the Same of a run's certificates: the certificates with one Same
// must have the same bytes.
type sameCheck struct {
	sums    map[tlsmon.SameBytes][32]byte
	bad     []string // Sames vouching for different bytes
	vouched int      // certificates with a Same
}

func (s *sameCheck) check(same tlsmon.SameBytes, sum [32]byte) {
	if s == nil || same.Msg == nil { // nil: not checked
		return
	}
	s.vouched++
	if old, ok := s.sums[same]; ok && old != sum {
		s.bad = append(s.bad, fmt.Sprintf("offset %d: %x and %x", same.Off, old[:4], sum[:4]))
	}
	s.sums[same] = sum
}

// cacheConn is the responder's side of one connection of a cache test.
type cacheConn struct {
	msgs     [][]byte // handshake messages, sent in records of at most 16 KiB
	seg      int      // TCP segment size (0: 1400)
	cut      int      // bytes of the stream delivered (0: all)
	maxMsg   int      // this connection's Config.MaxHandshakeMessage (0: the default)
	maxFrags int      // its Config.MaxHandshakeFragments likewise
}

// stream is the connection's bytes, cut as asked.
func (c cacheConn) stream() []byte {
	hs := slices.Concat(c.msgs...)
	var out []byte
	for len(hs) > 0 {
		n := min(len(hs), 16384)
		out = append(out, record(ctHandshake, versionTLS12, hs[:n])...)
		hs = hs[n:]
	}
	if c.cut > 0 && c.cut < len(out) {
		out = out[:c.cut]
	}
	return out
}

// cacheRun is the outcome of a run of connections.
type cacheRun struct {
	lines   [][]string // events of each connection
	cache   *msgCache  // the cache used (nil: none)
	vouched int        // certificates with a Same
}

// runCacheConns analyzes conns with one shared message cache (or none): one after the
// other, or interleaved segment by segment (many connections in flight). step, when set,
// runs after every delivery.
func runCacheConns(t *testing.T, conns []cacheConn, cached, interleaved bool) cacheRun {
	t.Helper()
	var run cacheRun
	newA := New
	if cached {
		run.cache = NewShared(Config{}).cache
		newA = func(env *analyzer.Env) analyzer.Analyzer { return newAnalyzer(env, run.cache.sh) }
	}
	as := make([]*Analyzer, len(conns))
	recs := make([]*cacheRecorder, len(conns))
	streams := make([][]byte, len(conns))
	same := &sameCheck{sums: map[tlsmon.SameBytes][32]byte{}}
	for i, c := range conns {
		recs[i] = &cacheRecorder{same: same}
		env := &analyzer.Env{Conn: testConn, Events: recs[i], Detach: func() {}}
		as[i] = newA(env).(*Analyzer)
		streams[i] = c.stream()
	}
	deliver := func(i int) bool { // one segment; false once the stream is done
		c := conns[i]
		if len(streams[i]) == 0 {
			return false
		}
		seg := c.seg
		if seg == 0 {
			seg = 1400
		}
		n := min(seg, len(streams[i]))
		hs := as[i].session().hs
		if c.maxMsg > 0 {
			hs.maxMsg = c.maxMsg
		}
		if c.maxFrags > 0 {
			hs.maxFrags = c.maxFrags
		}
		as[i].DeliverStream(1, false, streams[i][:n])
		streams[i] = streams[i][n:]
		return true
	}
	if interleaved {
		for more := true; more; {
			more = false
			for i := range conns {
				if deliver(i) {
					more = true
				}
			}
		}
	} else {
		for i := range conns {
			for deliver(i) {
			}
		}
	}
	for i := range conns {
		as[i].Done(2)
		run.lines = append(run.lines, recs[i].lines)
	}
	if len(same.bad) > 0 || !cached && same.vouched > 0 {
		t.Errorf("certificates of one Same with different bytes: %q; %d vouched for, cache %v", same.bad, same.vouched, cached)
	}
	run.vouched = same.vouched
	if c := run.cache; c != nil {
		for _, e := range c.entries {
			if e.refs != 0 {
				t.Errorf("cache entry of %d bytes still has %d references after every connection ended", len(e.b), e.refs)
			}
		}
	}
	return run
}

// sameWithCache runs conns with and without a cache, in both orders, and fails when the
// events differ. It returns the cache of the sequential and of the interleaved run.
func sameWithCache(t *testing.T, conns []cacheConn) (seq, inter *msgCache) {
	t.Helper()
	for _, interleaved := range []bool{false, true} {
		want := runCacheConns(t, conns, false, interleaved)
		got := runCacheConns(t, conns, true, interleaved)
		for i := range conns {
			if !slices.Equal(got.lines[i], want.lines[i]) {
				t.Errorf("interleaved %v, connection %d: events differ with the cache\n got %q\nwant %q", interleaved, i, got.lines[i], want.lines[i])
			}
		}
		if got.vouched > 0 && got.cache.hits == 0 {
			t.Errorf("interleaved %v: %d certificates vouched for without a message from the cache", interleaved, got.vouched)
		}
		if interleaved {
			inter = got.cache
		} else {
			seq = got.cache
		}
	}
	return seq, inter
}

// flip returns a copy of msg with byte i changed.
func flip(msg []byte, i int) []byte {
	m := slices.Clone(msg)
	m[i] ^= 0x5a
	return m
}

// Messages that repeat, diverge from the cached one at any point, or differ in length
// yield the same events with the message cache as without.
func TestHandshakeCacheSameEvents(t *testing.T) {
	m := certChainMsg(3, 20000) // 60 kB: four records, chunked
	done := hsMsg(hsServerHelloDone, nil)
	for _, tc := range []struct {
		name  string
		conns []cacheConn
		hits  [2]int // messages parsed from a cache entry, one after the other and interleaved
	}{
		{"identical", []cacheConn{{msgs: [][]byte{m, done}}, {msgs: [][]byte{m, done}}, {msgs: [][]byte{m, done}, seg: 100000}, {msgs: [][]byte{m}, seg: 333}}, [2]int{4, 4}},
		{"first body byte", []cacheConn{{msgs: [][]byte{m}}, {msgs: [][]byte{flip(m, 4), done}}, {msgs: [][]byte{m, done}}}, [2]int{1, 2}},
		{"repeated malformed", []cacheConn{{msgs: [][]byte{flip(m, 4), done}}, {msgs: [][]byte{flip(m, 4), done}}, {msgs: [][]byte{m, done}}}, [2]int{2, 2}},
		{"middle", []cacheConn{{msgs: [][]byte{m}}, {msgs: [][]byte{flip(m, len(m)/2), done}}, {msgs: [][]byte{m, done}}}, [2]int{1, 2}},
		{"last byte", []cacheConn{{msgs: [][]byte{m}}, {msgs: [][]byte{flip(m, len(m)-1), done}}, {msgs: [][]byte{flip(m, len(m)-1), done}}}, [2]int{2, 1}},
		{"last byte, whole records", []cacheConn{{msgs: [][]byte{m}, seg: 1 << 20}, {msgs: [][]byte{flip(m, len(m)-1)}, seg: 1 << 20}}, [2]int{1, 1}},
		{"lengths", []cacheConn{{msgs: [][]byte{m}}, {msgs: [][]byte{certChainMsg(3, 20001), done}}, {msgs: [][]byte{certChainMsg(3, 19999)}}, {msgs: [][]byte{m}}}, [2]int{4, 4}},
		{"cut off", []cacheConn{{msgs: [][]byte{m}}, {msgs: [][]byte{m}, cut: len(m) / 2}, {msgs: [][]byte{m}, cut: 16384 + 5 + 3}, {msgs: [][]byte{m, done}}}, [2]int{2, 2}},
		{"split header", []cacheConn{{msgs: [][]byte{m}, seg: 2}, {msgs: [][]byte{m}, seg: 2}}, [2]int{2, 2}},
		{"small messages", []cacheConn{{msgs: [][]byte{certChainMsg(2, 3000)}}, {msgs: [][]byte{certChainMsg(2, 3000)}}}, [2]int{0, 0}},
		{"too fragmented", []cacheConn{{msgs: [][]byte{m}}, {msgs: [][]byte{m, done}, maxFrags: 2}, {msgs: [][]byte{m, done}}}, [2]int{2, 2}},
		{"too large", []cacheConn{{msgs: [][]byte{m}}, {msgs: [][]byte{m, done}, maxMsg: len(m) - 5}, {msgs: [][]byte{m, done}}}, [2]int{2, 2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			seq, inter := sameWithCache(t, tc.conns)
			if got := [2]int{seq.hits, inter.hits}; got != tc.hits {
				t.Errorf("messages parsed from a cache entry (one after the other, interleaved): %v, want %v", got, tc.hits)
			}
		})
	}
}

// The certificates of a message parsed from a cache entry carry its identity (Same), one
// per certificate; another message, differing in one byte, never carries it.
func TestHandshakeCacheSameBytes(t *testing.T) {
	m := certChainMsg(3, 20000)
	conns := []cacheConn{{msgs: [][]byte{m}}, {msgs: [][]byte{m}, seg: 777}, {msgs: [][]byte{flip(m, len(m)-1)}}, {msgs: [][]byte{m}}}
	for _, interleaved := range []bool{false, true} {
		run := runCacheConns(t, conns, true, interleaved) // checks that a Same has one content
		if run.vouched != 3*run.cache.hits || run.cache.hits < 2 {
			t.Errorf("interleaved %v: %d certificates vouched for, %d messages from the cache (3 certificates each)", interleaved, run.vouched, run.cache.hits)
		}
	}
	// the certificates themselves, and a message completed without the cache
	var got []tlsmon.SameBytes
	c := NewShared(Config{}).cache
	for _, msg := range [][]byte{m, m, flip(m, len(m)-1), m} {
		var certs []tlsmon.SameBytes
		rec := tlsmon.HandlerFunc(func(e tlsmon.Event) {
			if c, ok := e.(*tlsmon.Certificate); ok {
				certs = append(certs, c.Same)
			}
		})
		a := newAnalyzer(&analyzer.Env{Conn: testConn, Events: rec, Detach: func() {}}, c.sh).(*Analyzer)
		a.DeliverStream(1, false, cacheConn{msgs: [][]byte{msg}}.stream())
		a.Done(2)
		if len(certs) != 3 {
			t.Fatalf("%d certificates, want 3", len(certs))
		}
		got = append(got, certs...)
	}
	for i := 1; i < 3; i++ {
		if got[i] == got[0] || got[i].Msg != got[0].Msg || got[i].Off <= got[i-1].Off {
			t.Errorf("certificate %d of one message: %+v after %+v", i, got[i], got[i-1])
		}
	}
	if got[3] != got[0] || got[4] != got[1] || got[5] != got[2] {
		t.Errorf("the same message from the cache: %+v, want %+v", got[3:6], got[:3])
	}
	for i := 6; i < 9; i++ {
		if got[i].Msg == got[0].Msg {
			t.Errorf("certificate %d of a message differing in its last byte: %+v, like the cached one", i-6, got[i])
		}
	}
}

// A connection verifying against a cached message that is evicted meanwhile completes
// from it, and the evicted buffer is recycled only then.
func TestHandshakeCacheEvictedWhileVerifying(t *testing.T) {
	m := certChainMsg(3, 20000)
	conns := []cacheConn{{msgs: [][]byte{m}}, {msgs: [][]byte{m}}}
	for i := 0; i < cacheMaxEntries+1; i++ {
		conns = append(conns, cacheConn{msgs: [][]byte{certChainMsg(2, 10000+i)}})
	}
	// connection 1 gets half of its stream, then every other connection runs, then the rest
	half := len(conns[1].stream()) / 2
	want := runCacheConns(t, conns, false, false)
	c := NewShared(Config{}).cache
	recs := make([]*cacheRecorder, len(conns))
	as := make([]*Analyzer, len(conns))
	for i := range conns {
		recs[i] = &cacheRecorder{}
		as[i] = newAnalyzer(&analyzer.Env{Conn: testConn, Events: recs[i], Detach: func() {}}, c.sh).(*Analyzer)
	}
	s1 := conns[1].stream()
	as[0].DeliverStream(1, false, conns[0].stream())
	as[1].DeliverStream(1, false, s1[:half])
	entry := as[1].session().hs.dir[1].ver
	if entry == nil {
		t.Fatal("the repeated message is not verified against the cache")
	}
	for i := 2; i < len(conns); i++ {
		as[i].DeliverStream(1, false, conns[i].stream())
	}
	if !entry.evicted || entry.b == nil || slices.Contains(c.entries, entry) {
		t.Fatalf("entry evicted %v, buffer kept %v, still listed %v", entry.evicted, entry.b != nil, slices.Contains(c.entries, entry))
	}
	as[1].DeliverStream(1, false, s1[half:])
	if entry.b != nil || entry.refs != 0 {
		t.Errorf("evicted entry not released after its last verification (%d references)", entry.refs)
	}
	for i := range conns {
		as[i].Done(2)
		if !slices.Equal(recs[i].lines, want.lines[i]) {
			t.Errorf("connection %d: events differ\n got %q\nwant %q", i, recs[i].lines, want.lines[i])
		}
	}
	if c.hits != len(conns) {
		t.Errorf("%d messages parsed from a cache entry, want %d", c.hits, len(conns))
	}
}

// However many distinct large messages pass, the cache stays within its bounds.
func TestHandshakeCacheBudget(t *testing.T) {
	var conns []cacheConn
	for i := 0; i < 3*cacheMaxEntries; i++ {
		conns = append(conns, cacheConn{msgs: [][]byte{certChainMsg(1+i%3, 17000+4999*i)}, seg: 1400 + 14989*(i%2)})
	}
	seq, inter := sameWithCache(t, conns)
	for _, c := range []*msgCache{seq, inter} {
		sum := 0
		for _, e := range c.entries {
			sum += cap(e.b)
		}
		if sum != c.bytes || c.bytes > cacheMaxBytes || len(c.entries) > cacheMaxEntries || len(c.entries) == 0 {
			t.Errorf("cache holds %d entries of %d bytes (counted %d); bounds %d entries, %d bytes", len(c.entries), sum, c.bytes, cacheMaxEntries, cacheMaxBytes)
		}
	}
	// a message whose buffer exceeds the budget is not cached
	c := NewShared(Config{}).cache
	c.insert(make([]byte, 8, 2*cacheMaxBytes))
	if len(c.entries) != 0 || c.bytes != 0 {
		t.Errorf("%d entries of %d bytes after an oversized message", len(c.entries), c.bytes)
	}
}

// Analyzers of Spec have no cache; those of one CachingSpec share theirs, another
// CachingSpec has its own, and a session goes back to its own Shared only.
func TestHandshakeCachePerSpec(t *testing.T) {
	env := &analyzer.Env{Conn: testConn, Detach: func() {}}
	if a := Spec().New(env).(*Analyzer); a.session().hs.cache != nil {
		t.Error("Spec's analyzer has a cache")
	}
	s1, s2 := CachingSpec(), CachingSpec()
	a, b, c := s1.New(env).(*Analyzer), s1.New(env).(*Analyzer), s2.New(env).(*Analyzer)
	if a.session().hs.cache == nil || a.session().hs.cache != b.session().hs.cache || a.session().hs.cache == c.session().hs.cache {
		t.Error("caches not per spec")
	}
	s := a.session()
	a.Done(1)
	if d := s2.New(env).(*Analyzer); d.session() == s {
		t.Error("a session recycled into another engine's Shared")
	}
	if d := s1.New(env).(*Analyzer); d.session() != s || d.session().hs.cache != b.session().hs.cache {
		t.Error("a session not recycled into its own Shared")
	}
}

// shOf returns the Shared of a cache (nil: none).
func shOf(c *msgCache) *Shared {
	if c == nil {
		return nil
	}
	return c.sh
}

// FuzzHandshakeCache compares, on random segmentations, an analyzer using a message cache
// with one that has none, on connections carrying a large message and variants of it.
func FuzzHandshakeCache(f *testing.F) {
	f.Add([]byte("cert"), uint32(0), uint8(0), uint16(1400), uint8(0))
	f.Add([]byte{1, 2, 3}, uint32(30000), uint8(1), uint16(7), uint8(1))
	f.Add([]byte{0}, uint32(4), uint8(0xff), uint16(16389), uint8(2))
	f.Fuzz(func(t *testing.T, pattern []byte, pos uint32, xor uint8, seg uint16, mode uint8) {
		if len(pattern) == 0 {
			pattern = []byte{0}
		}
		body := make([]byte, 17000+int(mode)*311)
		for i := range body {
			body[i] = pattern[i%len(pattern)] + byte(i/len(pattern))
		}
		m := hsMsg(hsCertificate, certMsg([][]byte{body, body[:len(body)/3]}))
		v := slices.Clone(m)
		v[int(pos)%len(v)] ^= xor
		conns := []cacheConn{{msgs: [][]byte{m}, seg: int(seg) + 1}, {msgs: [][]byte{v}, seg: int(seg)/3 + 1},
			{msgs: [][]byte{m}, seg: int(seg)/7 + 1, cut: int(pos) % (2 * len(m))}, {msgs: [][]byte{v, m}, seg: int(seg) + 1}}
		interleaved := mode&1 != 0
		want := runCacheConns(t, conns, false, interleaved)
		got := runCacheConns(t, conns, true, interleaved)
		for i := range conns {
			if !slices.Equal(got.lines[i], want.lines[i]) {
				t.Fatalf("connection %d: events differ with the cache\n got %q\nwant %q", i, got.lines[i], want.lines[i])
			}
		}
	})
}

// A looked-up entry becomes the most recently used: the least recently used one goes first.
func TestHandshakeCacheLRU(t *testing.T) {
	c := NewShared(Config{}).cache
	msg := func(i int) []byte { return append(make([]byte, 0, 1<<chunkClass), hsCertificate, 1, 0, byte(i)) }
	for i := 0; i < cacheMaxEntries; i++ {
		c.insert(msg(i))
	}
	if c.lookup([4]byte(msg(0))) == nil {
		t.Fatal("entry 0 not found")
	}
	c.insert(msg(cacheMaxEntries))
	if c.lookup([4]byte(msg(0))) == nil || c.lookup([4]byte(msg(1))) != nil || len(c.entries) != cacheMaxEntries {
		t.Errorf("after a lookup of entry 0 and one more insertion: entry 0 kept %v, entry 1 kept %v, %d entries",
			c.lookup([4]byte(msg(0))) != nil, c.lookup([4]byte(msg(1))) != nil, len(c.entries))
	}
}

// BenchmarkLargeMessageCache reassembles large certificate messages arriving in 1400-byte
// segments of 16 KiB records, 8 connections in flight, with and without a message cache:
// the same message on every connection (a server's chain), a distinct one on each, and
// distinct ones of the same length (each verified against the last, then stored).
func BenchmarkLargeMessageCache(b *testing.B) {
	const inFlight = 8
	base := certChainMsg(3, 100000) // 300 kB
	b.ReportAllocs()
	for _, kind := range []string{"same", "distinct", "same-length"} {
		streams := make([][]byte, 64)
		for i := range streams {
			m := base
			switch kind {
			case "distinct":
				m = certChainMsg(3, 100000+i)
			case "same-length": // differing at byte 1000+i
				m = flip(base, 1000+i)
			}
			streams[i] = cacheConn{msgs: [][]byte{m}}.stream()
		}
		for _, cached := range []bool{false, true} {
			b.Run(fmt.Sprintf("%s/cache=%v", kind, cached), func(b *testing.B) {
				c := NewShared(Config{}).cache
				if !cached {
					c = nil
				}
				env := &analyzer.Env{Conn: testConn, Events: tlsmon.HandlerFunc(func(tlsmon.Event) {}), Detach: func() {}}
				b.SetBytes(int64(inFlight * len(streams[0])))
				for i := 0; i < b.N; i++ {
					var as [inFlight]*Analyzer
					var ss [inFlight][]byte
					for j := range as {
						as[j] = newAnalyzer(env, shOf(c)).(*Analyzer)
						ss[j] = streams[(i*inFlight+j)%len(streams)]
					}
					for more := true; more; {
						more = false
						for j := range as {
							if n := min(1400, len(ss[j])); n > 0 {
								as[j].DeliverStream(1, false, ss[j][:n])
								ss[j] = ss[j][n:]
								more = true
							}
						}
					}
					for _, a := range as {
						a.Done(2)
					}
				}
			})
		}
	}
}
