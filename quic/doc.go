// Package quic is tlsmon's QUIC analyzer: it finds the TLS handshake carried in the
// Initial packets of a QUIC connection and hands it to the SSL analyzer, as Zeek's QUIC
// analyzer does, so that the same SSL events are raised (the client and server hello, their
// extensions, ssl_handshake_message and ssl_plaintext_data).
//
// # What is decrypted
//
// Only Initial packets are read, with the keys every observer can derive from the
// Destination Connection ID of the client's first Initial (RFC 9001 §5.2 for QUIC v1 and
// the drafts, RFC 9369 §3.3 for QUIC v2): header protection is removed with AES-128-ECB,
// the payload opened with AES-128-GCM. The CRYPTO frames of each direction are reassembled
// by offset; the first handshake message of each direction (the client hello and the
// server hello) is delivered to an SSL analyzer (package ssl, the TCP record layer) as one
// synthetic TLS record: content type handshake, version 0x0303, length the message length
// plus 4. Once a direction's message is complete, its later Initials are not decrypted.
//
// # Zeek's rules followed
//
//   - A Retry packet (either direction) discards the crypto state: the SSL analyzer is
//     closed, and the next client Initial starts again with its own Destination
//     Connection ID and a new SSL analyzer.
//   - Server Initials are decrypted only once a client Initial was.
//   - Any parse error (truncated header, unknown version, unknown frame type in an
//     Initial, failed decryption, more CRYPTO data than the message announced) is an
//     analyzer violation for "QUIC", after which the connection is not analysed further.
//   - The first successful decryption confirms "QUIC".
//
// # Memory
//
// Out-of-order CRYPTO data is buffered per direction; the connection's total is capped
// (Config.MaxBuffered, DefaultMaxBuffered). Data past the cap is dropped and reported once
// per connection with the weird WeirdCryptoBufferLimit. Decryption uses pooled scratch
// buffers and per-direction cipher state built once per Destination Connection ID, so a
// decrypted packet allocates nothing.
package quic
