package e2e

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/netip"

	"github.com/tlsmon/tlsmon"
)

// rec is a copy of one event, made while the handler runs (events alias buffers).
type rec struct {
	name string
	conn string // client endpoint "addr:port"; "" when the event has no connection
	ts   int64
	line string // name and arguments, without ts: what the sequence comparisons use

	isClient, isOrig bool
	version, cipher  uint64
	ciphers          []uint64
	versions         []uint64
	sessionID        []byte
	random           []byte
	names            []string // SNI names or ALPN protocols
	der              []byte
	index            int
	ticket           []byte
	identities       [][]byte
	selected         uint64
	reason           string
	source           string
}

// collector records events per connection.
type collector struct {
	all []rec
}

func clone(b []byte) []byte { return append([]byte(nil), b...) }

func strs(bs [][]byte) []string {
	out := make([]string, len(bs))
	for i, b := range bs {
		out[i] = string(b)
	}
	return out
}

func (c *collector) HandleEvent(e tlsmon.Event) {
	m := e.EventMeta()
	r := rec{name: e.Name(), ts: m.Ts}
	if m.Conn != nil {
		r.conn = netipAddrPort(m.Conn)
	}
	if se, ok := e.(tlsmon.SSLEvent); ok {
		r.line = string(se.AppendArgs([]byte(r.name + " ")))
	}
	switch v := e.(type) {
	case *tlsmon.SSLClientHello:
		r.version, r.ciphers, r.sessionID, r.random = v.Version, append([]uint64(nil), v.Ciphers...), clone(v.SessionID), clone(v.ClientRandom)
	case *tlsmon.SSLServerHello:
		r.version, r.cipher, r.sessionID, r.random = v.Version, v.Cipher, clone(v.SessionID), clone(v.ServerRandom)
	case *tlsmon.SSLExtensionServerName:
		r.isClient, r.names = v.IsClient, strs(v.Names)
	case *tlsmon.SSLExtensionApplicationLayerProtocolNegotiation:
		r.isClient, r.names = v.IsClient, strs(v.Protocols)
	case *tlsmon.SSLExtensionSupportedVersions:
		r.isClient, r.versions = v.IsClient, append([]uint64(nil), v.Versions...)
	case *tlsmon.SSLSessionTicketHandshake:
		r.ticket = clone(v.Ticket)
	case *tlsmon.SSLExtensionPreSharedKeyClientHello:
		r.isClient = v.IsClient
		for _, id := range v.Identities {
			r.identities = append(r.identities, clone(id.Identity))
		}
	case *tlsmon.SSLExtensionPreSharedKeyServerHello:
		r.isClient, r.selected = v.IsClient, v.SelectedIdentity
	case *tlsmon.Certificate:
		r.isClient, r.isOrig, r.index, r.der = v.IsClient, v.IsOrig, v.Index, clone(v.DER)
		sum := sha256.Sum256(v.DER)
		r.line = fmt.Sprintf("%s client=%v orig=%v index=%d sha256=%s", r.name, v.IsClient, v.IsOrig, v.Index, hex.EncodeToString(sum[:]))
	case *tlsmon.AnalyzerConfirmation:
		r.line = r.name + " " + v.Analyzer
	case *tlsmon.AnalyzerViolation:
		r.reason = v.Reason
		r.line = r.name + " " + v.Analyzer + " " + v.Reason
	case *tlsmon.Weird:
		r.reason, r.source = v.WeirdName, v.Source
		r.line = r.name + " " + v.Source + " " + v.WeirdName + " " + v.Addl
	}
	c.all = append(c.all, r)
}

// netipAddrPort names a connection by its originator, the client in every generated one.
func netipAddrPort(c *tlsmon.Conn) string {
	return netip.AddrPortFrom(c.ID.OrigH, c.ID.OrigP).String()
}

// byConn returns the events of one connection, in order.
func (c *collector) byConn(client string) []rec {
	var out []rec
	for _, r := range c.all {
		if r.conn == client {
			out = append(out, r)
		}
	}
	return out
}

// named returns the events of one name.
func named(rs []rec, name string) []rec {
	var out []rec
	for _, r := range rs {
		if r.name == name {
			out = append(out, r)
		}
	}
	return out
}

// analysisLines is the sequence that must not depend on TCP framing: SSL events, the
// certificates, analyzer confirmation/violation and the SSL analyzer's weirds, without
// timestamps. Connection-level events (packet counts, history) legitimately differ.
func analysisLines(rs []rec) []string {
	var out []string
	for _, r := range rs {
		if r.line == "" || (r.name == "weird" && r.source != "SSL") {
			continue
		}
		out = append(out, r.line)
	}
	return out
}

// untilEstablished cuts an analysisLines sequence after ssl_established.
func untilEstablished(lines []string) []string {
	for i, l := range lines {
		if l == "ssl_established {}" || (len(l) >= 15 && l[:15] == "ssl_established") {
			return lines[:i+1]
		}
	}
	return lines
}
