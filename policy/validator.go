package policy

import "github.com/tlsmon/tlsmon/certs/validate"

// Validator is what validate-certs, validate-ocsp and validate-sct call: the
// certs/validate package's Validator (which keeps Zeek's intermediate cache and its
// recently validated chains and SCTs) implements it; tests may give another.
// Certificates are DER, end-entity first, nil where Zeek's X.509 analyzer could not parse
// one; now is network time in microseconds since the Unix epoch.
type Validator interface {
	// ValidateCerts is validate-certs' ssl_finishing check of the server's chain: Zeek's
	// validation_status and validation_code; ok is false when nothing was validated.
	ValidateCerts(chain [][]byte, now int64) (res validate.Result, ok bool)
	// VerifySCTs is validate-sct's ssl_finishing check of the connection's SCTs, after
	// ValidateCerts: valid_ct_logs and valid_ct_operators.
	VerifySCTs(chain [][]byte, res *validate.Result, scts []validate.SCT, now int64) validate.SCTResult
	// VerifyOCSP is validate-ocsp's ssl_established check of a stapled OCSP response:
	// ocsp_status.
	VerifyOCSP(chain [][]byte, response []byte, now int64) validate.OCSPResult
}

var _ Validator = (*validate.Validator)(nil)
