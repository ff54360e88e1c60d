package ssl

import "github.com/tlsmon/tlsmon"

// eventKind is one of the events an analyzer leaves out when no one reads it
// (Config.Events), as Zeek raises no event that has no handler. The events the logs read,
// and those of the pipeline itself, are always raised.
type eventKind uint8

const (
	evEllipticCurves eventKind = iota
	evECPointFormats
	evSignatureAlgorithm
	evSignatureAlgorithmsCert
	evPSKKeyExchangeModes
	evConnectionID
	evSignedCertificateTimestamp
	evPreSharedKeyClientHello
	evPreSharedKeyServerHello
	evEncryptedClientHello
	evStapledOCSP
	evDHServerParams
	evServerSignature
	evRSAClientPMS
	evDHClientParams
	evECDHClientParams
	evCertificateRequest
	evSessionTicketHandshake
	evProbableEncryptedHandshakeMessage
	evEncryptedData
	numOptionalEvents
)

// optionalEvents holds a nil event of each eventKind's type, for its Zeek name.
var optionalEvents = [numOptionalEvents]tlsmon.Event{
	evEllipticCurves:                    (*tlsmon.SSLExtensionEllipticCurves)(nil),
	evECPointFormats:                    (*tlsmon.SSLExtensionECPointFormats)(nil),
	evSignatureAlgorithm:                (*tlsmon.SSLExtensionSignatureAlgorithm)(nil),
	evSignatureAlgorithmsCert:           (*tlsmon.SSLExtensionSignatureAlgorithmsCert)(nil),
	evPSKKeyExchangeModes:               (*tlsmon.SSLExtensionPSKKeyExchangeModes)(nil),
	evConnectionID:                      (*tlsmon.SSLExtensionConnectionID)(nil),
	evSignedCertificateTimestamp:        (*tlsmon.SSLExtensionSignedCertificateTimestamp)(nil),
	evPreSharedKeyClientHello:           (*tlsmon.SSLExtensionPreSharedKeyClientHello)(nil),
	evPreSharedKeyServerHello:           (*tlsmon.SSLExtensionPreSharedKeyServerHello)(nil),
	evEncryptedClientHello:              (*tlsmon.SSLExtensionEncryptedClientHello)(nil),
	evStapledOCSP:                       (*tlsmon.SSLStapledOCSP)(nil),
	evDHServerParams:                    (*tlsmon.SSLDHServerParams)(nil),
	evServerSignature:                   (*tlsmon.SSLServerSignature)(nil),
	evRSAClientPMS:                      (*tlsmon.SSLRSAClientPMS)(nil),
	evDHClientParams:                    (*tlsmon.SSLDHClientParams)(nil),
	evECDHClientParams:                  (*tlsmon.SSLECDHClientParams)(nil),
	evCertificateRequest:                (*tlsmon.SSLCertificateRequest)(nil),
	evSessionTicketHandshake:            (*tlsmon.SSLSessionTicketHandshake)(nil),
	evProbableEncryptedHandshakeMessage: (*tlsmon.SSLProbableEncryptedHandshakeMessage)(nil),
	evEncryptedData:                     (*tlsmon.SSLEncryptedData)(nil),
}

// eventSet is a set of eventKinds.
type eventSet uint32

// unreadEvents returns the optional events reads says no one reads (none when reads is
// nil).
func unreadEvents(reads func(name string) bool) eventSet {
	var s eventSet
	if reads == nil {
		return 0
	}
	for k, ev := range optionalEvents {
		if !reads(ev.Name()) {
			s |= 1 << k
		}
	}
	return s
}

// reads reports whether events of kind k are raised.
func (e *emitter) reads(k eventKind) bool { return e.unread&(1<<k) == 0 }
