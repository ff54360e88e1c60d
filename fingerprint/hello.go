package fingerprint

// Transports, the first character of a JA4.
const (
	TCP  byte = 't' // TLS over TCP (also after STARTTLS)
	QUIC byte = 'q'
	DTLS byte = 'd'
)

// Extension codes the fingerprints treat specially.
const (
	extServerName = 0x0000
	extALPN       = 0x0010
)

// ClientHello is what the fingerprints use of one ClientHello, as the analyzer's events
// report it: lists in wire order, GREASE values included (the fingerprints drop them).
// Its slices are owned by whoever filled it (a Tracker reuses them between hellos).
type ClientHello struct {
	Transport           byte     // TCP, QUIC or DTLS
	Version             uint16   // the hello's version field (ssl_client_hello's version)
	Ciphers             []uint32 // cipher suites (24-bit cipher specs for SSLv2)
	Extensions          []uint16 // extension codes
	SupportedVersions   []uint16 // supported_versions
	SignatureAlgorithms []uint16 // signature_algorithms, hash<<8 | signature
	Curves              []uint16 // supported_groups (elliptic curves)
	PointFormats        []uint16 // ec_point_formats
	ALPN                []byte   // the first ALPN protocol name; empty without ALPN
}

// Reset empties h, keeping its slices' capacity.
func (h *ClientHello) Reset() {
	*h = ClientHello{
		Ciphers:             h.Ciphers[:0],
		Extensions:          h.Extensions[:0],
		SupportedVersions:   h.SupportedVersions[:0],
		SignatureAlgorithms: h.SignatureAlgorithms[:0],
		Curves:              h.Curves[:0],
		PointFormats:        h.PointFormats[:0],
		ALPN:                h.ALPN[:0],
	}
}

// ServerHello is what JA3S uses of one ServerHello.
type ServerHello struct {
	Version    uint16   // the hello's version field (ssl_server_hello's version)
	Cipher     uint32   // the chosen cipher suite
	Extensions []uint16 // extension codes, in wire order
}

// Reset empties h, keeping its slice's capacity.
func (h *ServerHello) Reset() { *h = ServerHello{Extensions: h.Extensions[:0]} }

// IsGREASE reports whether v is one of the GREASE values of RFC 8701 (0x0a0a, 0x1a1a, ...,
// 0xfafa).
func IsGREASE(v uint32) bool { return v&0x0f0f == 0x0a0a && v>>8 == v&0xff }

// isDTLSVersion reports whether v is a DTLS protocol version (0xfeff, 0xfefd, 0xfefc, ...).
func isDTLSVersion(v uint16) bool { return v>>8 == 0xfe }
