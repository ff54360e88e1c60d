package ssl

// parseError is a malformed structure: a length pointing past the data that holds it.
// Zeek's binpac parser throws an out-of-bound exception there; the text follows its form.
type parseError string

func (e parseError) Error() string { return "binpac exception: out_of_bound: " + string(e) }

const (
	errClientHello        parseError = "ClientHello"
	errServerHello        parseError = "ServerHello"
	errHelloVerifyRequest parseError = "HelloVerifyRequest"
	errSessionTicket      parseError = "SessionTicketHandshake"
	errCertificate        parseError = "Certificate"
	errServerKeyExchange  parseError = "ServerKeyExchange"
	errCertificateRequest parseError = "CertificateRequest"
	errCertificateStatus  parseError = "CertificateStatus"
	errExtension          parseError = "SSLExtension"
	errAlert              parseError = "Alert"
	errHeartbeat          parseError = "Heartbeat"
	errChangeCipherSpec   parseError = "ChangeCipherSpec"
	errV2ClientHello      parseError = "V2ClientHello"
	errV2ServerHello      parseError = "V2ServerHello"
	errV2ClientMasterKey  parseError = "V2ClientMasterKey"
	errRecord             parseError = "SSLRecord"
)
