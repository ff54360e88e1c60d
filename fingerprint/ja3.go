package fingerprint

import (
	"crypto/md5"
	"encoding/hex"
	"strconv"
)

// MD5 is a JA3 or JA3S fingerprint: the MD5 of its string.
type MD5 [16]byte

// String returns the fingerprint as 32 lowercase hex digits.
func (f MD5) String() string { return hex.EncodeToString(f[:]) }

// JA3 returns h's JA3 fingerprint.
func (b *Builder) JA3(h *ClientHello) MD5 {
	b.buf = b.AppendJA3String(b.buf[:0], h)
	return md5.Sum(b.buf)
}

// AppendJA3String appends h's JA3 string ("771,4865-4866,0-23-65281,29-23,0") to dst.
func (b *Builder) AppendJA3String(dst []byte, h *ClientHello) []byte {
	dst = strconv.AppendUint(dst, uint64(h.Version), 10)
	dst = append(dst, ',')
	first := true
	for _, c := range h.Ciphers {
		dst, first = appendDecimal(dst, c, first)
	}
	dst = append(dst, ',')
	dst = appendDecimals(dst, h.Extensions)
	dst = append(dst, ',')
	dst = appendDecimals(dst, h.Curves)
	dst = append(dst, ',')
	return appendDecimals(dst, h.PointFormats)
}

// JA3S returns h's JA3S fingerprint.
func (b *Builder) JA3S(h *ServerHello) MD5 {
	b.buf = b.AppendJA3SString(b.buf[:0], h)
	return md5.Sum(b.buf)
}

// AppendJA3SString appends h's JA3S string ("771,4865,43-51") to dst.
func (b *Builder) AppendJA3SString(dst []byte, h *ServerHello) []byte {
	dst = strconv.AppendUint(dst, uint64(h.Version), 10)
	dst = append(dst, ',')
	dst = strconv.AppendUint(dst, uint64(h.Cipher), 10)
	dst = append(dst, ',')
	return appendDecimals(dst, h.Extensions)
}

// appendDecimals appends the non-GREASE values of vs in decimal, joined by "-".
func appendDecimals(dst []byte, vs []uint16) []byte {
	first := true
	for _, v := range vs {
		dst, first = appendDecimal(dst, uint32(v), first)
	}
	return dst
}

// appendDecimal appends v (unless it is GREASE), preceded by "-" unless first.
func appendDecimal(dst []byte, v uint32, first bool) ([]byte, bool) {
	if IsGREASE(v) {
		return dst, first
	}
	if !first {
		dst = append(dst, '-')
	}
	return strconv.AppendUint(dst, uint64(v), 10), false
}
