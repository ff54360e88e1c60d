// Package rdp is tlsmon's minimal RDP analyzer: just enough of Zeek's RDP analyzer to decide
// when an RDP connection hands its stream over to SSL/TLS.
//
// RDP starts with an X.224 connection request (client) and connection confirm (server),
// each carried in a TPKT. When the confirm's RDP negotiation response selects a protocol
// other than standard RDP security (TLS, CredSSP, ...), the rest of the connection is TLS:
// from the next delivery on, the analyzer creates an SSL analyzer (the engine's, Env.SSL,
// or ssl.New without one; with the same analyzer.Env) and forwards every later delivery, gap, end of data and Done to it. Bytes
// that arrive in the same delivery as the confirm are still parsed as TPKTs, as in Zeek.
//
// Like Zeek's, the analyzer ignores partial connections, and stops (no parsing, no
// forwarding) after a content gap in either direction. A malformed TPKT/X.224 frame is a
// protocol violation (tlsmon.AnalyzerViolation{Analyzer: "RDP"}): the analyzer then stops
// and detaches. No RDP events or logs are produced.
//
// Spec attaches the analyzer to Zeek's RDP port (3389/tcp) and by Zeek's DPD signature
// dpd_rdp_client, whose requires-reverse-signature condition (dpd_rdp_server on the other
// direction) the analyzer checks itself before acting on anything (see gate.go).
package rdp
