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

// argFilter holds the values read of the events Config.EventArgs narrows: a bit per
// extension code (ssl_extension) and per record content type (ssl_plaintext_data).
type argFilter struct {
	ext [1 << 16 / 64]uint64
	ct  [1024 / 64]uint64 // SSLv2 message types are 300 + type (Record.ContentType)
}

// newArgFilter returns the values args says are read (nil when args is nil or reads every
// value of both events).
func newArgFilter(args func(name string) ([]uint64, bool)) *argFilter {
	if args == nil {
		return nil
	}
	f := new(argFilter)
	some := false
	set := func(bits []uint64, ev tlsmon.Event) {
		vals, ok := args(ev.Name())
		if !ok {
			for i := range bits {
				bits[i] = ^uint64(0)
			}
			return
		}
		some = true
		for _, v := range vals {
			if v < uint64(len(bits))*64 {
				bits[v/64] |= 1 << (v % 64)
			}
		}
	}
	set(f.ext[:], (*tlsmon.SSLExtension)(nil))
	set(f.ct[:], (*tlsmon.SSLPlaintextData)(nil))
	if !some {
		return nil
	}
	return f
}

// raiseExtension reports whether ssl_extension with that code is raised, and notes that
// the connection's first one has been.
func (e *emitter) raiseExtension(code uint16) bool {
	if f := e.args; f != nil && e.extRaised && f.ext[code/64]&(1<<(code%64)) == 0 {
		return false
	}
	e.extRaised = true
	return true
}

// raisePlaintext reports whether ssl_plaintext_data with that content type is raised, and
// notes that the connection's first one has been.
func (e *emitter) raisePlaintext(ct int) bool {
	if f := e.args; f != nil && e.plainRaised && uint(ct) < 1024 && f.ct[uint(ct)/64]&(1<<(uint(ct)%64)) == 0 {
		return false
	}
	e.plainRaised = true
	return true
}
