package ssl

import (
	"encoding/binary"
	"slices"
	"strconv"

	"github.com/tlsmon/tlsmon"
	"golang.org/x/crypto/cryptobyte"
)

// Extension types with an event of their own.
const (
	extServerName           = 0
	extEllipticCurves       = 10
	extECPointFormats       = 11
	extSignatureAlgorithms  = 13
	extALPN                 = 16
	extSCT                  = 18
	extKeyShareOld          = 40
	extPreSharedKey         = 41
	extSupportedVersions    = 43
	extPSKKeyExchangeModes  = 45
	extSignatureAlgsCert    = 50
	extKeyShare             = 51
	extConnectionID         = 54
	extEncryptedClientHello = 65037
)

// extensions parses the optional extension block of a hello: a length (ignored, as Zeek
// does) and extensions up to the end of the message. Each extension's own event comes
// first, then ssl_extension.
func (h *Handshake) extensions(isOrig bool, msgType uint8, s cryptobyte.String) error {
	if len(s) == 0 {
		return nil
	}
	var total uint16
	if !s.ReadUint16(&total) {
		return errExtension
	}
	for len(s) > 0 {
		// type and length-prefixed data, read straight from the bytes (every extension
		// of every hello)
		if len(s) < 4 || len(s)-4 < int(s[2])<<8|int(s[3]) {
			return errExtension
		}
		typ := uint16(s[0])<<8 | uint16(s[1])
		n := 4 + (int(s[2])<<8 | int(s[3]))
		data := s[4:n:n]
		s = s[n:]
		if len(data) > 0 {
			if err := h.extension(isOrig, msgType, typ, data); err != nil {
				return err
			}
		}
		if !h.ev.raiseExtension(typ) {
			continue
		}
		ev := &h.ev.extension
		*ev = tlsmon.SSLExtension{Meta: h.ev.meta(), IsClient: h.isClient(isOrig), Code: uint64(typ), Val: data}
		h.ev.h.HandleEvent(ev)
	}
	return nil
}

// extension parses the body of one non-empty extension and raises its specific event.
// Trailing bytes after the parsed structure are ignored.
func (h *Handshake) extension(isOrig bool, msgType uint8, typ uint16, data cryptobyte.String) error {
	isClient := h.isClient(isOrig)
	switch typ {
	case extServerName:
		return h.extServerName(isClient, data)
	case extEllipticCurves:
		var n uint16
		if !data.ReadUint16(&n) {
			return errExtension
		}
		if !h.ev.reads(evEllipticCurves) {
			if len(data) < int(n)/2*2 { // readUint16s's test, without the list
				return errExtension
			}
			break
		}
		ev := &h.ev.curves
		list, ok := readUint16s(ev.Curves[:0], &data, int(n)/2)
		ev.Curves = list
		if !ok {
			return errExtension
		}
		*ev = tlsmon.SSLExtensionEllipticCurves{Meta: h.ev.meta(), IsClient: isClient, Curves: list}
		h.ev.h.HandleEvent(ev)
	case extECPointFormats:
		var formats []byte
		if !readPrefixed8(&data, (*cryptobyte.String)(&formats)) {
			return errExtension
		}
		if !h.ev.reads(evECPointFormats) {
			break
		}
		ev := &h.ev.pointFormats
		list := slices.Grow(ev.PointFormats[:0], len(formats))
		for _, f := range formats {
			list = append(list, uint64(f))
		}
		*ev = tlsmon.SSLExtensionECPointFormats{Meta: h.ev.meta(), IsClient: isClient, PointFormats: list}
		h.ev.h.HandleEvent(ev)
	case extSignatureAlgorithms, extSignatureAlgsCert:
		var algs cryptobyte.String
		if !readPrefixed16(&data, &algs) || len(algs)%2 != 0 {
			return errExtension
		}
		if typ == extSignatureAlgorithms {
			if !h.ev.reads(evSignatureAlgorithm) {
				break
			}
			ev := &h.ev.sigAlgs
			list := appendSigAlgs(ev.SignatureAlgorithms[:0], algs)
			*ev = tlsmon.SSLExtensionSignatureAlgorithm{Meta: h.ev.meta(), IsClient: isClient, SignatureAlgorithms: list}
			h.ev.h.HandleEvent(ev)
		} else if h.ev.reads(evSignatureAlgorithmsCert) {
			ev := &h.ev.sigAlgsCert
			list, _ := readUint16s(ev.SignatureSchemes[:0], &algs, len(algs)/2)
			*ev = tlsmon.SSLExtensionSignatureAlgorithmsCert{Meta: h.ev.meta(), IsClient: isClient, SignatureSchemes: list}
			h.ev.h.HandleEvent(ev)
		}
	case extALPN:
		return h.extALPN(isClient, data)
	case extSCT:
		return h.extSCTs(isClient, data)
	case extKeyShare, extKeyShareOld:
		return h.extKeyShare(isClient, msgType, data)
	case extSupportedVersions:
		return h.extSupportedVersions(isClient, data)
	case extPSKKeyExchangeModes:
		var modes []byte
		if !readPrefixed8(&data, (*cryptobyte.String)(&modes)) {
			return errExtension
		}
		if !h.ev.reads(evPSKKeyExchangeModes) {
			break
		}
		ev := &h.ev.pskModes
		list := slices.Grow(ev.Modes[:0], len(modes))
		for _, m := range modes {
			list = append(list, uint64(m))
		}
		*ev = tlsmon.SSLExtensionPSKKeyExchangeModes{Meta: h.ev.meta(), IsClient: isClient, Modes: list}
		h.ev.h.HandleEvent(ev)
	case extPreSharedKey:
		return h.extPreSharedKey(isClient, msgType, data)
	case extConnectionID:
		var cid cryptobyte.String
		if !readPrefixed8(&data, &cid) {
			return errExtension
		}
		if !h.ev.reads(evConnectionID) {
			break
		}
		ev := &h.ev.connectionID
		*ev = tlsmon.SSLExtensionConnectionID{Meta: h.ev.meta(), IsClient: isClient, CID: cid}
		h.ev.h.HandleEvent(ev)
	case extEncryptedClientHello:
		return h.extECH(isClient, data)
	}
	return nil
}

// readUint16s appends n big-endian uint16 values read from s, or as many as s holds
// (then it reports false), and advances s past them. The loop reads the bytes directly:
// cipher and group lists are a ClientHello's longest.
func readUint16s(dst []uint64, s *cryptobyte.String, n int) ([]uint64, bool) {
	m := min(n, len(*s)/2)
	b := (*s)[:2*m]
	*s = (*s)[2*m:]
	k := len(dst)
	dst = slices.Grow(dst, m)[:k+m]
	out := dst[k:]
	i := 0
	for ; i+4 <= len(out); i += 4 { // four values from one 8-byte load: long cipher lists
		x := binary.BigEndian.Uint64(b[2*i : 2*i+8])
		o := out[i : i+4]
		o[0], o[1], o[2], o[3] = x>>48, x>>32&0xffff, x>>16&0xffff, x&0xffff
	}
	for ; i < len(out); i++ {
		out[i] = uint64(b[2*i])<<8 | uint64(b[2*i+1])
	}
	return dst, m == n
}

func appendSigAlgs(dst []tlsmon.SignatureAndHashAlgorithm, b []byte) []tlsmon.SignatureAndHashAlgorithm {
	dst = slices.Grow(dst, len(b)/2)
	for i := 0; i+1 < len(b); i += 2 {
		dst = append(dst, tlsmon.SignatureAndHashAlgorithm{HashAlgorithm: uint64(b[i]), SignatureAlgorithm: uint64(b[i+1])})
	}
	return dst
}

func (h *Handshake) extServerName(isClient bool, data cryptobyte.String) error {
	var list cryptobyte.String
	if !readPrefixed16(&data, &list) {
		return errExtension
	}
	ev := &h.ev.serverName
	names := ev.Names[:0]
	for len(list) > 0 {
		var typ uint8
		if !list.ReadUint8(&typ) {
			ev.Names = names
			return errExtension
		}
		if typ != 0 {
			// An unknown name type takes the rest of the list.
			h.ev.emitWeird("ssl_ext_unknown_server_name_type", strconv.Itoa(int(typ)))
			break
		}
		var name cryptobyte.String
		if !readPrefixed16(&list, &name) {
			ev.Names = names
			return errExtension
		}
		names = append(names, name)
	}
	*ev = tlsmon.SSLExtensionServerName{Meta: h.ev.meta(), IsClient: isClient, Names: names}
	h.ev.h.HandleEvent(ev)
	return nil
}

func (h *Handshake) extALPN(isClient bool, data cryptobyte.String) error {
	var list cryptobyte.String
	if !readPrefixed16(&data, &list) {
		return errExtension
	}
	ev := &h.ev.alpn
	protos := ev.Protocols[:0]
	for len(list) > 0 {
		var p cryptobyte.String
		if !readPrefixed8(&list, &p) {
			ev.Protocols = protos
			return errExtension
		}
		protos = append(protos, p)
	}
	*ev = tlsmon.SSLExtensionApplicationLayerProtocolNegotiation{Meta: h.ev.meta(), IsClient: isClient, Protocols: protos}
	h.ev.h.HandleEvent(ev)
	return nil
}

// extSCTs parses a SignedCertificateTimestampList (RFC 6962 §3.3), one event per SCT.
func (h *Handshake) extSCTs(isClient bool, data cryptobyte.String) error {
	var list cryptobyte.String
	if !readPrefixed16(&data, &list) {
		return errExtension
	}
	for len(list) > 0 {
		var (
			sct, logID, exts, sig cryptobyte.String
			version, hash, alg    uint8
			ts                    uint64
		)
		if !readPrefixed16(&list, &sct) || !sct.ReadUint8(&version) || !sct.ReadBytes((*[]byte)(&logID), 32) ||
			!sct.ReadUint64(&ts) || !readPrefixed16(&sct, &exts) || !sct.ReadUint8(&hash) ||
			!sct.ReadUint8(&alg) || !readPrefixed16(&sct, &sig) {
			return errExtension
		}
		if !h.ev.reads(evSignedCertificateTimestamp) {
			continue
		}
		ev := &h.ev.sct
		*ev = tlsmon.SSLExtensionSignedCertificateTimestamp{
			Meta: h.ev.meta(), IsClient: isClient, Version: uint64(version), LogID: logID, Timestamp: ts,
			SignatureAndHashalgorithm: tlsmon.SignatureAndHashAlgorithm{HashAlgorithm: uint64(hash), SignatureAlgorithm: uint64(alg)},
			Signature:                 sig,
		}
		h.ev.h.HandleEvent(ev)
	}
	return nil
}

func (h *Handshake) extKeyShare(isClient bool, msgType uint8, data cryptobyte.String) error {
	ev := &h.ev.keyShare
	groups := ev.Curves[:0]
	switch msgType {
	case hsClientHello:
		var list cryptobyte.String
		if !readPrefixed16(&data, &list) {
			return errExtension
		}
		for len(list) > 0 {
			var g uint16
			var kx cryptobyte.String
			if !list.ReadUint16(&g) || !readPrefixed16(&list, &kx) {
				ev.Curves = groups
				return errExtension
			}
			groups = append(groups, uint64(g))
		}
	case hsServerHello:
		var g uint16
		if !data.ReadUint16(&g) {
			return errExtension
		}
		if len(data) > 0 { // a full entry; a hello retry request carries just the group
			var kx cryptobyte.String
			if !readPrefixed16(&data, &kx) {
				return errExtension
			}
		}
		groups = append(groups, uint64(g))
	default:
		return nil
	}
	*ev = tlsmon.SSLExtensionKeyShare{Meta: h.ev.meta(), IsClient: isClient, Curves: groups}
	h.ev.h.HandleEvent(ev)
	return nil
}

// extSupportedVersions: a list from the client, the selected version from the server
// (which then is the negotiated version).
func (h *Handshake) extSupportedVersions(isClient bool, data cryptobyte.String) error {
	ev := &h.ev.versions
	list := ev.Versions[:0]
	if isClient {
		var vs cryptobyte.String
		if !readPrefixed8(&data, &vs) || len(vs)%2 != 0 {
			return errExtension
		}
		list, _ = readUint16s(list, &vs, len(vs)/2)
	} else {
		var v uint16
		if !data.ReadUint16(&v) {
			return errExtension
		}
		h.setVersion(v)
		list = append(list, uint64(v))
	}
	*ev = tlsmon.SSLExtensionSupportedVersions{Meta: h.ev.meta(), IsClient: isClient, Versions: list}
	h.ev.h.HandleEvent(ev)
	return nil
}

func (h *Handshake) extPreSharedKey(isClient bool, msgType uint8, data cryptobyte.String) error {
	switch msgType {
	case hsClientHello:
		var ids, binders cryptobyte.String
		if !readPrefixed16(&data, &ids) || !readPrefixed16(&data, &binders) {
			return errExtension
		}
		ev := &h.ev.pskClient
		idList := ev.Identities[:0]
		for len(ids) > 0 {
			var id cryptobyte.String
			var age uint32
			if !readPrefixed16(&ids, &id) || !ids.ReadUint32(&age) {
				ev.Identities = idList
				return errExtension
			}
			idList = append(idList, tlsmon.PSKIdentity{Identity: id, ObfuscatedTicketAge: uint64(age)})
		}
		ev.Identities = idList
		bList := ev.Binders[:0]
		for len(binders) > 0 {
			var b cryptobyte.String
			if !readPrefixed8(&binders, &b) {
				ev.Binders = bList
				return errExtension
			}
			bList = append(bList, b)
		}
		if h.ev.reads(evPreSharedKeyClientHello) {
			*ev = tlsmon.SSLExtensionPreSharedKeyClientHello{Meta: h.ev.meta(), IsClient: isClient, Identities: idList, Binders: bList}
			h.ev.h.HandleEvent(ev)
		}
	case hsServerHello:
		var sel uint16
		if !data.ReadUint16(&sel) {
			return errExtension
		}
		if !h.ev.reads(evPreSharedKeyServerHello) {
			break
		}
		ev := &h.ev.pskServer
		*ev = tlsmon.SSLExtensionPreSharedKeyServerHello{Meta: h.ev.meta(), IsClient: isClient, SelectedIdentity: uint64(sel)}
		h.ev.h.HandleEvent(ev)
	}
	return nil
}

// extECH parses an encrypted_client_hello extension; only its outer form (type 0) has
// fields, the inner form should never be seen in clear.
func (h *Handshake) extECH(isClient bool, data cryptobyte.String) error {
	var typ uint8
	if !data.ReadUint8(&typ) {
		return errExtension
	}
	if typ != 0 {
		h.ev.emitWeird("ssl_unexpected_inner_encrypted_client_hello", "")
		return nil
	}
	var (
		kdf, aead uint16
		config    uint8
		enc, pl   cryptobyte.String
	)
	if !data.ReadUint16(&kdf) || !data.ReadUint16(&aead) || !data.ReadUint8(&config) ||
		!readPrefixed16(&data, &enc) || !readPrefixed16(&data, &pl) {
		return errExtension
	}
	if !h.ev.reads(evEncryptedClientHello) {
		return nil
	}
	ev := &h.ev.ech
	*ev = tlsmon.SSLExtensionEncryptedClientHello{Meta: h.ev.meta(), IsClient: isClient, KDFID: uint64(kdf),
		AEADID: uint64(aead), ConfigID: uint64(config), Enc: enc, PayloadLength: uint64(len(pl))}
	h.ev.h.HandleEvent(ev)
	return nil
}

// readPrefixed8, readPrefixed16 and readPrefixed24 are cryptobyte's
// ReadUint{8,16,24}LengthPrefixed (same results, s advanced alike on failure) in a form
// the compiler inlines: they are the most frequent reads of hello parsing, a call each.
func readPrefixed8(s, out *cryptobyte.String) bool { return readPrefixed(s, out, 1) }

func readPrefixed16(s, out *cryptobyte.String) bool { return readPrefixed(s, out, 2) }

func readPrefixed24(s, out *cryptobyte.String) bool { return readPrefixed(s, out, 3) }

func readPrefixed(s, out *cryptobyte.String, lenLen int) bool {
	b := *s
	if len(b) < lenLen {
		return false
	}
	n := 0
	for _, c := range b[:lenLen] {
		n = n<<8 | int(c)
	}
	b = b[lenLen:]
	*s = b
	if len(b) < n {
		return false
	}
	*s, *out = b[n:], b[:n] // out last, as cryptobyte: s and out may be one
	return true
}
