package ssl

import (
	"fmt"
	"slices"

	"github.com/tlsmon/tlsmon"
	"golang.org/x/crypto/cryptobyte"
)

// clientHello parses a ClientHello (RFC 8446 §4.1.2; DTLS adds a cookie).
func (h *Handshake) clientHello(isOrig bool, body []byte) error {
	h.checkFlipped(true, isOrig)
	s := cryptobyte.String(body)
	var (
		version, csLen uint16
		gmt            uint32
		random, sessID []byte
		sessLen, cmLen uint8
	)
	if !s.ReadUint16(&version) || !s.ReadUint32(&gmt) || !s.ReadBytes(&random, 28) ||
		!s.ReadUint8(&sessLen) || !s.ReadBytes(&sessID, int(sessLen)) {
		return errClientHello
	}
	if version == versionDTLS10 || version == versionDTLS12 {
		var cookie cryptobyte.String
		if !readPrefixed8(&s, &cookie) {
			return errClientHello
		}
	}
	ev := &h.ev.clientHello
	if !s.ReadUint16(&csLen) {
		return errClientHello
	}
	// Lists are sized once from their length (bounded by the bytes present), not grown.
	ciphers, ok := readUint16s(ev.Ciphers[:0], &s, int(csLen)/2)
	ev.Ciphers = ciphers
	if !ok {
		return errClientHello
	}
	var cmeths []byte
	if !s.ReadUint8(&cmLen) || !s.ReadBytes(&cmeths, int(cmLen)) {
		return errClientHello
	}
	if err := h.extensions(isOrig, hsClientHello, s); err != nil {
		return err
	}
	if !versionOK(version) {
		h.cb.Violation(fmt.Sprintf("unsupported client SSL version 0x%04x", version), true)
	} else {
		h.cb.Confirm()
	}
	comp := slices.Grow(ev.CompMethods[:0], len(cmeths))
	for _, m := range cmeths {
		comp = append(comp, uint64(m))
	}
	*ev = tlsmon.SSLClientHello{
		Meta:          h.ev.meta(),
		Version:       uint64(version),
		RecordVersion: uint64(h.recordVersion),
		PossibleTs:    float64(gmt),
		ClientRandom:  random,
		SessionID:     h.ev.sessionID(sessID),
		Ciphers:       ciphers,
		CompMethods:   comp,
	}
	h.ev.h.HandleEvent(ev)
	return nil
}

// serverHello parses a ServerHello; TLS 1.3 drafts (0x7Fxx) have no session id and no
// compression method.
func (h *Handshake) serverHello(isOrig bool, body []byte) error {
	h.checkFlipped(false, isOrig)
	s := cryptobyte.String(body)
	var v0, v1 uint8
	if !s.ReadUint8(&v0) || !s.ReadUint8(&v1) {
		return errServerHello
	}
	version := uint16(v0)<<8 | uint16(v1)
	var (
		random, sessID []byte
		hasSession     bool
		cipher         uint16
		comp           uint8
	)
	if version == versionTLS13 || v0 == 0x7F {
		if !s.ReadBytes(&random, 32) || !s.ReadUint16(&cipher) {
			return errServerHello
		}
	} else {
		var sessLen uint8
		if !s.ReadBytes(&random, 32) || !s.ReadUint8(&sessLen) || !s.ReadBytes(&sessID, int(sessLen)) ||
			!s.ReadUint16(&cipher) || !s.ReadUint8(&comp) {
			return errServerHello
		}
		hasSession = true
	}
	if err := h.extensions(isOrig, hsServerHello, s); err != nil {
		return err
	}
	h.chosenCipher = uint32(cipher)
	if !versionOK(version) {
		h.cb.Violation(fmt.Sprintf("unsupported server SSL version 0x%04x", version), true)
	}
	if !hasSession {
		sessID = nil
	}
	ev := &h.ev.serverHello
	*ev = tlsmon.SSLServerHello{
		Meta:          h.ev.meta(),
		Version:       uint64(version),
		RecordVersion: uint64(h.recordVersion),
		PossibleTs:    float64(uint32(random[0])<<24 | uint32(random[1])<<16 | uint32(random[2])<<8 | uint32(random[3])),
		ServerRandom:  random,
		SessionID:     h.ev.sessionID(sessID),
		Cipher:        uint64(cipher),
		CompMethod:    uint64(comp),
	}
	h.ev.h.HandleEvent(ev)
	h.setVersion(version)
	return nil
}

func parseHelloVerifyRequest(body []byte) error {
	s := cryptobyte.String(body)
	var v uint16
	var cookie cryptobyte.String
	if !s.ReadUint16(&v) || !readPrefixed8(&s, &cookie) {
		return errHelloVerifyRequest
	}
	return nil
}

func (h *Handshake) sessionTicket(body []byte) error {
	s := cryptobyte.String(body)
	var life uint32
	var ticket cryptobyte.String
	if !s.ReadUint32(&life) || !readPrefixed16(&s, &ticket) {
		return errSessionTicket
	}
	if !h.ev.reads(evSessionTicketHandshake) {
		return nil
	}
	ev := &h.ev.ticket
	*ev = tlsmon.SSLSessionTicketHandshake{Meta: h.ev.meta(), TicketLifetimeHint: uint64(life), Ticket: ticket}
	h.ev.h.HandleEvent(ev)
	return nil
}
