package validate

import "io"

// VerifySCTs is validate-sct's SSL::ssl_finishing hook (priority 19): it verifies the
// connection's SCTs against the CT log list for the leaf chain[0], using res (the Result
// ValidateCerts gave for this connection; nil if it was not called) for the issuer of
// certificate-extension SCTs, and Zeek's SCT cache. Call it only when ValidateCerts
// returned ok (Zeek's hook has the same precondition). now is network time in
// microseconds.
func (v *Validator) VerifySCTs(chain [][]byte, res *Result, scts []SCT, now int64) SCTResult {
	return SCTResult{}
}

// VerifyOCSP is validate-ocsp's ssl_established handler: it verifies a stapled OCSP
// response (the DER OCSPResponse of ssl_stapled_ocsp) for the leaf chain[0] at network
// time now (microseconds), as Zeek's x509_ocsp_verify does. Call it at ssl_established
// when the connection has a chain with a non-nil first certificate and a stapled
// response.
func (v *Validator) VerifyOCSP(chain [][]byte, response []byte, now int64) OCSPResult {
	return OCSPResult{Code: -1, Status: "not implemented"}
}

// LoadCTLogList reads a CT log list in the JSON format Google publishes (log_list.json,
// schema v3: operators[].logs[] with log_id, key, description; operators[].name), the
// source Zeek's ct-list.zeek is generated from. Every log is returned, whatever its
// state, as Zeek's generator does.
func LoadCTLogList(r io.Reader) ([]CTLog, error) { return nil, nil }

// SCTsFromCertificate returns the SCTs of a certificate's SCT list extension
// (1.3.6.1.4.1.11129.2.4.2), with Source SCTFromCertificate; none if it has none.
func SCTsFromCertificate(der []byte) []SCT { return nil }

// SCTsFromOCSP returns the SCTs of the SCT list extensions (1.3.6.1.4.1.11129.2.4.5) of
// the single responses of a DER OCSPResponse, with Source SCTFromOCSP.
func SCTsFromOCSP(response []byte) []SCT { return nil }
