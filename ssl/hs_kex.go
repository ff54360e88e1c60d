package ssl

import (
	"slices"

	"github.com/tlsmon/tlsmon"
	"golang.org/x/crypto/cryptobyte"
)

const curveTypeNamed = 3

// certificate parses a (TLS ≤ 1.2) Certificate message and hands every certificate of the
// chain on, in order.
func (h *Handshake) certificate(isOrig bool, body []byte) error {
	s := cryptobyte.String(body)
	var list cryptobyte.String
	if !readPrefixed24(&s, &list) {
		return errCertificate
	}
	// Zeek parses the whole chain before handing certificates on.
	chk := list
	for len(chk) > 0 {
		var c cryptobyte.String
		if !readPrefixed24(&chk, &c) {
			return errCertificate
		}
	}
	h.certList(isOrig, list, 4+3) // the message's header, the list's length
	return nil
}

// certList raises one Certificate event per non-empty entry of a validated list of
// 24-bit length prefixed certificates, which begins at offset at of its message.
func (h *Handshake) certList(isOrig bool, list cryptobyte.String, at int) {
	for i := 0; len(list) > 0; i++ {
		var c cryptobyte.String
		readPrefixed24(&list, &c)
		at += 3
		if len(c) == 0 {
			h.ev.emitWeird("zero_length_certificate", "")
			continue
		}
		var same tlsmon.SameBytes
		if h.msgID != nil {
			same = tlsmon.SameBytes{Msg: h.msgID, Off: at}
		}
		h.ev.emitCertificate(h.isClient(isOrig), isOrig, i, c, same)
		at += len(c)
	}
}

// certificateStatus parses a CertificateStatus message (OCSP stapling, RFC 6066 §8).
func (h *Handshake) certificateStatus(isOrig bool, body []byte) error {
	if len(body) < 4 {
		return errCertificateStatus
	}
	resp := body[4:]
	switch {
	case body[0] == 1 && len(resp) > 0:
		if !h.ev.reads(evStapledOCSP) {
			break
		}
		ev := &h.ev.ocsp
		*ev = tlsmon.SSLStapledOCSP{Meta: h.ev.meta(), IsClient: h.isClient(isOrig), Response: resp}
		h.ev.h.HandleEvent(ev)
	case len(resp) == 0:
		h.ev.emitWeird("SSL_zero_length_stapled_OCSP_message", "")
	}
	return nil
}

// readParamsSignature reads the signature that follows signed (non-anonymous) server key
// exchange parameters; unsigned parameters have none.
func (h *Handshake) readParamsSignature(s *cryptobyte.String, signed bool) (tlsmon.SignatureAndHashAlgorithm, []byte, bool) {
	if !signed {
		return tlsmon.SignatureAndHashAlgorithm{}, nil, true
	}
	return h.readSignature(s)
}

// serverKeyExchange parses the key exchange parameters the chosen cipher suite implies.
func (h *Handshake) serverKeyExchange(body []byte) error {
	s := cryptobyte.String(body)
	switch serverKexKind(h.chosenCipher) {
	case kexECDHE, kexECDHAnon:
		signed := serverKexKind(h.chosenCipher) == kexECDHE
		var ct uint8
		if !s.ReadUint8(&ct) {
			return errServerKeyExchange
		}
		if ct != curveTypeNamed {
			return nil
		}
		var curve uint16
		var point cryptobyte.String
		if !s.ReadUint16(&curve) || !readPrefixed8(&s, &point) {
			return errServerKeyExchange
		}
		alg, sig, ok := h.readParamsSignature(&s, signed)
		if !ok {
			return errServerKeyExchange
		}
		ev := &h.ev.ecdhServer
		*ev = tlsmon.SSLECDHServerParams{Meta: h.ev.meta(), Curve: uint64(curve), Point: point}
		h.ev.h.HandleEvent(ev)
		if signed {
			h.emitServerSignature(alg, sig)
		}
	case kexDHE, kexDHAnon:
		signed := serverKexKind(h.chosenCipher) == kexDHE
		var p, g, ys cryptobyte.String
		if !readPrefixed16(&s, &p) || !readPrefixed16(&s, &g) || !readPrefixed16(&s, &ys) {
			return errServerKeyExchange
		}
		alg, sig, ok := h.readParamsSignature(&s, signed)
		if !ok {
			return errServerKeyExchange
		}
		if h.ev.reads(evDHServerParams) {
			ev := &h.ev.dhServer
			*ev = tlsmon.SSLDHServerParams{Meta: h.ev.meta(), P: p, Q: g, Ys: ys}
			h.ev.h.HandleEvent(ev)
		}
		if signed {
			h.emitServerSignature(alg, sig)
		}
	}
	return nil
}

// readSignature reads a ServerKeyExchange signature; before TLS 1.2 it has no algorithm
// field and Zeek reports the impossible value 256/256.
func (h *Handshake) readSignature(s *cryptobyte.String) (tlsmon.SignatureAndHashAlgorithm, []byte, bool) {
	alg := tlsmon.SignatureAndHashAlgorithm{HashAlgorithm: 256, SignatureAlgorithm: 256}
	if h.usesSigHashAlg() {
		var hash, sa uint8
		if !s.ReadUint8(&hash) || !s.ReadUint8(&sa) {
			return alg, nil, false
		}
		alg = tlsmon.SignatureAndHashAlgorithm{HashAlgorithm: uint64(hash), SignatureAlgorithm: uint64(sa)}
	}
	var sig cryptobyte.String
	if !readPrefixed16(s, &sig) {
		return alg, nil, false
	}
	return alg, sig, true
}

func (h *Handshake) emitServerSignature(alg tlsmon.SignatureAndHashAlgorithm, sig []byte) {
	if !h.ev.reads(evServerSignature) {
		return
	}
	ev := &h.ev.serverSig
	*ev = tlsmon.SSLServerSignature{Meta: h.ev.meta(), SignatureAndHashalgorithm: alg, Signature: sig}
	h.ev.h.HandleEvent(ev)
}

// clientKeyExchange reports the whole message body as the client's key material (RSA
// encrypted premaster secret, DH public value or EC point, length prefix included).
func (h *Handshake) clientKeyExchange(body []byte) {
	switch clientKexKind(h.chosenCipher) {
	case kexRSA:
		if !h.ev.reads(evRSAClientPMS) {
			return
		}
		ev := &h.ev.rsaPMS
		*ev = tlsmon.SSLRSAClientPMS{Meta: h.ev.meta(), PMS: body}
		h.ev.h.HandleEvent(ev)
	case kexDH:
		if !h.ev.reads(evDHClientParams) {
			return
		}
		ev := &h.ev.dhClient
		*ev = tlsmon.SSLDHClientParams{Meta: h.ev.meta(), Yc: body}
		h.ev.h.HandleEvent(ev)
	case kexECDH:
		if !h.ev.reads(evECDHClientParams) {
			return
		}
		ev := &h.ev.ecdhClient
		*ev = tlsmon.SSLECDHClientParams{Meta: h.ev.meta(), Point: body}
		h.ev.h.HandleEvent(ev)
	}
}

// certificateRequest parses a CertificateRequest (RFC 5246 §7.4.4).
func (h *Handshake) certificateRequest(isOrig bool, body []byte) error {
	s := cryptobyte.String(body)
	var types cryptobyte.String
	if !readPrefixed8(&s, &types) {
		return errCertificateRequest
	}
	ev := &h.ev.certRequest
	ctypes := slices.Grow(ev.CertificateTypes[:0], len(types))
	for _, t := range types {
		ctypes = append(ctypes, uint64(t))
	}
	ev.CertificateTypes = ctypes
	sigs := ev.SupportedSignatureAlgorithms[:0]
	if h.usesSigHashAlg() {
		var algs cryptobyte.String
		if !readPrefixed16(&s, &algs) || len(algs)%2 != 0 {
			return errCertificateRequest
		}
		sigs = appendSigAlgs(sigs, algs)
	}
	ev.SupportedSignatureAlgorithms = sigs
	var cas cryptobyte.String
	if !readPrefixed16(&s, &cas) {
		return errCertificateRequest
	}
	names := ev.CertificateAuthorities[:0]
	for len(cas) > 0 {
		var ca cryptobyte.String
		if !readPrefixed16(&cas, &ca) {
			ev.CertificateAuthorities = names
			return errCertificateRequest
		}
		names = append(names, ca)
	}
	if h.ev.reads(evCertificateRequest) {
		*ev = tlsmon.SSLCertificateRequest{Meta: h.ev.meta(), IsClient: h.isClient(isOrig), CertificateTypes: ctypes,
			SupportedSignatureAlgorithms: sigs, CertificateAuthorities: names}
		h.ev.h.HandleEvent(ev)
	}
	return nil
}
