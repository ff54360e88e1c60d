package zeeklog

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"hash/maphash"
	"math/bits"

	tlsmon "github.com/tlsmon/tlsmon"
	"github.com/tlsmon/tlsmon/certs"
)

// Bounds of the certificate cache. Everything cached is a pure function of the DER, so
// an eviction costs a later re-parse, never a different output.
const (
	maxCertCacheEntries = 16384
	maxCertCacheBytes   = 16 << 20 // certificates, fingerprints and host names kept
	certEntryOverhead   = 160      // approximate fixed cost of one entry
	maxCertChain        = 8        // entries sharing one hash key
	certKeyEdge         = 64       // bytes hashed at each end of a certificate
)

// certInfo is what the logs need of one certificate, found by its SHA-256 fingerprint
// (Zeek likewise keeps certificate information by fingerprint and reuses it when the same
// certificate is seen again).
type certInfo struct {
	key    uint64 // maphash of der
	der    []byte // a copy of the certificate, to tell maphash collisions apart (or rawSum)
	next   *certInfo
	same   tlsmon.SameBytes // what vouched for der at its last lookup (Certificate.Same), or zero
	sum    [32]byte
	fp     string   // lowercase hex of sum
	names  []string // the names compared for sni_matches_cert, at most maxHostnameChecked
	weirds []string // the weirds Zeek's X509 analyzer raises parsing it (validity times)
	size   int
	rawSum bool // sum is the SHA-256 of the very bytes, which are not kept until seen again (hold)
	parsed bool // a parse was attempted; ok and names are valid
	ok     bool // the certificate parsed (Zeek has x509 information for it)
	cached bool
}

// certCache maps certificates to their certInfo. The ssl and x509 logs of a Set share
// one, so a certificate is looked up once per event, hashed with SHA-256 once per
// distinct certificate and parsed once for ssl.log's purposes; x509.log parses again
// only the certificates it writes. Lookups use a fast non-cryptographic hash of the DER
// and compare the DER itself, which costs far less than SHA-256 on every event.
type certCache struct {
	seed  maphash.Seed
	m     map[uint64]*certInfo // chains of entries with the same maphash
	n     int
	bytes int
	// Evictions counts entries dropped to keep the cache within its bounds.
	Evictions uint64
	// the bounds: maxCertCacheEntries and maxCertCacheBytes, or a share of them (lines.go)
	maxEntries, maxBytes int
	// the fingerprint of the certificate being looked up when its caller knows it
	// (X509Log.HandleCertificate), or nil
	givenSum *[32]byte
	// givenStable: the DER being looked up is never written again (X509Log.HandleCertificate
	// with stable), so a new entry keeps it instead of a copy
	givenStable bool

	// the event a Set is dispatching and its entry, so its builders hash it only once
	curEv *tlsmon.Certificate
	cur   *certInfo
}

func newCertCache() *certCache {
	return &certCache{seed: maphash.MakeSeed(), m: make(map[uint64]*certInfo), maxEntries: maxCertCacheEntries, maxBytes: maxCertCacheBytes}
}

// lookup returns the entry of the certificate of ev, creating it if needed.
//
// A new entry keeps no copy of the certificate when its fingerprint is the SHA-256 of the
// bytes themselves (OpenSSLEncoding changes nothing, the usual case): a later lookup that
// finds it by its hash compares the SHA-256 of its own bytes with that sum instead, and
// only then is a copy kept (held), so that the lookups after compare bytes again. Most
// certificates of a capture without repetition are seen once: they cost no copy.
func (c *certCache) lookup(ev *tlsmon.Certificate) *certInfo {
	if ev == c.curEv && c.cur != nil {
		return c.cur
	}
	key := c.key(ev.DER)
	chain := 0
	head := c.m[key]
	var raw [32]byte // SHA-256 of ev.DER, once an entry without bytes needs it
	hashed := false
	for e := head; e != nil; e = e.next {
		// The analyzer's word that these are the bytes compared with e.der before spares
		// comparing them again (perfmix: a 339 kB certificate, 300 times).
		if ev.Same.Msg != nil && ev.Same == e.same {
			return e
		}
		var same bool
		if e.rawSum {
			if !hashed {
				raw, hashed = sha256.Sum256(ev.DER), true
			}
			if same = raw == e.sum; same {
				c.hold(e, ev.DER)
			}
		} else {
			same = bytes.Equal(e.der, ev.DER)
		}
		if same {
			if ev.Same.Msg != nil {
				e.same = ev.Same
			}
			return e
		}
		chain++
	}
	// Zeek hashes the certificate as OpenSSL encodes it back (the wire bytes, but for
	// BER lengths outside the TBSCertificate and bytes trailing it).
	e := &certInfo{key: key, same: ev.Same}
	if c.givenSum != nil {
		e.sum = *c.givenSum
	} else if enc := certs.OpenSSLEncoding(ev.DER); len(enc) == len(ev.DER) && (len(enc) == 0 || &enc[0] == &ev.DER[0]) {
		if !hashed {
			raw = sha256.Sum256(enc)
		}
		e.sum, e.rawSum = raw, !c.givenStable
	} else {
		e.sum = sha256.Sum256(enc)
	}
	e.fp = hexSHA256(&e.sum)
	e.size = certEntryOverhead + len(e.fp) + len(ev.DER)
	if e.size <= c.maxBytes && chain < maxCertChain { // the bound as if held
		switch {
		case e.rawSum: // no copy until it is seen again (hold)
			e.size -= len(ev.DER)
		case c.givenStable:
			e.der = ev.DER
		default:
			e.der = bytes.Clone(ev.DER)
		}
		c.insert(e, head)
	}
	return e
}

// hold has a cached entry that kept no copy of its certificate (rawSum) keep one of der,
// its bytes: the copy, or with givenStable der itself.
func (c *certCache) hold(e *certInfo, der []byte) {
	if !e.rawSum || !e.cached {
		return
	}
	if e.der = der; !c.givenStable {
		e.der = bytes.Clone(der)
	}
	e.rawSum = false
	e.size += len(der)
	c.bytes += len(der)
	c.shrink(e)
}

// hexSHA256 is hex.EncodeToString of a SHA-256 sum, two digits per table lookup (one for
// every certificate seen).
func hexSHA256(sum *[32]byte) string {
	var b [64]byte
	for i, c := range sum {
		binary.LittleEndian.PutUint16(b[2*i:], hexPairs[c])
	}
	return string(b[:])
}

// hexPairs holds the two lowercase hex digits of each byte value, the first in the low byte.
var hexPairs = func() (t [256]uint16) {
	const digits = "0123456789abcdef"
	for c := range t {
		t[c] = uint16(digits[c>>4]) | uint16(digits[c&0xf])<<8
	}
	return t
}()

// key hashes the bytes that tell certificates apart: the length, the start (serial
// number) and the end (signature). Certificates alike there share a chain, which
// bytes.Equal walks; chains are capped at maxCertChain, beyond which certificates are
// served without being cached.
func (c *certCache) key(der []byte) uint64 {
	if len(der) <= 2*certKeyEdge {
		return maphash.Bytes(c.seed, der)
	}
	h := maphash.Bytes(c.seed, der[:certKeyEdge])
	t := maphash.Bytes(c.seed, der[len(der)-certKeyEdge:])
	return h ^ bits.RotateLeft64(t, 17) ^ uint64(len(der))*0x9E3779B97F4A7C15
}

// begin makes ev the event being dispatched; end forgets it. Between the two, lookup of
// ev costs nothing. A begin of ev after Set.CertificateSum(ev) keeps its entry.
func (c *certCache) begin(ev *tlsmon.Certificate) {
	if ev == c.curEv && c.cur != nil {
		return
	}
	c.curEv, c.cur = nil, nil
	c.cur = c.lookup(ev)
	c.curEv = ev
}

func (c *certCache) end() { c.curEv, c.cur = nil, nil }

// fill records the outcome of parsing e's certificate (cert is nil when it failed).
func (c *certCache) fill(e *certInfo, cert *certs.Certificate) {
	if e.parsed {
		return
	}
	e.parsed = true
	if cert == nil {
		return
	}
	e.ok = true
	e.weirds = cert.TimeWeirds
	names := cert.HostnameNames
	if len(names) > maxHostnameChecked {
		names = names[:maxHostnameChecked]
	}
	e.names = names
	grow := 0
	for _, n := range names {
		grow += len(n) + 16
	}
	e.size += grow
	if e.cached {
		c.bytes += grow
		c.shrink(e)
	}
}

// parse fills e from der if it has not been parsed yet.
func (c *certCache) parse(e *certInfo, der []byte) {
	if e.parsed {
		return
	}
	cert, err := certs.Parse(der)
	if err != nil {
		cert = nil
	}
	c.fill(e, cert)
}

// insert adds e at the head of its chain, whose present head (lookup found it) is head.
func (c *certCache) insert(e *certInfo, head *certInfo) {
	e.cached = true
	e.next = head
	c.m[e.key] = e
	c.n++
	c.bytes += e.size
	c.shrink(e)
}

// shrink evicts arbitrary entries other than keep when the cache is over its bounds,
// down to a sixteenth below them: one walk of the map for that many entries, not a walk
// and a lookup for each entry added (a capture of distinct certificates adds one per
// certificate). keep goes too only when it alone is over them.
func (c *certCache) shrink(keep *certInfo) {
	if c.n <= c.maxEntries && c.bytes <= c.maxBytes {
		return
	}
	loEntries, loBytes := c.maxEntries-c.maxEntries/16, c.maxBytes-c.maxBytes/16
	for key, head := range c.m {
		if c.n <= loEntries && c.bytes <= loBytes {
			break
		}
		var kept *certInfo
		for e := head; e != nil; {
			next := e.next
			if e == keep {
				kept, e.next = e, nil
			} else {
				c.dropped(e)
			}
			e = next
		}
		if kept != nil {
			c.m[key] = kept
		} else {
			delete(c.m, key)
		}
	}
	if c.n > c.maxEntries || c.bytes > c.maxBytes {
		c.evict(keep)
	}
}

func (c *certCache) evict(e *certInfo) {
	p := c.m[e.key]
	switch {
	case p == e && e.next == nil:
		delete(c.m, e.key)
	case p == e:
		c.m[e.key] = e.next
	default:
		for p.next != e {
			p = p.next
		}
		p.next = e.next
	}
	c.dropped(e)
}

// dropped counts e, out of the map, as evicted.
func (c *certCache) dropped(e *certInfo) {
	e.next, e.der = nil, nil
	e.cached = false
	c.n--
	c.bytes -= e.size
	c.Evictions++
}
