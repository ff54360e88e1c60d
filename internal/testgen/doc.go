// Package testgen builds TLS test captures: it runs real crypto/tls handshakes between an
// in-memory client and server, records every byte each side writes (direction and order),
// and writes the result as a classic pcap (µs timestamps, LINKTYPE_ETHERNET) with genuine
// Ethernet/IPv4 or IPv6/TCP framing (three-way handshake, data segments with correct
// sequence and acknowledgement numbers, FIN teardown, increasing deterministic timestamps).
//
// Generation has two independent halves so one handshake can be framed many ways:
//
//   - Run executes one handshake from a Config and returns a Transcript: the ordered byte
//     chunks plus Info, what crypto/tls reports it negotiated (version, cipher, SNI, ALPN,
//     resumption, certificates), for tests to assert against.
//   - Capture lays transcripts out as TCP connections with a Framing (segment sizes,
//     reordering, retransmissions, record and write coalescing) and writes the pcap.
//
// Certificates and keys are generated in code and are deterministic (RSA keys from seeded
// prime search, ECDSA keys from hashed seeds; certificates are signed with RSA, whose
// PKCS#1 v1.5 signatures are deterministic). Handshake randomness is not: Go 1.26 ignores
// caller-supplied randomness for key exchange, so two Runs of one Config differ in bytes.
//
// The committed sample capture is regenerated with
//
//	go run ./internal/testgen/cmd/gensample
//
// from the repository root (it writes testdata/sample.pcap).
package testgen
