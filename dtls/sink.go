package dtls

import "github.com/tlsmon/tlsmon/analyzer"

// Sink receives what the DTLS layers extract from a connection: the shared SSL handshake
// parser and record-level event logic implement it. Calls come in Zeek's order; ts is the
// datagram's timestamp (µs) and isOrig the direction by the connection's orientation (the
// sink applies ssl_connection_flipped itself). Byte slices are valid only during the call.
type Sink interface {
	// Handshake feeds one handshake message to the handshake parser, as Zeek's
	// DTLS_Analyzer::SendHandshake does: the parser should treat msgType, the 24-bit
	// length and body as the next bytes of the direction's handshake stream. body is the
	// reassembled message (exactly length bytes) or, for a message that came in one
	// fragment, every byte after the fragment header in the record, which may be more or
	// fewer than length. recordVersion is the record's version (set_record_version).
	Handshake(ts int64, isOrig bool, recordVersion uint16, msgType uint8, length uint32, body []byte)

	// Record handles one DTLS 1.0/1.2 record of non-zero length whose version was
	// accepted, exactly as the record text of a TLS record (Zeek's RecordText array over
	// the body), except that whether it is encrypted comes from its epoch:
	//   - encrypted (epoch ≠ 0): ssl_probable_encrypted_handshake_message,
	//     ssl_established and ssl_encrypted_data as for a TLS ciphertext record;
	//   - plaintext, content type handshake: the message(s) already went to Handshake;
	//     raise ssl_plaintext_data only;
	//   - plaintext, other types: the TLS logic (CCS per byte with its state change,
	//     alerts, heartbeat, application data, unknown type violation), each followed by
	//     ssl_plaintext_data.
	// A non-nil error means the body could not be parsed (a binpac exception in Zeek):
	// the analyzer then reports a violation and drops the rest of the datagram.
	Record(ts int64, isOrig bool, contentType uint8, version uint16, body []byte, encrypted bool) error

	// Unified handles one DTLS 1.3 record with a unified header: the direction is now
	// encrypted; once both are, ssl_established (once); then ssl_encrypted_data with
	// record version DTLS 1.3, content type application_data and the given length.
	Unified(ts int64, isOrig bool, length int)

	// NegotiatedVersion is the version the server chose (0 until known): unified headers
	// are recognised only once it is DTLS 1.3.
	NegotiatedVersion() uint16

	// EndOfData and Done forward the analyzer calls of the same names.
	EndOfData(ts int64, isOrig bool)
	Done(ts int64)
}

// Control is what a Sink may ask of the DTLS analyzer it serves.
type Control interface {
	// Violation raises an analyzer_violation_info for the DTLS analyzer; like Zeek's
	// dpd.zeek, the analyzer detaches after the current datagram (unless more than
	// IgnoreViolationsAfter bytes were seen).
	Violation(ts int64, reason string, data []byte)
	// Confirm raises analyzer_confirmation_info for the DTLS analyzer, once.
	Confirm(ts int64)
	// Skip stops all parsing of later datagrams (Zeek's SetSkip).
	Skip()
	// DetachLater detaches the analyzer once the current datagram is done (Zeek's
	// SSL::disable_analyzer_after_detection after ssl_established).
	DetachLater()
}

// SinkFactory creates the sink of one connection. ctl is the analyzer the sink serves.
type SinkFactory func(env *analyzer.Env, ctl Control) Sink
