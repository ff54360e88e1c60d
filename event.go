// Package tlsmon holds tlsmon's public, typed events and the way to subscribe to them.
//
// Every event of Zeek's SSL analyzer (events.bif of Zeek 9: the 33 events of Zeek's
// documentation plus ssl_extension_signature_algorithms_cert and
// ssl_extension_encrypted_client_hello) has a struct here, named after it
// (ssl_client_hello is SSLClientHello), with its arguments in declaration order.
// Besides those, the pipeline raises a few events of its own that the log builders need
// (connection end, certificates, analyzer confirmation and violation, weirds).
//
// Lifetime: an event and every slice inside it are valid only for the duration of the
// Handler call that receives it; they may alias capture and reassembly buffers. A handler
// that keeps anything must copy it (Clone helpers are deliberately absent: copy what you need).
//
// The pipeline that produces the events lives in package engine; see the example there and
// in this package's documentation examples. Certificates arrive as Certificate events
// carrying the DER bytes: package certs parses them and renders their fields as Zeek's
// x509.log does. For the outcome of each connection's handshake (its ssl.log row: version,
// cipher, SNI, ALPN, established, chain) without folding events, use
// zeeklog.NewSSLSessions; package zeeklog also writes Zeek's logs.
package tlsmon

import "net/netip"

// Proto is a connection's transport protocol.
type Proto uint8

// Transport protocols, by IP protocol number.
const (
	ProtoTCP  Proto = 6
	ProtoUDP  Proto = 17
	ProtoICMP Proto = 1
)

// String returns Zeek's name for the transport protocol ("tcp", "udp", "icmp").
func (p Proto) String() string {
	switch p {
	case ProtoTCP:
		return "tcp"
	case ProtoUDP:
		return "udp"
	case ProtoICMP, 58:
		return "icmp"
	}
	return "unknown_transport"
}

// ConnID is a connection's 4-tuple and protocol, oriented originator → responder as Zeek decides.
type ConnID struct {
	OrigH, RespH netip.Addr
	OrigP, RespP uint16
	Proto        Proto
}

// Conn is what events know of their connection. One Conn value lives as long as the
// connection, so a handler may use the pointer as the connection's identity (a map key)
// until the connection's ConnectionStateRemove event; after that event the engine reuses the
// memory for a later connection, so nothing may keep the pointer. UID and StartTs do not
// change; ID is updated in place if Zeek flips the connection's roles.
type Conn struct {
	UID     string // Zeek-style uid ("C" + base62), deterministic for a given input
	ID      ConnID
	StartTs int64 // timestamp of the connection's first packet, microseconds since the Unix epoch
}

// Meta is the part common to every event: when it was raised and on which connection.
type Meta struct {
	// Ts is Zeek's network_time() when the event was raised: the timestamp of the packet
	// being processed, in microseconds since the Unix epoch.
	Ts   int64
	Conn *Conn
}

// EventMeta returns the event's common part.
func (m *Meta) EventMeta() *Meta { return m }

// Event is any event tlsmon raises.
type Event interface {
	// Name is the Zeek event name (for example "ssl_client_hello").
	Name() string
	EventMeta() *Meta
}

// SSLEvent is one of the 35 events of Zeek's SSL analyzer.
type SSLEvent interface {
	Event
	// AppendArgs appends the canonical JSON object of the arguments (every argument but the
	// connection, in declaration order; see FORMAT.md of the conformance corpus).
	AppendArgs(b []byte) []byte
}

// Handler receives events, in the order Zeek would raise them. It is called synchronously
// from the analysis loop: it must not retain the event or its slices after returning.
type Handler interface {
	HandleEvent(Event)
}

// HandlerFunc adapts a function to Handler.
type HandlerFunc func(Event)

// HandleEvent calls f(e).
func (f HandlerFunc) HandleEvent(e Event) { f(e) }

// Handlers fans an event out to several handlers, in order.
type Handlers []Handler

// HandleEvent delivers e to each handler in turn.
func (hs Handlers) HandleEvent(e Event) {
	for _, h := range hs {
		h.HandleEvent(e)
	}
}

// SignatureAndHashAlgorithm is Zeek's SSL::SignatureAndHashAlgorithm record.
type SignatureAndHashAlgorithm struct {
	HashAlgorithm      uint64
	SignatureAlgorithm uint64
}

// PSKIdentity is one element of Zeek's psk_identity_vec.
type PSKIdentity struct {
	Identity            []byte
	ObfuscatedTicketAge uint64
}
