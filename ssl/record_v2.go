package ssl

import (
	"fmt"

	"github.com/tlsmon/tlsmon"
	"golang.org/x/crypto/cryptobyte"
)

// SSLv2 messages (draft-hickman-netscape-ssl-00). The first bytes of each message live
// in the record header: the message type is head2, and head3/head4 carry the first
// field (client version, session-id-hit/certificate type, or error code).

// v2ClientHello parses an SSLv2 CLIENT-HELLO.
func (a *session) v2ClientHello(isOrig bool, d *recordDir, b []byte) (int, error) {
	s := cryptobyte.String(b)
	var csLen, sessLen, chalLen uint16
	if !s.ReadUint16(&csLen) || !s.ReadUint16(&sessLen) || !s.ReadUint16(&chalLen) {
		return 0, errV2ClientHello
	}
	n := 6 + int(csLen) + int(sessLen) + int(chalLen)
	if n > len(b) {
		return 0, errV2ClientHello
	}
	s = cryptobyte.String(b[6:n])
	ev := &a.ev.clientHello
	ciphers := ev.Ciphers[:0]
	for i := 0; i < int(csLen)/3; i++ {
		var c uint32
		if !s.ReadUint24(&c) {
			ev.Ciphers = ciphers
			return 0, errV2ClientHello
		}
		ciphers = append(ciphers, uint64(c))
	}
	ev.Ciphers = ciphers
	var sess, chal []byte
	if !s.ReadBytes(&sess, int(sessLen)) || !s.ReadBytes(&chal, int(chalLen)) {
		return 0, errV2ClientHello
	}
	version := uint16(d.head3)<<8 | uint16(d.head4)
	if !versionOK(version) {
		a.violation(fmt.Sprintf("unsupported client SSL version 0x%04x", version), true)
	} else {
		a.confirm()
	}
	*ev = tlsmon.SSLClientHello{Meta: a.ev.meta(), Version: uint64(version), ClientRandom: chal,
		SessionID: a.ev.sessionID(sess), Ciphers: ciphers, CompMethods: ev.CompMethods[:0]}
	a.ev.h.HandleEvent(ev)
	return n, nil
}

// v2ServerHello parses an SSLv2 SERVER-HELLO, with the server's certificate.
func (a *session) v2ServerHello(isOrig bool, d *recordDir, b []byte) (int, error) {
	s := cryptobyte.String(b)
	var version, certLen, csLen, connIDLen uint16
	var cert, connID []byte
	if !s.ReadUint16(&version) || !s.ReadUint16(&certLen) || !s.ReadUint16(&csLen) || !s.ReadUint16(&connIDLen) ||
		!s.ReadBytes(&cert, int(certLen)) {
		return 0, errV2ServerHello
	}
	ev := &a.ev.serverHello
	var first uint32
	for i := 0; i < int(csLen)/3; i++ {
		var c uint32
		if !s.ReadUint24(&c) {
			return 0, errV2ServerHello
		}
		if i == 0 {
			first = c
		}
	}
	if !s.ReadBytes(&connID, int(connIDLen)) {
		return 0, errV2ServerHello
	}
	n := len(b) - len(s)
	if version != versionSSLv2 {
		a.violation(fmt.Sprintf("Invalid version in SSL server hello. Version: %d", version), true)
		return n, nil
	}
	*ev = tlsmon.SSLServerHello{Meta: a.ev.meta(), Version: uint64(version), ServerRandom: connID,
		SessionID: a.ev.sessionID(nil), Cipher: uint64(first)}
	a.ev.h.HandleEvent(ev)
	if len(cert) == 0 {
		a.ev.emitWeird("zero_length_certificate", "")
	} else {
		a.ev.emitCertificate(a.isClient(isOrig), isOrig, 0, cert, tlsmon.SameBytes{})
	}
	return n, nil
}

// v2ClientMasterKey parses an SSLv2 CLIENT-MASTER-KEY: both sides encrypt from here on.
func (a *session) v2ClientMasterKey(b []byte) (int, error) {
	s := cryptobyte.String(b)
	var kind uint8
	var clear, enc, arg uint16
	if !s.ReadUint8(&kind) || !s.ReadUint16(&clear) || !s.ReadUint16(&enc) || !s.ReadUint16(&arg) {
		return 0, errV2ClientMasterKey
	}
	n := 7 + int(clear) + int(enc) + int(arg)
	if n > len(b) {
		return 0, errV2ClientMasterKey
	}
	a.rec.StartEncryption(true)
	a.rec.StartEncryption(false)
	// Zeek raises ssl_established here without marking the connection established, so the
	// first encrypted record raises it again.
	a.rec.raiseEstablished()
	return n, nil
}
