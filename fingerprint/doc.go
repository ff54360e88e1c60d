// Package fingerprint computes TLS client and server fingerprints — JA4 (with its raw and
// original-order forms JA4_r, JA4_o, JA4_ro), JA3 and JA3S — from the analyzer's typed
// events, for TLS over TCP (including STARTTLS), QUIC and DTLS.
//
// It parses nothing: a hello's fields come from the events Zeek's SSL analyzer raises for it
// (every ssl_extension in wire order, the typed extension events, then ssl_client_hello or
// ssl_server_hello), so a hello is fingerprinted however it reached the analyzer — split
// over TCP segments or TLS records, over several QUIC Initial packets or CRYPTO frames, out
// of order, or retransmitted.
//
// A Tracker is a tlsmon.Handler that keeps one Result per connection; Columns adapts it to
// a zeeklog.ColumnExtension that adds Zeek's ja3, ja3s and ja4 columns to ssl.log.
//
// # Rules
//
// JA4 follows technical_details/JA4.md of github.com/FoxIO-LLC/ja4; where implementations
// differ, this package chooses:
//
//   - The first ClientHello of a connection is fingerprinted (after a HelloRetryRequest or a
//     DTLS HelloVerifyRequest the client sends a second one; Result.ClientHellos counts them
//     and Result.HelloRetryRequest says whether the server asked for a retry). JA3S is
//     likewise the first ServerHello's (the HelloRetryRequest when there is one).
//   - Transport: "t" over TCP, "d" for a DTLS hello (a UDP hello whose version is a DTLS
//     version), "q" for any other hello over UDP (QUIC). FoxIO's Zeek package writes "t" for
//     DTLS; the specification says "d".
//   - Version: the highest non-GREASE value of supported_versions when the extension is
//     present (for DTLS the highest version, which is the lowest number), else the hello's
//     version; 0x0002 is "s2", 0x0300 "s3", DTLS 1.0/1.2/1.3 "d1"/"d2"/"d3", anything else
//     (TLS 1.3 drafts included) "00".
//   - SNI: "d" when the server_name extension is present, "i" otherwise.
//   - Counts exclude GREASE and are capped at 99.
//   - ALPN: the first and last byte of the first protocol name when both are ASCII letters or
//     digits; otherwise the first hex digit of the first byte and the last hex digit of the
//     last byte (the specification's rule; FoxIO's Python, Rust and Wireshark code print
//     "99" when the first byte is not alphanumeric). A one-byte name gives that byte twice;
//     no ALPN extension, an empty list or an empty first name give "00".
//   - An empty cipher list, or an empty extensions-and-signature-algorithms string, hashes to
//     "000000000000"; JA4_o's last part is "000000000000" too when JA4's is (a hello whose
//     only extensions are SNI and ALPN), as FoxIO's Python code has it. Signature algorithms
//     keep their wire order, GREASE removed.
//   - An SSLv2 CLIENT-HELLO is fingerprinted from what the analyzer reports for it: its
//     version, its 24-bit cipher specs (in hex with at least four digits, as printf's %04x) and no extensions
//     (ts2i…_…_000000000000 for a pure SSLv2 hello, as FoxIO's Zeek package writes; an
//     SSLv2-compatible hello offering TLS 1.0 gives t10i…, its TLS suites 0x00xxxx written as
//     TLS's four digits). Its
//     JA3 is built the same way: "2,<cipher specs in decimal>,,," (tshark computes none).
//
// JA3 and JA3S follow github.com/salesforce/ja3: "SSLVersion,Ciphers,Extensions,
// EllipticCurves,ECPointFormats" (JA3) and "SSLVersion,Cipher,Extensions" (JA3S) in decimal,
// values of a list joined by "-", GREASE values removed, MD5 of the string. The version is
// the hello's own version field (771 for TLS 1.2 and 1.3, 65277 for DTLS 1.2).
//
// # Licence
//
// JA4 (the TLS client fingerprint) is BSD-3-Clause licensed by FoxIO. The other JA4+ methods
// (JA4S, JA4X, JA4H, JA4L, JA4T, JA4SSH, ...) are under the FoxIO License 1.1, which forbids
// monetisation, and are deliberately not implemented here.
package fingerprint
