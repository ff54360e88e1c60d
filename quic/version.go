package quic

// QUIC versions the analyzer parses (the set of Zeek's QUIC analyzer).
const (
	Version1 uint32 = 0x00000001
	Version2 uint32 = 0x6b3343cf

	versionDraft22 uint32 = 0xff000016
	versionDraft34 uint32 = 0xff000022
)

// Long header packet types, normalised to the QUIC v1 numbering.
const (
	typeInitial   = 0
	typeZeroRTT   = 1
	typeHandshake = 2
	typeRetry     = 3
)

// knownVersion reports whether a long header of this version is parsed: QUIC v1, v2, the
// IETF drafts 22 to 34, and the mvfst versions Zeek lists.
func knownVersion(v uint32) bool {
	switch v {
	case Version1, Version2, 0xfaceb001, 0xfaceb002, 0xfaceb00e, 0xfaceb011, 0xfaceb012, 0xfaceb013:
		return true
	}
	return v >= versionDraft22 && v <= versionDraft34
}

// packetType maps the two type bits of a long header's first byte to the v1 numbering
// (QUIC v2 rotated them, RFC 9369 §3.2).
func packetType(version uint32, first byte) int {
	t := int(first>>4) & 3
	if version == Version2 {
		return (t + 3) & 3
	}
	return t
}

// Initial salts (RFC 9001 §5.2, RFC 9369 §3.3.1, and the drafts').
var (
	saltV1        = []byte{0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17, 0x9a, 0xe6, 0xa4, 0xc8, 0x0c, 0xad, 0xcc, 0xbb, 0x7f, 0x0a}
	saltV2        = []byte{0x0d, 0xed, 0xe3, 0xde, 0xf7, 0x00, 0xa6, 0xdb, 0x81, 0x93, 0x81, 0xbe, 0x6e, 0x26, 0x9d, 0xcb, 0xf9, 0xbd, 0x2e, 0xd9}
	saltDraft22   = []byte{0x7f, 0xbc, 0xdb, 0x0e, 0x7c, 0x66, 0xbb, 0xe9, 0x19, 0x3a, 0x96, 0xcd, 0x21, 0x51, 0x9e, 0xbd, 0x7a, 0x02, 0x64, 0x4a}
	saltDraft23   = []byte{0xc3, 0xee, 0xf7, 0x12, 0xc7, 0x2e, 0xbb, 0x5a, 0x11, 0xa7, 0xd2, 0x43, 0x2b, 0xb4, 0x63, 0x65, 0xbe, 0xf9, 0xf5, 0x02}
	saltDraft29   = []byte{0xaf, 0xbf, 0xec, 0x28, 0x99, 0x93, 0xd2, 0x4c, 0x9e, 0x97, 0x86, 0xf1, 0x9c, 0x61, 0x11, 0xe0, 0x43, 0x90, 0xa8, 0x99}
	errNoKeysForV = errorString("unable to decrypt QUIC version")
)

// initialSalt returns the salt of a version's Initial secrets, or nil when the version's
// Initials cannot be decrypted.
func initialSalt(v uint32) []byte {
	switch {
	case v == Version2:
		return saltV2
	case v == Version1:
		return saltV1
	case v == versionDraft22, v == 0xfaceb001:
		return saltDraft22
	case v >= 0xff000017 && v <= 0xff00001c, v >= 0xfaceb002 && v <= 0xfaceb013:
		return saltDraft23
	case v >= 0xff00001d && v <= 0xff000020:
		return saltDraft29
	case v >= 0xff000021 && v <= versionDraft34:
		return saltV1
	}
	return nil
}

type errorString string

func (e errorString) Error() string { return string(e) }
