// Package ssl is tlsmon's SSL/TLS analyzer for TCP: it parses SSLv2 and SSLv3/TLS 1.0–1.3
// records and handshakes and raises the events of Zeek's SSL analyzer, with Zeek's
// arguments, values and order.
//
// # Layers
//
// The record layer (Analyzer, built by Spec().New) frames the byte stream of each
// direction into records, tracks each direction's clear/encrypted state with Zeek's
// TLS 1.3 rules, and raises ssl_plaintext_data, ssl_encrypted_data, ssl_alert,
// ssl_change_cipher_spec, ssl_heartbeat, ssl_established and
// ssl_probable_encrypted_handshake_message, plus analyzer confirmation and violation.
// It buffers only an incomplete record (at most 5+65535 bytes per direction, in a buffer
// held only until the record is complete), except that the bytes of a clear handshake
// record that extend a handshake message begun in an earlier record go to the handshake
// layer's reassembly as they arrive; events are raised when a record is complete. The
// record-level events and the clear/encrypted state live in RecordEvents, which the DTLS
// analyzer shares: NewRecordEvents(hs, onEstablished), then per record element
// Plaintext+PlaintextData or Ciphertext.
//
// The handshake layer (Handshake) is independent of record framing, so that the DTLS
// analyzer can reuse it:
//
//	hs := shared.NewHandshake(conn, handler, "DTLS", ssl.Callbacks{Violation: ..., Confirm: ...})
//	// stream transport: hand it the payload of every handshake record, in order
//	hs.Deliver(ts, isOrig, recordVersion, fragment)
//	// or, when the caller reassembles messages itself (DTLS fragments):
//	hs.SetRecordVersion(recordVersion)
//	ok := hs.Message(ts, isOrig, msgType, body, length)
//
// Message parses one message body (without its 4-byte header) and raises its events: the
// hello, extension, key exchange, certificate request, session ticket and stapled OCSP
// events, a tlsmon.Certificate per certificate of a chain, ssl_connection_flipped when
// the hello directions show the responder is the client, and ssl_handshake_message. It
// returns false on a malformed message, after reporting a violation through Callbacks.
// Deliver reassembles messages split over records (and several messages in one record);
// messages larger than Config.MaxHandshakeMessage or split over more than
// Config.MaxHandshakeFragments records are skipped and reported as weirds. Flipped, ChosenVersion, ChosenCipher and
// IsTLS13 expose the state the record layer needs.
//
// The limits, the free lists and the message cache belong to a Shared, one per engine
// (engine.DefaultAnalyzers makes one and gives it to SpecShared, and to the DTLS and QUIC
// specs); nothing on the analysis path is package-level mutable state. The analyzers of
// one Shared share a small cache of the large handshake messages seen lately: a message that repeats
// one of them (a server's certificate chain, on every connection to it) is compared with
// the cached copy as it arrives rather than stored, and the copy is parsed (hs_cache.go).
// The events are those of the bytes received; Certificate events may then alias the
// cached copy, valid during the call like any event's slices.
//
// # Lifetime and allocation
//
// Events are reused structs whose slices alias the analyzer's input or scratch buffers;
// they are valid only during the Handler call (see package tlsmon). Steady-state parsing
// does not allocate.
//
// # Detaching
//
// After a protocol violation the analyzer detaches at the end of the current delivery
// (as Zeek's DPD removes it once the packet's events are handled), unless more than
// 10 KiB went through the connection (DPD::ignore_violations_after). Violations where
// Zeek also stops parsing at once (bad record headers, bad hello versions) end parsing
// immediately. With analyzer.Options.AnalyzeEncrypted false (Zeek's default
// SSL::disable_analyzer_after_detection=T), the analyzer detaches after the delivery in
// which ssl_established was raised, if the protocol was confirmed. After a content gap
// nothing more is parsed, as in Zeek.
package ssl
