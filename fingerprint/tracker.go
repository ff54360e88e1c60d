package fingerprint

import (
	"bytes"
	"cmp"
	"slices"
	"unsafe"

	tlsmon "github.com/tlsmon/tlsmon"
)

// Result is what a Tracker knows of one connection's fingerprints.
type Result struct {
	ClientHellos int // ClientHellos seen; the fingerprints are of the first
	ServerHellos int // ServerHellos seen (a HelloRetryRequest counts); JA3S is of the first
	// HelloRetryRequest is set when a ServerHello was a HelloRetryRequest: the client then
	// sent a second ClientHello, which is not the one fingerprinted.
	HelloRetryRequest bool

	JA4  JA4 // zero until the first ClientHello
	JA3  MD5 // valid when ClientHellos > 0
	JA3S MD5 // valid when ServerHellos > 0

	// Client and Server are the first hellos' fields, for the other forms (Builder.JA4O,
	// AppendJA4R, AppendJA4RO, AppendJA3String, AppendJA3SString), when Options.KeepHellos
	// is set (else they are empty). They belong to the Tracker and are valid until the
	// connection is forgotten.
	Client ClientHello
	Server ServerHello

	ja4, ja3, ja3s string // the fingerprints as text, shared with the cache
}

// Strings returns JA4, JA3 and JA3S as text ("" for a hello not seen), without allocating:
// the strings are shared by the connections with the same hellos.
func (r *Result) Strings() (ja4, ja3, ja3s string) { return r.ja4, r.ja3, r.ja3s }

// reset empties r, keeping its hellos' capacity.
func (r *Result) reset() {
	r.Client.Reset()
	r.Server.Reset()
	*r = Result{Client: r.Client, Server: r.Server}
}

// Options configure a Tracker.
type Options struct {
	// OnResult, when set, is called with a connection's result at its ConnectionStateRemove
	// event if the connection had a hello; r is valid only during the call.
	OnResult func(c *tlsmon.Conn, r *Result)
	// OnClientHello and OnServerHello, when set, are called for every hello (not only the
	// first), with its event and its fields; both are valid only during the call.
	OnClientHello func(e *tlsmon.SSLClientHello, h *ClientHello)
	OnServerHello func(e *tlsmon.SSLServerHello, h *ServerHello)
	// KeepHellos keeps each connection's first hellos in its Result (Client, Server), for
	// the raw and original-order forms.
	KeepHellos bool
}

// Tracker is a tlsmon.Handler that fingerprints the hellos of every connection from the
// analyzer's events. A connection's Result is available from its first hello event on
// (Lookup) and is passed to Options.OnResult when the connection ends; the Tracker then
// forgets it. A Tracker belongs to one engine: it is not safe for concurrent use.
type Tracker struct {
	opts         Options
	conns        map[*tlsmon.Conn]*Result
	free         []*Result // results of forgotten connections, for reuse
	b            Builder
	manualForget bool // Forget drops connections (Columns), not ConnectionStateRemove
	maxCached    int  // bound of each cache; 0: maxCached (Columns.ShareCache)

	// The events of one hello are raised together, in one call of the analyzer: the hello
	// whose events are arriving is kept here, once per Tracker, with its connection.
	client     ClientHello
	clientConn *tlsmon.Conn
	server     ServerHello
	serverConn *tlsmon.Conn

	// Fingerprints of the hellos seen, by the exact fields they are computed from: most
	// connections come from a few client and server stacks, and a hit saves the hashing.
	clientCache map[string]clientFP
	serverCache map[string]serverFP
	key         []byte
}

// clientFP is what the cache keeps of a ClientHello.
type clientFP struct {
	ja4        JA4
	ja3        MD5
	ja4s, ja3s string
}

// serverFP is what the cache keeps of a ServerHello.
type serverFP struct {
	ja3s  MD5
	ja3ss string
}

// maxCached bounds each cache: when full it is emptied (the hellos that matter come back).
// maxKeyLen keeps hellos larger than any common client's out of the cache: with both, a
// cache holds at most ≈ 4.5 MB whatever the traffic.
const (
	maxCached = 4096
	maxKeyLen = 1024
)

// New returns a Tracker.
func New(opts Options) *Tracker {
	return &Tracker{opts: opts, conns: make(map[*tlsmon.Conn]*Result),
		clientCache: make(map[string]clientFP), serverCache: make(map[string]serverFP)}
}

// Lookup returns c's result, or false when none of c's hellos has been seen. The result is
// owned by the Tracker and valid until c is forgotten.
func (t *Tracker) Lookup(c *tlsmon.Conn) (*Result, bool) {
	r := t.conns[c]
	return r, r != nil
}

// Builder returns the Tracker's builder, for the raw forms of a Result.
func (t *Tracker) Builder() *Builder { return &t.b }

// result returns c's result, creating it.
func (t *Tracker) result(c *tlsmon.Conn) *Result {
	if r := t.conns[c]; r != nil {
		return r
	}
	var r *Result
	if n := len(t.free); n > 0 {
		r, t.free = t.free[n-1], t.free[:n-1]
	} else {
		r = &Result{}
	}
	t.conns[c] = r
	return r
}

// Forget drops what the Tracker keeps for c.
func (t *Tracker) Forget(c *tlsmon.Conn) {
	if c == t.clientConn {
		t.dropClient()
	}
	if c == t.serverConn {
		t.dropServer()
	}
	r := t.conns[c]
	if r == nil {
		return
	}
	delete(t.conns, c)
	r.reset()
	t.free = append(t.free, r)
}

// pendingClient returns the ClientHello of c whose events are arriving.
func (t *Tracker) pendingClient(c *tlsmon.Conn) *ClientHello {
	if c != t.clientConn {
		t.client.Reset()
		t.clientConn = c
	}
	return &t.client
}

// pendingServer returns the ServerHello of c whose events are arriving.
func (t *Tracker) pendingServer(c *tlsmon.Conn) *ServerHello {
	if c != t.serverConn {
		t.server.Reset()
		t.serverConn = c
	}
	return &t.server
}

func (t *Tracker) dropClient() { t.client.Reset(); t.clientConn = nil }
func (t *Tracker) dropServer() { t.server.Reset(); t.serverConn = nil }

// helloRetryRandom is the ServerHello random that marks a HelloRetryRequest (RFC 8446 4.1.3).
var helloRetryRandom = [32]byte{
	0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
	0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
}

// HandleEvent accumulates the fields of each hello from its extension events and
// fingerprints it at its ssl_client_hello / ssl_server_hello event.
func (t *Tracker) HandleEvent(e tlsmon.Event) {
	switch e := e.(type) {
	case *tlsmon.SSLExtension:
		if e.IsClient {
			h := t.pendingClient(e.Conn)
			h.Extensions = append(h.Extensions, uint16(e.Code))
		} else {
			h := t.pendingServer(e.Conn)
			h.Extensions = append(h.Extensions, uint16(e.Code))
		}
	case *tlsmon.SSLExtensionSupportedVersions:
		if e.IsClient {
			h := t.pendingClient(e.Conn)
			h.SupportedVersions = appendU16s(h.SupportedVersions, e.Versions)
		}
	case *tlsmon.SSLExtensionSignatureAlgorithm:
		if e.IsClient {
			h := t.pendingClient(e.Conn)
			n := len(h.SignatureAlgorithms)
			h.SignatureAlgorithms = slices.Grow(h.SignatureAlgorithms, len(e.SignatureAlgorithms))[:n+len(e.SignatureAlgorithms)]
			for i, a := range e.SignatureAlgorithms {
				h.SignatureAlgorithms[n+i] = uint16(a.HashAlgorithm<<8 | a.SignatureAlgorithm&0xff)
			}
		}
	case *tlsmon.SSLExtensionEllipticCurves:
		if e.IsClient {
			h := t.pendingClient(e.Conn)
			h.Curves = appendU16s(h.Curves, e.Curves)
		}
	case *tlsmon.SSLExtensionECPointFormats:
		if e.IsClient {
			h := t.pendingClient(e.Conn)
			h.PointFormats = appendU16s(h.PointFormats, e.PointFormats)
		}
	case *tlsmon.SSLExtensionApplicationLayerProtocolNegotiation:
		if e.IsClient {
			h := t.pendingClient(e.Conn)
			if len(h.ALPN) == 0 && len(e.Protocols) > 0 {
				h.ALPN = append(h.ALPN[:0], e.Protocols[0]...)
			}
		}
	case *tlsmon.SSLClientHello:
		t.clientHello(e)
	case *tlsmon.SSLServerHello:
		t.serverHello(e)
	case *tlsmon.SSLHandshakeMessage:
		// Each message's events end with this one: what a hello left unfinished (none does
		// today: a malformed one is a violation) is dropped, not added to the next one.
		if e.IsClient && e.Conn == t.clientConn {
			t.dropClient()
		} else if !e.IsClient && e.Conn == t.serverConn {
			t.dropServer()
		}
	case *tlsmon.AnalyzerViolation:
		// A malformed hello raises no ssl_client_hello: drop what its events left.
		if e.Conn == t.clientConn {
			t.dropClient()
		}
		if e.Conn == t.serverConn {
			t.dropServer()
		}
	case *tlsmon.ConnectionStateRemove:
		if t.manualForget {
			return
		}
		if r := t.conns[e.Conn]; r != nil && t.opts.OnResult != nil {
			t.opts.OnResult(e.Conn, r)
		}
		t.Forget(e.Conn)
	}
}

func (t *Tracker) clientHello(e *tlsmon.SSLClientHello) {
	h := t.pendingClient(e.Conn)
	h.Version = uint16(e.Version)
	n := len(h.Ciphers)
	h.Ciphers = slices.Grow(h.Ciphers, len(e.Ciphers))[:n+len(e.Ciphers)]
	for i, c := range e.Ciphers {
		h.Ciphers[n+i] = uint32(c)
	}
	switch {
	case e.Conn.ID.Proto != tlsmon.ProtoUDP:
		h.Transport = TCP
	case isDTLSVersion(h.Version):
		h.Transport = DTLS
	default:
		h.Transport = QUIC
	}
	if t.opts.OnClientHello != nil {
		t.opts.OnClientHello(e, h)
	}
	r := t.result(e.Conn)
	r.ClientHellos++
	if r.ClientHellos == 1 {
		fp := t.clientFingerprints(h)
		r.JA4, r.JA3, r.ja4, r.ja3 = fp.ja4, fp.ja3, fp.ja4s, fp.ja3s
		if t.opts.KeepHellos {
			r.Client, t.client = t.client, r.Client // keep this one; reuse the old slices
		}
	}
	t.dropClient()
}

func (t *Tracker) serverHello(e *tlsmon.SSLServerHello) {
	h := t.pendingServer(e.Conn)
	h.Version, h.Cipher = uint16(e.Version), uint32(e.Cipher)
	if t.opts.OnServerHello != nil {
		t.opts.OnServerHello(e, h)
	}
	r := t.result(e.Conn)
	if bytes.Equal(e.ServerRandom, helloRetryRandom[:]) {
		r.HelloRetryRequest = true
	}
	r.ServerHellos++
	if r.ServerHellos == 1 {
		fp := t.serverFingerprint(h)
		r.JA3S, r.ja3s = fp.ja3s, fp.ja3ss
		if t.opts.KeepHellos {
			r.Server, t.server = t.server, r.Server
		}
	}
	t.dropServer()
}

// appendU16s appends vs, truncated to 16 bits.
func appendU16s(dst []uint16, vs []uint64) []uint16 {
	n := len(dst)
	dst = slices.Grow(dst, len(vs))[:n+len(vs)]
	for i, v := range vs {
		dst[n+i] = uint16(v)
	}
	return dst
}

// clientFingerprints returns h's JA4 and JA3, from the cache when an identical hello was
// fingerprinted before.
func (t *Tracker) clientFingerprints(h *ClientHello) clientFP {
	k := append(t.key[:0], h.Transport, byte(h.Version>>8), byte(h.Version))
	k = appendLen(k, len(h.Ciphers))
	k = append(k, asBytes(h.Ciphers)...)
	k = appendList(k, h.Extensions)
	k = appendList(k, h.SupportedVersions)
	k = appendList(k, h.SignatureAlgorithms)
	k = appendList(k, h.Curves)
	k = appendList(k, h.PointFormats)
	k = append(k, h.ALPN...) // last: needs no length
	t.key = k
	if fp, ok := t.clientCache[string(k)]; ok {
		return fp
	}
	fp := clientFP{ja4: t.b.JA4(h), ja3: t.b.JA3(h)}
	fp.ja4s, fp.ja3s = fp.ja4.String(), fp.ja3.String()
	if len(k) > maxKeyLen {
		return fp
	}
	if len(t.clientCache) >= cmp.Or(t.maxCached, maxCached) {
		clear(t.clientCache)
	}
	t.clientCache[string(k)] = fp
	return fp
}

// serverFingerprint returns h's JA3S, from the cache when an identical hello was seen before.
func (t *Tracker) serverFingerprint(h *ServerHello) serverFP {
	k := append(t.key[:0], byte(h.Version>>8), byte(h.Version), byte(h.Cipher>>16), byte(h.Cipher>>8), byte(h.Cipher))
	for _, v := range h.Extensions {
		k = appendU16(k, v)
	}
	t.key = k
	if fp, ok := t.serverCache[string(k)]; ok {
		return fp
	}
	fp := serverFP{ja3s: t.b.JA3S(h)}
	fp.ja3ss = fp.ja3s.String()
	if len(k) > maxKeyLen {
		return fp
	}
	if len(t.serverCache) >= cmp.Or(t.maxCached, maxCached) {
		clear(t.serverCache)
	}
	t.serverCache[string(k)] = fp
	return fp
}

func appendU16(b []byte, v uint16) []byte { return append(b, byte(v>>8), byte(v)) }

// appendList appends a list's length and values to a cache key.
func appendList(k []byte, l []uint16) []byte { return append(appendLen(k, len(l)), asBytes(l)...) }

// appendLen appends a list's length to a cache key, on 32 bits: more than a hello can hold.
func appendLen(k []byte, n int) []byte {
	return append(k, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
}

// asBytes views a list's memory as bytes, for the cache key: one copy instead of a loop
// over the values (the key is only compared within this process, so byte order is moot).
func asBytes[T uint16 | uint32](l []T) []byte {
	if len(l) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(&l[0])), len(l)*int(unsafe.Sizeof(l[0])))
}
