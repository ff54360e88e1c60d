// Package dtls holds the DTLS-specific layers of tlsmon's SSL analysis: the DTLS 1.0/1.2
// record header and the DTLS 1.3 unified header, Zeek's record-version tolerance, handshake
// fragment reassembly as Zeek's DTLS analyzer performs it, the STUN skip, the content
// signature (dpd_dtls_client) and the default ports.
//
// Everything above the record layer (the handshake parser, and the record-level events:
// ssl_plaintext_data, ssl_change_cipher_spec, ssl_alert, ssl_heartbeat, ssl_encrypted_data,
// ssl_established) is shared with TLS over TCP and reached through the Sink interface, so
// that TCP and UDP use one handshake parser. The default sink (NewSSLSink) drives
// ssl.Handshake and ssl.RecordEvents, the same code the TCP analyzer runs; only the
// choice of ciphertext (by epoch) and the DTLS 1.3 unified header are DTLS-specific.
//
// # Memory
//
// Only fragmented handshake messages are buffered (whole-message fragments are handed on
// in place). Each connection's reassembly buffers are capped (Config.MaxConnBuffered,
// DefaultMaxConnBuffered), and all the connections of one Spec share a Budget
// (DefaultMaxBuffered). A fragment that would pass either cap is dropped and reported with
// the weird WeirdConnBufferLimit or WeirdGlobalBufferLimit, and counted in the Budget
// (Budget.Stats). Buffers are returned when the analyzer detaches, stops parsing, or is
// done.
//
// Behaviour follows Zeek's binpac DTLS analyzer (dtls-protocol.pac, dtls-analyzer.pac,
// DTLS.cc) rather than the RFCs where the two differ; the differences are documented where
// they are implemented.
package dtls
