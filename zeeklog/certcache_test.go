package zeeklog

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"testing"

	tlsmon "github.com/tlsmon/tlsmon"
)

func TestCertCacheLookup(t *testing.T) {
	der := testCert(t, "a.example", []string{"a.example", "*.b.example"}, nil)
	c := newCertCache()
	e := c.lookup(&tlsmon.Certificate{DER: der})
	sum := sha256.Sum256(der)
	if e.fp != hex.EncodeToString(sum[:]) {
		t.Fatalf("fingerprint %s, want %x", e.fp, sum)
	}
	if e.parsed {
		t.Fatal("lookup parsed the certificate")
	}
	if again := c.lookup(&tlsmon.Certificate{DER: bytes.Clone(der)}); again != e {
		t.Error("the same certificate in another buffer got another entry")
	}
	c.parse(e, der)
	if !e.ok || !slices.Equal(e.names, []string{"a.example", "*.b.example"}) {
		t.Errorf("parsed ok=%v names=%q", e.ok, e.names)
	}
	if other := c.lookup(&tlsmon.Certificate{DER: []byte("garbage")}); other == e {
		t.Error("another certificate got the same entry")
	} else if c.parse(other, []byte("garbage")); !other.parsed || other.ok || other.fp == "" {
		t.Errorf("garbage: parsed=%v ok=%v fp=%q", other.parsed, other.ok, other.fp)
	}
}

// A certificate's first sighting keeps its fingerprint, not its bytes; the second is
// told by the SHA-256 of its bytes and keeps them; a colliding entry without bytes is told
// apart by that sum.
func TestCertCacheHoldsOnSecondSighting(t *testing.T) {
	der := testCert(t, "a.example", []string{"a.example"}, nil)
	c := newCertCache()
	e := c.lookup(&tlsmon.Certificate{DER: der})
	if !e.cached || !e.rawSum || e.der != nil {
		t.Fatalf("first sighting: cached=%v rawSum=%v der kept=%v", e.cached, e.rawSum, e.der != nil)
	}
	checkCacheAccounting(t, c)
	fake := &certInfo{key: c.key(der), rawSum: true, fp: "fake", size: 1}
	fake.sum[0] = 1
	c.insert(fake, c.m[fake.key])
	again := bytes.Clone(der)
	if got := c.lookup(&tlsmon.Certificate{DER: again}); got != e {
		t.Fatal("second sighting: another entry")
	}
	if e.rawSum || !bytes.Equal(e.der, der) || &e.der[0] == &again[0] {
		t.Fatalf("second sighting: rawSum=%v, bytes kept %v (a copy: %v)", e.rawSum, bytes.Equal(e.der, der), e.der != nil && &e.der[0] != &again[0])
	}
	if fake.der != nil || !fake.rawSum {
		t.Error("the colliding entry took the bytes")
	}
	checkCacheAccounting(t, c)
	if got := c.lookup(&tlsmon.Certificate{DER: der}); got != e {
		t.Error("third sighting: another entry")
	}
	// a certificate whose OpenSSL encoding differs (bytes after it) keeps its bytes at once
	trailing := append(bytes.Clone(der), 0, 0)
	if t2 := c.lookup(&tlsmon.Certificate{DER: trailing}); t2.rawSum || !bytes.Equal(t2.der, trailing) || t2.fp != e.fp {
		t.Errorf("trailing bytes: rawSum=%v bytes kept %v, fingerprint %s want %s", t2.rawSum, t2.der != nil, t2.fp, e.fp)
	}
	checkCacheAccounting(t, c)
}

// An entry whose hash matches but whose bytes differ (a collision) is never returned.
func TestCertCacheCollision(t *testing.T) {
	c := newCertCache()
	der := []byte("certificate bytes")
	fake := &certInfo{key: c.key(der), der: []byte("other bytes"), fp: "fake", size: 1}
	c.insert(fake, c.m[fake.key])
	e := c.lookup(&tlsmon.Certificate{DER: der})
	if e == fake || e.fp == "fake" {
		t.Fatal("lookup returned the colliding entry")
	}
	if c.m[fake.key] != e || e.next != fake || c.n != 2 {
		t.Fatal("entries with the same hash not chained")
	}
	if c.lookup(&tlsmon.Certificate{DER: der}) != e {
		t.Error("second lookup missed the chained entry")
	}
	c.evict(fake) // from the tail of the chain
	if c.m[e.key] != e || e.next != nil || c.n != 1 {
		t.Error("evicting the chain's tail broke the chain")
	}
	c.insert(fake, c.m[fake.key])
	c.evict(e) // from the middle of the chain
	if c.m[e.key] != fake || fake.next != nil {
		t.Error("evicting inside the chain broke it")
	}
}

// Certificates alike at both ends (where the hash looks) are still told apart, and the
// chain they share stays capped.
// An event's Same spares the comparison only with the entry whose bytes were compared under
// that Same; a zero Same or another one compares the bytes.
func TestCertCacheSameBytes(t *testing.T) {
	c := newCertCache()
	der := []byte("certificate bytes")
	m1, m2 := &tlsmon.MessageID{}, &tlsmon.MessageID{}
	fake := &certInfo{key: c.key(der), der: []byte("other bytes"), fp: "fake", size: 1}
	c.insert(fake, c.m[fake.key]) // a colliding entry, vouched for by nothing
	for _, same := range []tlsmon.SameBytes{{}, {Msg: m1, Off: 7}} {
		if e := c.lookup(&tlsmon.Certificate{DER: der, Same: same}); e == fake {
			t.Fatalf("Same %+v: lookup returned the colliding entry", same)
		}
	}
	e := c.lookup(&tlsmon.Certificate{DER: der})
	if e.same != (tlsmon.SameBytes{Msg: m1, Off: 7}) {
		t.Errorf("entry vouched for by %+v, want the Same of the lookup that compared its bytes", e.same)
	}
	fake.same = tlsmon.SameBytes{Msg: m2, Off: 7}
	if got := c.lookup(&tlsmon.Certificate{DER: der, Same: tlsmon.SameBytes{Msg: m2, Off: 8}}); got != e {
		t.Error("another offset of the message was taken for the entry's bytes")
	}
	if e.same != (tlsmon.SameBytes{Msg: m2, Off: 8}) {
		t.Errorf("entry vouched for by %+v after a lookup under another Same", e.same)
	}
	// the analyzer's word is taken (it never gives one Same to different bytes)
	c.evict(e)
	if got := c.lookup(&tlsmon.Certificate{DER: der, Same: fake.same}); got != fake {
		t.Error("an event vouched for by an entry's Same did not get that entry")
	}
}

func TestCertCacheSameEdges(t *testing.T) {
	c := newCertCache()
	base := make([]byte, 1000)
	for i := range base {
		base[i] = byte(i)
	}
	const n = 3 * maxCertChain
	for round := range 2 {
		for i := range n {
			der := bytes.Clone(base)
			der[500] = byte(i)
			e := c.lookup(&tlsmon.Certificate{DER: der})
			if sum := sha256.Sum256(der); e.fp != hex.EncodeToString(sum[:]) {
				t.Fatalf("round %d certificate %d: wrong entry", round, i)
			}
			if round == 1 && i < maxCertChain && !e.cached {
				t.Errorf("certificate %d not cached", i)
			}
		}
	}
	checkCacheAccounting(t, c)
	if c.n != maxCertChain {
		t.Errorf("%d entries cached for one key, want the cap %d", c.n, maxCertChain)
	}
}

func checkCacheAccounting(t *testing.T, c *certCache) {
	t.Helper()
	n, size := 0, 0
	for _, e := range c.m {
		for ; e != nil; e = e.next {
			n++
			size += e.size
		}
	}
	if n != c.n || size != c.bytes {
		t.Fatalf("cache counts %d entries / %d bytes, holds %d / %d", c.n, c.bytes, n, size)
	}
	if c.n > maxCertCacheEntries || c.bytes > maxCertCacheBytes {
		t.Fatalf("cache over its bounds: %d entries, %d bytes", c.n, c.bytes)
	}
}

func TestCertCacheEntryBound(t *testing.T) {
	c := newCertCache()
	const extra = 100
	for i := range maxCertCacheEntries + extra {
		c.lookup(&tlsmon.Certificate{DER: fmt.Appendf(nil, "cert %d", i)})
	}
	checkCacheAccounting(t, c)
	// full: evicted down to a sixteenth below the bound, then filled again
	if want := maxCertCacheEntries - maxCertCacheEntries/16 + extra - 1; c.n != want || c.Evictions != maxCertCacheEntries+extra-uint64(want) {
		t.Errorf("%d entries, %d evictions; want %d and %d", c.n, c.Evictions, want, maxCertCacheEntries+extra-want)
	}
}

func TestCertCacheByteBound(t *testing.T) {
	c := newCertCache()
	big := make([]byte, 1<<20)
	for i := range 40 {
		big[0], big[1] = byte(i), byte(i>>8)
		c.lookup(&tlsmon.Certificate{DER: big})
		e := c.lookup(&tlsmon.Certificate{DER: big}) // seen again: its bytes kept (hold)
		if !e.cached || e.der == nil {
			t.Fatalf("certificate %d not cached", i)
		}
		checkCacheAccounting(t, c)
	}
	if c.Evictions == 0 {
		t.Error("40 MiB of certificates cached without eviction")
	}
	huge := make([]byte, maxCertCacheBytes+1)
	before := c.n
	e := c.lookup(&tlsmon.Certificate{DER: huge})
	if sum := sha256.Sum256(huge); e.cached || e.fp != hex.EncodeToString(sum[:]) || c.n != before {
		t.Errorf("oversized certificate: cached=%v fp=%s entries %d→%d", e.cached, e.fp, before, c.n)
	}
	checkCacheAccounting(t, c)
}

// Host names that grow an entry past the byte bound evict other entries, never the
// accounting.
func TestCertCacheNamesCounted(t *testing.T) {
	c := newCertCache()
	der := testCert(t, "x", []string{strings.Repeat("a", 200) + ".example", "b.example"}, nil)
	e := c.lookup(&tlsmon.Certificate{DER: der})
	before := c.bytes
	c.parse(e, der)
	if c.bytes <= before+200 {
		t.Errorf("names not counted: %d → %d bytes", before, c.bytes)
	}
	checkCacheAccounting(t, c)
	c.evict(e)
	if c.bytes != 0 || c.n != 0 {
		t.Errorf("after evicting the only entry: %d entries, %d bytes", c.n, c.bytes)
	}
}

// The ssl and x509 logs of a Set share one cache, and its logs are those of separate
// builders: x509.log de-duplicates by (fingerprint, host_cert, client_cert) for a day
// (Zeek's known_log_certs), unparsable certificates are counted each time, and
// sni_matches_cert comes from the first server certificate.
func TestSetSharesCertificateCache(t *testing.T) {
	der := testCert(t, "cn.example", []string{"*.example.com"}, nil)
	var sb, xb bytes.Buffer
	set := NewSet(Logs()[:2], func(spec LogSpec) Writer {
		if spec.Path == "ssl" {
			return NewJSONWriter(&sb, spec.Columns)
		}
		return NewJSONWriter(&xb, spec.Columns)
	})
	xl, sl := set.builders[0].(*X509Log), set.builders[1].(*SSLLog)
	if xl.certs != sl.certs || xl.certs != set.certs {
		t.Fatal("the set's builders do not share the certificate cache")
	}
	const day = 24 * 3600 * 1_000_000
	conn := func(uid string, ts int64, certs ...*tlsmon.Certificate) {
		c := testConn()
		c.UID = uid
		m := tlsmon.Meta{Ts: ts, Conn: c}
		set.HandleEvent(&tlsmon.SSLExtensionServerName{Meta: m, IsClient: true, Names: [][]byte{[]byte("www.example.com")}})
		for _, ce := range certs {
			ce.Meta = m
			set.HandleEvent(ce)
		}
		set.HandleEvent(&tlsmon.ConnectionStateRemove{Meta: m})
	}
	// the event struct and its DER buffer are reused from one event to the next, as the
	// pipeline does
	buf := make([]byte, len(der))
	ev := &tlsmon.Certificate{}
	cert := func(b []byte, idx int, client bool) *tlsmon.Certificate {
		buf = append(buf[:0], b...)
		*ev = tlsmon.Certificate{Index: idx, IsClient: client, DER: buf}
		return ev
	}
	conn("C1", 1_000_000, cert(der, 0, false))
	conn("C2", 2_000_000, cert(der, 0, false))               // same key within a day: not logged
	conn("C3", 3_000_000, cert(der, 1, false))               // not a host certificate: another key
	conn("C4", 4_000_000, cert([]byte("garbage"), 0, false)) // unparsable
	conn("C5", 5_000_000, cert([]byte("garbage"), 0, false)) // unparsable again
	conn("C6", 1_000_000+day+1, cert(der, 0, false))         // a day later: logged again
	conn("C7", 1_000_000+day+2, cert(der, 0, true))          // a client certificate: another key
	if err := set.Close(0); err != nil {
		t.Fatal(err)
	}
	x509Rows := strings.Count(xb.String(), "\n")
	if x509Rows != 4 {
		t.Errorf("%d x509 rows, want 4:\n%s", x509Rows, xb.String())
	}
	if xl.Unparsable != 2 {
		t.Errorf("unparsable %d, want 2", xl.Unparsable)
	}
	sum := sha256.Sum256(der)
	fp := hex.EncodeToString(sum[:])
	rows := strings.Split(strings.TrimSpace(sb.String()), "\n")
	if len(rows) != 7 {
		t.Fatalf("%d ssl rows, want 7", len(rows))
	}
	for i, want := range []string{
		`"cert_chain_fps":["` + fp + `"],"client_cert_chain_fps":[],"sni_matches_cert":true`,
		`"cert_chain_fps":["` + fp + `"],"client_cert_chain_fps":[],"sni_matches_cert":true`,
		`"cert_chain_fps":["` + fp + `"],"client_cert_chain_fps":[],"sni_matches_cert":true`,
		`"cert_chain_fps":[],"client_cert_chain_fps":[]}`,
		`"cert_chain_fps":[],"client_cert_chain_fps":[]}`,
		`"cert_chain_fps":["` + fp + `"],"client_cert_chain_fps":[],"sni_matches_cert":true`,
		`"cert_chain_fps":[],"client_cert_chain_fps":["` + fp + `"]}`,
	} {
		if !strings.Contains(rows[i], want) {
			t.Errorf("ssl row %d: %s\nwant it to contain %s", i+1, rows[i], want)
		}
	}
	if set.certs.curEv != nil {
		t.Error("the set kept the last certificate event as current")
	}
}

func TestHexSHA256(t *testing.T) {
	for _, in := range []string{"", "a", "certificate"} {
		sum := sha256.Sum256([]byte(in))
		if got, want := hexSHA256(&sum), hex.EncodeToString(sum[:]); got != want {
			t.Errorf("%q: %s, want %s", in, got, want)
		}
	}
	for start := 0; start < 256; start += 32 { // every byte value
		var all [32]byte
		for i := range all {
			all[i] = byte(start + i)
		}
		if got, want := hexSHA256(&all), hex.EncodeToString(all[:]); got != want {
			t.Errorf("%s, want %s", got, want)
		}
	}
}
