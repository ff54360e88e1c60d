package fingerprint

import (
	"crypto/sha256"
	"slices"
)

// JA4 is a JA4 fingerprint, "t13d1516h2_8daaf6152771_e5627efa2ab1": always 36 characters.
type JA4 [36]byte

// String returns the fingerprint.
func (f JA4) String() string { return string(f[:]) }

// IsZero reports whether f is unset (no ClientHello was seen).
func (f JA4) IsZero() bool { return f[0] == 0 }

// Builder computes fingerprints; it keeps scratch space between calls so that computing
// them does not allocate once it has grown to the size of the hellos seen. A Builder is not
// safe for concurrent use; its zero value is ready.
type Builder struct {
	buf  []byte
	ints []uint32
}

// JA4 returns h's JA4 fingerprint (the "a_b_c" form: cipher and extension lists sorted).
func (b *Builder) JA4(h *ClientHello) JA4 { return b.ja4(h, false) }

// JA4O returns h's JA4_o fingerprint: as JA4, with ciphers and extensions in wire order and
// the SNI and ALPN extensions kept in the extension list.
func (b *Builder) JA4O(h *ClientHello) JA4 { return b.ja4(h, true) }

func (b *Builder) ja4(h *ClientHello, original bool) JA4 {
	var f JA4
	appendJA4A(f[:0], h)
	f[10] = '_'
	b.buf = b.appendCiphers(b.buf[:0], h, original)
	hash12(f[11:23], b.buf)
	f[23] = '_'
	// An empty sorted list (no extensions but SNI and ALPN, no signature algorithms) is
	// "000000000000" in both orders, as FoxIO's Python code and the specification's wording
	// ("no extensions in the sorted extensions list") have it.
	b.buf = b.appendExtsSigs(b.buf[:0], h, false)
	if original && len(b.buf) > 0 {
		b.buf = b.appendExtsSigs(b.buf[:0], h, true)
	}
	hash12(f[24:36], b.buf)
	return f
}

// AppendJA4R appends h's JA4_r (raw, sorted) fingerprint to dst.
func (b *Builder) AppendJA4R(dst []byte, h *ClientHello) []byte { return b.appendRaw(dst, h, false) }

// AppendJA4RO appends h's JA4_ro (raw, original order) fingerprint to dst.
func (b *Builder) AppendJA4RO(dst []byte, h *ClientHello) []byte { return b.appendRaw(dst, h, true) }

func (b *Builder) appendRaw(dst []byte, h *ClientHello, original bool) []byte {
	dst = appendJA4A(dst, h)
	dst = append(dst, '_')
	dst = b.appendCiphers(dst, h, original)
	dst = append(dst, '_')
	return b.appendExtsSigs(dst, h, original)
}

// hash12 writes the first 12 hex digits of the SHA-256 of s into dst, or twelve zeros when
// s is empty (JA4's marker for an empty list).
func hash12(dst []byte, s []byte) {
	if len(s) == 0 {
		copy(dst, "000000000000")
		return
	}
	sum := sha256.Sum256(s)
	for i := range 6 {
		dst[2*i] = hexDigits[sum[i]>>4]
		dst[2*i+1] = hexDigits[sum[i]&15]
	}
}

const hexDigits = "0123456789abcdef"

// appendJA4A appends the 10-character first part of a JA4: transport, version, SNI marker,
// counts and ALPN.
func appendJA4A(dst []byte, h *ClientHello) []byte {
	dst = append(dst, transportOf(h))
	dst = append(dst, versionCode(ja4Version(h))...)
	sni := byte('i')
	exts := 0
	for _, e := range h.Extensions {
		if IsGREASE(uint32(e)) {
			continue
		}
		exts++
		if e == extServerName {
			sni = 'd'
		}
	}
	ciphers := 0
	for _, c := range h.Ciphers {
		if !IsGREASE(c) {
			ciphers++
		}
	}
	dst = append(dst, sni)
	dst = appendCount2(dst, ciphers)
	dst = appendCount2(dst, exts)
	return appendALPN(dst, h.ALPN)
}

// transportOf returns h's transport, defaulting to TCP.
func transportOf(h *ClientHello) byte {
	switch h.Transport {
	case QUIC, DTLS:
		return h.Transport
	}
	return TCP
}

// ja4Version is the version JA4 reports: the highest of supported_versions, else the hello's.
func ja4Version(h *ClientHello) uint16 {
	best, found := uint16(0), false
	for _, v := range h.SupportedVersions {
		if IsGREASE(uint32(v)) {
			continue
		}
		if !found || versionRank(v) > versionRank(best) {
			best, found = v, true
		}
	}
	if found {
		return best
	}
	return h.Version
}

// versionRank orders versions: DTLS numbers decrease as versions increase.
func versionRank(v uint16) int {
	if isDTLSVersion(v) {
		return 0x10000 - int(v)
	}
	return int(v)
}

// versionCode is JA4's two-character version.
func versionCode(v uint16) string {
	switch v {
	case 0x0304:
		return "13"
	case 0x0303:
		return "12"
	case 0x0302:
		return "11"
	case 0x0301:
		return "10"
	case 0x0300:
		return "s3"
	case 0x0002:
		return "s2"
	case 0xfeff:
		return "d1"
	case 0xfefd:
		return "d2"
	case 0xfefc:
		return "d3"
	}
	return "00"
}

// appendCount2 appends n as two decimal digits, capped at 99.
func appendCount2(dst []byte, n int) []byte {
	n = min(n, 99)
	return append(dst, byte('0'+n/10), byte('0'+n%10))
}

// appendALPN appends JA4's two ALPN characters for the first protocol name p.
func appendALPN(dst []byte, p []byte) []byte {
	if len(p) == 0 {
		return append(dst, '0', '0')
	}
	first, last := p[0], p[len(p)-1]
	if isAlnum(first) && isAlnum(last) {
		return append(dst, first, last)
	}
	return append(dst, hexDigits[first>>4], hexDigits[last&15])
}

func isAlnum(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

// appendCiphers appends the comma-separated hex list of h's non-GREASE ciphers, sorted
// unless original.
func (b *Builder) appendCiphers(dst []byte, h *ClientHello, original bool) []byte {
	b.ints = b.ints[:0]
	for _, c := range h.Ciphers {
		if !IsGREASE(c) {
			b.ints = append(b.ints, c)
		}
	}
	if !original {
		slices.Sort(b.ints)
	}
	return appendHexList(dst, b.ints)
}

// appendExtsSigs appends JA4's c string: the extension list (sorted and without SNI and
// ALPN, or in wire order with them when original), then "_" and the signature algorithms
// in wire order when there are any.
func (b *Builder) appendExtsSigs(dst []byte, h *ClientHello, original bool) []byte {
	b.ints = b.ints[:0]
	for _, e := range h.Extensions {
		if IsGREASE(uint32(e)) || !original && (e == extServerName || e == extALPN) {
			continue
		}
		b.ints = append(b.ints, uint32(e))
	}
	if !original {
		slices.Sort(b.ints)
	}
	dst = appendHexList(dst, b.ints)
	b.ints = b.ints[:0]
	for _, s := range h.SignatureAlgorithms {
		if !IsGREASE(uint32(s)) {
			b.ints = append(b.ints, uint32(s))
		}
	}
	if len(b.ints) > 0 {
		dst = append(dst, '_')
		dst = appendHexList(dst, b.ints)
	}
	return dst
}

// appendHexList appends vs as lowercase hex numbers of at least four digits, comma-separated.
func appendHexList(dst []byte, vs []uint32) []byte {
	for i, v := range vs {
		if i > 0 {
			dst = append(dst, ',')
		}
		if v > 0xfffff { // SSLv2's 24-bit cipher specs: at least four digits, as printf's %04x
			dst = append(dst, hexDigits[v>>20&15])
		}
		if v > 0xffff {
			dst = append(dst, hexDigits[v>>16&15])
		}
		dst = append(dst, hexDigits[v>>12&15], hexDigits[v>>8&15], hexDigits[v>>4&15], hexDigits[v&15])
	}
	return dst
}
