// Package analyzer defines how protocol analyzers attach to connections: the interface an
// analyzer implements and the environment the pipeline hands it.
//
// The pipeline calls an analyzer synchronously, from one goroutine per connection shard, in
// packet order. Byte slices passed to an analyzer alias capture or reassembly buffers and are
// valid only for the duration of the call: an analyzer that needs bytes later copies them
// (bounded by caps of its own).
package analyzer

import "github.com/tlsmon/tlsmon"

// Analyzer is a protocol analyzer attached to one connection.
type Analyzer interface {
	// DeliverStream delivers the next in-order bytes of one direction of a TCP connection.
	// ts is the timestamp (µs) of the packet that completed this data.
	DeliverStream(ts int64, isOrig bool, data []byte)
	// Gap reports that n bytes of one direction's TCP stream will never be delivered
	// (Zeek's Undelivered / content gap).
	Gap(ts int64, isOrig bool, n uint64)
	// DeliverPacket delivers one UDP datagram's payload.
	DeliverPacket(ts int64, isOrig bool, data []byte)
	// EndOfData reports that one direction ended (FIN or RST seen and all its data delivered).
	EndOfData(ts int64, isOrig bool)
	// Done is the last call, made once: either the analyzer detached (it called
	// Env.Detach, or a parent ended it), in which case the pipeline calls Done between
	// packets soon after, or the connection is being removed (timeout, close, end of
	// input). After Done the analyzer may recycle its state; it receives no more calls.
	Done(ts int64)
}

// Env is what the pipeline gives an analyzer when it attaches it.
type Env struct {
	Conn *tlsmon.Conn
	// Events receives the analyzer's events. Never nil.
	Events tlsmon.Handler
	// Detach asks the pipeline to stop delivering to this analyzer (after a protocol
	// violation, or when the analyzer has nothing more to learn). Safe to call more than once.
	// Never nil.
	Detach func()
	// Options carries analyzer settings chosen by the user.
	Options Options
	// Partial reports whether the TCP connection is partial as Zeek defines it (its first
	// originator packet was not a bare SYN, or the responder's first packet had no SYN), at
	// the time of the call. Nil for UDP.
	Partial func() bool
	// SSL makes the engine's SSL analyzer, for an analyzer that hands its stream over to
	// TLS (RDP, the STARTTLS protocols): the engine's SSL limits, memory budget, free lists
	// and event filters (ssl.SpecShared). Nil: a standalone one (ssl.New).
	SSL Factory
}

// Options are settings shared by analyzers, mirroring Zeek script options.
type Options struct {
	// AnalyzeEncrypted keeps the SSL analyzer attached after the handshake, raising
	// ssl_encrypted_data for every later record: the opposite of Zeek's
	// SSL::disable_analyzer_after_detection (default false, as Zeek's default is T).
	AnalyzeEncrypted bool
	// Recover: after a content gap, resynchronise on the next plausible record boundary
	// instead of stopping as Zeek does, and analyse connections whose start was not
	// captured (engine option Recover; tlsmon --recover).
	Recover bool
}

// Factory creates an analyzer for a connection.
type Factory func(env *Env) Analyzer

// Spec describes an analyzer for attachment: its name, the ports it is registered for, and a
// content signature over the first bytes of a direction.
type Spec struct {
	Name     string // Zeek's analyzer name, e.g. "SSL", "DTLS"
	TCPPorts []uint16
	UDPPorts []uint16
	// Match reports whether the first payload bytes of one direction match the analyzer's
	// signature (isOrig tells the direction). May be nil.
	Match func(isOrig bool, payload []byte) bool
	// MatchProto is the transport Match applies to (tlsmon.ProtoTCP or ProtoUDP), as a Zeek
	// signature's ip-proto condition; 0: the transports the spec has ports for, both when
	// it has none.
	MatchProto tlsmon.Proto
	New        Factory
}
