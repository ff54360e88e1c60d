package fingerprint

import (
	"bytes"

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
	JA4O JA4
	JA3  MD5 // valid when ClientHellos > 0
	JA3S MD5 // valid when ServerHellos > 0

	// Client and Server are the first hellos' fields, for the raw forms (Builder.AppendJA4R,
	// AppendJA4RO, AppendJA3String, AppendJA3SString). They belong to the Tracker and are
	// valid until the connection is forgotten.
	Client ClientHello
	Server ServerHello
}

// connState is a Tracker's state for one connection.
type connState struct {
	res    Result
	client ClientHello // the ClientHello whose extension events are arriving
	server ServerHello // likewise for the ServerHello
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
}

// Tracker is a tlsmon.Handler that fingerprints the hellos of every connection from the
// analyzer's events. A connection's Result is available from its first hello event on
// (Lookup) and is passed to Options.OnResult when the connection ends; the Tracker then
// forgets it. A Tracker belongs to one engine: it is not safe for concurrent use.
type Tracker struct {
	opts         Options
	conns        map[*tlsmon.Conn]*connState
	free         []*connState // states of forgotten connections, for reuse
	b            Builder
	manualForget bool // Forget drops connections (Columns), not ConnectionStateRemove
}

// New returns a Tracker.
func New(opts Options) *Tracker {
	return &Tracker{opts: opts, conns: make(map[*tlsmon.Conn]*connState)}
}

// Lookup returns c's result, or false when none of c's hellos has been seen. The result is
// owned by the Tracker and valid until c is forgotten.
func (t *Tracker) Lookup(c *tlsmon.Conn) (*Result, bool) {
	st := t.conns[c]
	if st == nil || st.res.ClientHellos+st.res.ServerHellos == 0 {
		return nil, false
	}
	return &st.res, true
}

// Builder returns the Tracker's builder, for the raw forms of a Result.
func (t *Tracker) Builder() *Builder { return &t.b }

// state returns c's state, creating it.
func (t *Tracker) state(c *tlsmon.Conn) *connState {
	if st := t.conns[c]; st != nil {
		return st
	}
	var st *connState
	if n := len(t.free); n > 0 {
		st, t.free = t.free[n-1], t.free[:n-1]
	} else {
		st = &connState{}
	}
	t.conns[c] = st
	return st
}

// Forget drops what the Tracker keeps for c.
func (t *Tracker) Forget(c *tlsmon.Conn) {
	st := t.conns[c]
	if st == nil {
		return
	}
	delete(t.conns, c)
	st.res.Client.Reset()
	st.res.Server.Reset()
	st.res = Result{Client: st.res.Client, Server: st.res.Server}
	st.client.Reset()
	st.server.Reset()
	t.free = append(t.free, st)
}

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
		st := t.state(e.Conn)
		if e.IsClient {
			st.client.Extensions = append(st.client.Extensions, uint16(e.Code))
		} else {
			st.server.Extensions = append(st.server.Extensions, uint16(e.Code))
		}
	case *tlsmon.SSLExtensionSupportedVersions:
		if e.IsClient {
			h := &t.state(e.Conn).client
			h.SupportedVersions = appendU16s(h.SupportedVersions, e.Versions)
		}
	case *tlsmon.SSLExtensionSignatureAlgorithm:
		if e.IsClient {
			h := &t.state(e.Conn).client
			for _, a := range e.SignatureAlgorithms {
				h.SignatureAlgorithms = append(h.SignatureAlgorithms, uint16(a.HashAlgorithm<<8|a.SignatureAlgorithm&0xff))
			}
		}
	case *tlsmon.SSLExtensionEllipticCurves:
		if e.IsClient {
			h := &t.state(e.Conn).client
			h.Curves = appendU16s(h.Curves, e.Curves)
		}
	case *tlsmon.SSLExtensionECPointFormats:
		if e.IsClient {
			h := &t.state(e.Conn).client
			h.PointFormats = appendU16s(h.PointFormats, e.PointFormats)
		}
	case *tlsmon.SSLExtensionApplicationLayerProtocolNegotiation:
		if e.IsClient {
			h := &t.state(e.Conn).client
			if len(h.ALPN) == 0 && len(e.Protocols) > 0 {
				h.ALPN = append(h.ALPN[:0], e.Protocols[0]...)
			}
		}
	case *tlsmon.SSLClientHello:
		t.clientHello(e)
	case *tlsmon.SSLServerHello:
		t.serverHello(e)
	case *tlsmon.ConnectionStateRemove:
		if t.manualForget {
			return
		}
		if st := t.conns[e.Conn]; st != nil {
			if t.opts.OnResult != nil && st.res.ClientHellos+st.res.ServerHellos > 0 {
				t.opts.OnResult(e.Conn, &st.res)
			}
			t.Forget(e.Conn)
		}
	}
}

func (t *Tracker) clientHello(e *tlsmon.SSLClientHello) {
	st := t.state(e.Conn)
	h := &st.client
	h.Version = uint16(e.Version)
	for _, c := range e.Ciphers {
		h.Ciphers = append(h.Ciphers, uint32(c))
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
	st.res.ClientHellos++
	if st.res.ClientHellos == 1 {
		st.res.Client, st.client = st.client, st.res.Client // keep the first; reuse the old slices
		st.res.JA4 = t.b.JA4(&st.res.Client)
		st.res.JA4O = t.b.JA4O(&st.res.Client)
		st.res.JA3 = t.b.JA3(&st.res.Client)
	}
	st.client.Reset()
}

func (t *Tracker) serverHello(e *tlsmon.SSLServerHello) {
	st := t.state(e.Conn)
	h := &st.server
	h.Version, h.Cipher = uint16(e.Version), uint32(e.Cipher)
	if bytes.Equal(e.ServerRandom, helloRetryRandom[:]) {
		st.res.HelloRetryRequest = true
	}
	if t.opts.OnServerHello != nil {
		t.opts.OnServerHello(e, h)
	}
	st.res.ServerHellos++
	if st.res.ServerHellos == 1 {
		st.res.Server, st.server = st.server, st.res.Server
		st.res.JA3S = t.b.JA3S(&st.res.Server)
	}
	st.server.Reset()
}

// appendU16s appends vs, truncated to 16 bits.
func appendU16s(dst []uint16, vs []uint64) []uint16 {
	for _, v := range vs {
		dst = append(dst, uint16(v))
	}
	return dst
}
