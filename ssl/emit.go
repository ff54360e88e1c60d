package ssl

import (
	"github.com/tlsmon/tlsmon"
)

// emitter raises events for one connection. Handlers must not keep events past the
// HandleEvent call, as the tlsmon package documents, so the event structs are reused: they
// are the emitter's emitEvents, which the emitters of one Shared (one engine) share.
type emitter struct {
	h    tlsmon.Handler
	conn *tlsmon.Conn
	ts   int64
	*emitEvents
	analyzerName string
	unread       eventSet   // the optional events not raised
	args         *argFilter // the values read of ssl_extension and ssl_plaintext_data; nil: all
	extRaised    bool       // an ssl_extension raised for the connection
	plainRaised  bool       // an ssl_plaintext_data raised for the connection
}

// emitEvents holds a struct of each event an emitter raises. One set serves all the
// emitters of a Shared: events are raised and handled one at a time on the engine's
// goroutine, and no handler keeps one, so the connections take turns in the same structs,
// which stay in the processor's cache instead of each connection writing its own 2 kB.
// Slices inside the structs double as scratch space, so steady-state parsing allocates
// nothing.
type emitEvents struct {
	clientHello      tlsmon.SSLClientHello
	serverHello      tlsmon.SSLServerHello
	extension        tlsmon.SSLExtension
	curves           tlsmon.SSLExtensionEllipticCurves
	pointFormats     tlsmon.SSLExtensionECPointFormats
	sigAlgs          tlsmon.SSLExtensionSignatureAlgorithm
	sigAlgsCert      tlsmon.SSLExtensionSignatureAlgorithmsCert
	keyShare         tlsmon.SSLExtensionKeyShare
	pskClient        tlsmon.SSLExtensionPreSharedKeyClientHello
	pskServer        tlsmon.SSLExtensionPreSharedKeyServerHello
	ecdhServer       tlsmon.SSLECDHServerParams
	dhServer         tlsmon.SSLDHServerParams
	serverSig        tlsmon.SSLServerSignature
	ecdhClient       tlsmon.SSLECDHClientParams
	dhClient         tlsmon.SSLDHClientParams
	rsaPMS           tlsmon.SSLRSAClientPMS
	alpn             tlsmon.SSLExtensionApplicationLayerProtocolNegotiation
	serverName       tlsmon.SSLExtensionServerName
	sct              tlsmon.SSLExtensionSignedCertificateTimestamp
	versions         tlsmon.SSLExtensionSupportedVersions
	pskModes         tlsmon.SSLExtensionPSKKeyExchangeModes
	connectionID     tlsmon.SSLExtensionConnectionID
	ech              tlsmon.SSLExtensionEncryptedClientHello
	established      tlsmon.SSLEstablished
	alert            tlsmon.SSLAlert
	ticket           tlsmon.SSLSessionTicketHandshake
	heartbeat        tlsmon.SSLHeartbeat
	plaintext        tlsmon.SSLPlaintextData
	encrypted        tlsmon.SSLEncryptedData
	probable         tlsmon.SSLProbableEncryptedHandshakeMessage
	ocsp             tlsmon.SSLStapledOCSP
	handshakeMsg     tlsmon.SSLHandshakeMessage
	ccs              tlsmon.SSLChangeCipherSpec
	flipped          tlsmon.SSLConnectionFlipped
	certRequest      tlsmon.SSLCertificateRequest
	certificate      tlsmon.Certificate
	weird            tlsmon.Weird
	confirmation     tlsmon.AnalyzerConfirmation
	violation        tlsmon.AnalyzerViolation
	sessionIDScratch [32]byte
}

func newEmitter(sh *Shared, conn *tlsmon.Conn, h tlsmon.Handler, analyzerName string) *emitter {
	if h == nil {
		h = tlsmon.HandlerFunc(func(tlsmon.Event) {})
	}
	return &emitter{h: h, conn: conn, emitEvents: sh.eventStructs(), analyzerName: analyzerName}
}

func (e *emitter) meta() tlsmon.Meta { return tlsmon.Meta{Ts: e.ts, Conn: e.conn} }

func (e *emitter) emitWeird(name, addl string) {
	e.weird = tlsmon.Weird{Meta: e.meta(), WeirdName: name, Addl: addl, Source: e.analyzerName}
	e.h.HandleEvent(&e.weird)
}

func (e *emitter) emitViolation(reason string, data []byte, ignored bool) {
	e.violation = tlsmon.AnalyzerViolation{Meta: e.meta(), Analyzer: e.analyzerName, Reason: reason, Data: data, Ignored: ignored}
	e.h.HandleEvent(&e.violation)
}

func (e *emitter) emitConfirmation() {
	e.confirmation = tlsmon.AnalyzerConfirmation{Meta: e.meta(), Analyzer: e.analyzerName}
	e.h.HandleEvent(&e.confirmation)
}

func (e *emitter) emitAlert(isClient bool, level, desc uint64) {
	e.alert = tlsmon.SSLAlert{Meta: e.meta(), IsClient: isClient, Level: level, Desc: desc}
	e.h.HandleEvent(&e.alert)
}

func (e *emitter) emitEstablished() {
	e.established.Meta = e.meta()
	e.h.HandleEvent(&e.established)
}

func (e *emitter) emitCertificate(isClient, isOrig bool, index int, der []byte, same tlsmon.SameBytes) {
	e.certificate = tlsmon.Certificate{Meta: e.meta(), IsClient: isClient, IsOrig: isOrig, Index: index, DER: der, Same: same}
	e.h.HandleEvent(&e.certificate)
}

// sessionID mirrors how Zeek hands session ids to scripts: always 32 bytes, the id
// zero-padded, or 32 zero bytes when the id is absent or longer than 32 bytes.
func (e *emitter) sessionID(id []byte) []byte {
	s := &e.sessionIDScratch
	*s = [32]byte{}
	if len(id) <= 32 {
		copy(s[:], id)
	}
	return s[:]
}
