// Package validate reproduces the certificate checks of Zeek's TLS policy scripts
// protocols/ssl/validate-certs, validate-ocsp and validate-sct, and the builtins they call
// (x509_verify, x509_ocsp_verify, sct_verify, x509_*_name_hash): chain validation at
// network time with the intermediate certificates seen on earlier connections, stapled
// OCSP verification, and Signed Certificate Timestamp verification against a CT log list.
//
// The results are the strings Zeek logs in ssl.log (validation_status, ocsp_status) and
// the counts valid_ct_logs / valid_ct_operators. Zeek gets its strings from OpenSSL 3
// (X509_verify_cert_error_string), so this package implements OpenSSL's chain building
// and verification order itself instead of using crypto/x509.Verify, whose policy differs
// (README.md beside this file lists what is reproduced and what is not, and why).
//
// One Validator belongs to one engine: it holds the root store, Zeek's intermediate cache
// and Zeek's result caches, all bounded. It is not safe for concurrent use; a sharded
// engine gives each shard its own Validator, or serialises calls (Zeek's caches are
// per-process state, so one Validator per capture run reproduces Zeek exactly).
//
// # How a caller reproduces Zeek
//
// For each SSL connection, remember the server's certificate chain (Zeek's
// c$ssl$cert_chain: the DER of every certificate the SSL server sent — tlsmon's
// Certificate events with IsClient false, whatever the connection's direction — in
// order, over all Certificate messages; nil where Zeek's X509 analyzer could not parse
// one), the stapled OCSP response (ssl_stapled_ocsp) and the SCTs (see SCT). Then, in
// this order:
//
//  1. When Zeek's SSL::ssl_finishing hook runs — at ssl_established, or, for a connection
//     whose ssl.log row is written without it, when the row is finalised (connection
//     removal or analyzer violation) — call ValidateCerts with the chain and that
//     moment's network time. Its Result gives validation_status and whether to raise
//     SSL::Invalid_Server_Cert. Skip it when the chain is empty or its first certificate
//     is nil (Zeek does).
//  2. Right after, in the same hook (validate-sct runs at priority 19, after
//     validate-certs' 20), call VerifySCTs with the same chain, the Result of step 1 and
//     the connection's SCTs. It gives valid_ct_logs and valid_ct_operators.
//  3. At ssl_established only (validate-ocsp has no other trigger), if a stapled OCSP
//     response was seen, call VerifyOCSP with the chain, the response and the event's
//     network time. It gives ocsp_status and whether to raise SSL::Invalid_Ocsp_Response.
//
// Calls must follow the order of the connections' events in the capture: the
// intermediate cache and the result caches depend on it.
package validate

import (
	"errors"
	"time"
)

// Config configures a Validator. The zero value uses Mozilla's root store as packaged
// for Go, no extra roots, no CT logs, and Zeek's default cache settings.
type Config struct {
	// NoMozillaRoots leaves Mozilla's root store (golang.org/x/crypto/x509roots/fallback)
	// out, so that only Roots and CAFile are trusted.
	NoMozillaRoots bool

	// Roots are extra trust anchors, DER encoded (a site's own CAs, or a test's).
	Roots [][]byte

	// CAFile names a PEM file of extra trust anchors (tlsmon's --ca-file). Every
	// "CERTIFICATE" block is added; New fails if the file cannot be read or holds no
	// certificate.
	CAFile string

	// CTLogs is the Certificate Transparency log list SCTs are verified against (Zeek's
	// SSL::ct_logs). nil means none: every SCT counts as from an unknown log, so
	// valid_ct_logs and valid_ct_operators are 0. LoadCTLogList reads Google's public
	// log_list.json (v3), the source Zeek generates its list from.
	CTLogs []CTLog

	// NoIntermediateCache turns Zeek's SSL::ssl_cache_intermediate_ca off.
	NoIntermediateCache bool

	// ResultExpiry is how long a cached result lives after its last use, in network
	// time (Zeek's &read_expire=5mins on recently_validated_certs and
	// recently_validated_scts). 0 means 5 minutes.
	ResultExpiry time.Duration

	// MaxCacheEntries bounds each of Zeek's caches (intermediates, chain results, SCT
	// results); 0 means 10000. When a cache is full the entry used least recently is
	// dropped. Zeek's tables are unbounded; this only matters on traffic with more
	// distinct chains than that within ResultExpiry (or, for intermediates, ever).
	// Parsed certificates are kept for at most 4096 distinct certificates besides.
	MaxCacheEntries int
}

// CTLog is one Certificate Transparency log (Zeek's SSL::CTInfo).
type CTLog struct {
	ID          [32]byte // the log ID: SHA-256 of Key
	Key         []byte   // the log's public key, DER SubjectPublicKeyInfo
	Operator    string   // the operator's name; valid_ct_operators counts distinct ones
	Description string
}

// SCTSource tells where an SCT was seen (Zeek's SSL::SctSource).
type SCTSource uint8

// The SCT sources.
const (
	// SCTFromCertificate: the SCT list extension (1.3.6.1.4.1.11129.2.4.2) of a
	// certificate Zeek's file analysis typed application/x-x509-user-cert (the first
	// certificate of a chain). Verified as a precertificate entry.
	SCTFromCertificate SCTSource = iota
	// SCTFromTLS: the signed_certificate_timestamp TLS extension
	// (ssl_extension_signed_certificate_timestamp, either side).
	SCTFromTLS
	// SCTFromOCSP: the SCT extension of a stapled OCSP response's single response.
	SCTFromOCSP
)

// SCT is one Signed Certificate Timestamp as Zeek's events give it.
type SCT struct {
	Version   uint64
	LogID     []byte
	Timestamp uint64 // milliseconds since the epoch
	HashAlg   uint64 // TLS HashAlgorithm (4 = SHA-256)
	SigAlg    uint64 // TLS SignatureAlgorithm (not used for verification, as in Zeek)
	Signature []byte
	Source    SCTSource
}

// Result is the outcome of ValidateCerts (Zeek's X509::Result).
type Result struct {
	// Code is OpenSSL's verification error code (X509_V_OK = 0), Zeek's validation_code.
	Code int
	// Status is Zeek's validation_status: "ok" or OpenSSL 3's wording of Code, except
	// that Zeek writes "self signed certificate" for a lone self-signed certificate.
	Status string
	// Chain is the verified chain, leaf first, trust anchor last; only when Status is
	// "ok" (Zeek's valid_chain). Its slices may be shared with the Validator's caches:
	// read-only.
	Chain [][]byte
}

// OK reports whether the chain validated (Status "ok"). When it did not, Zeek raises
// the notice SSL::Invalid_Server_Cert with the message
// "SSL certificate validation failed with (<Status>)".
func (r Result) OK() bool { return r.Status == StatusOK }

// StatusOK is the validation_status of a valid chain.
const StatusOK = "ok"

// SCTResult is the outcome of VerifySCTs.
type SCTResult struct {
	Valid, Invalid int      // Zeek's valid_scts / invalid_scts
	Logs           int      // valid_ct_logs: distinct logs with a valid SCT
	Operators      int      // valid_ct_operators: distinct operators with a valid SCT
	OperatorList   []string // valid_ct_operators_list, sorted
	// Capped is set when the connection's SCTs needed more signature checks than the
	// budget (256): the SCTs left unchecked count as invalid. Zeek has no such cap; a
	// caller reports it (weird.log) rather than let it pass silently.
	Capped bool
}

// OCSPResult is the outcome of VerifyOCSP.
type OCSPResult struct {
	// Status is Zeek's ocsp_status: "good" when the response verifies and says the
	// certificate is good, else OpenSSL's or Zeek's wording of what failed ("revoked",
	// "unknown", "OCSP reply expired", "unable to get local issuer certificate", ...).
	Status string
	// Code is x509_ocsp_verify's result number (1 for success).
	Code int
}

// OK reports whether the response was good. When it was not, Zeek raises the notice
// SSL::Invalid_Ocsp_Response with the message "OCSP response validation failed with
// (<Status>)".
func (r OCSPResult) OK() bool { return r.Status == "good" }

// ErrNoRoots is returned by New when the configuration leaves no trust anchor.
var ErrNoRoots = errors.New("validate: no trust anchors configured")
