package dtls

// Record-layer versions.
const (
	VersionDTLS10 uint16 = 0xfeff
	VersionDTLS12 uint16 = 0xfefd
	VersionDTLS13 uint16 = 0xfefc
)

// Content types.
const (
	ContentChangeCipherSpec uint8 = 20
	ContentAlert            uint8 = 21
	ContentHandshake        uint8 = 22
	ContentApplicationData  uint8 = 23
	ContentHeartbeat        uint8 = 24
)

// Sizes of the fixed headers.
const (
	// RecordHeaderLen is the size of a DTLS 1.0/1.2 record header: type, version, epoch,
	// 48-bit sequence number, length.
	RecordHeaderLen = 13
	// HandshakeHeaderLen is the size of a DTLS handshake message header: msg_type, length,
	// message_seq, fragment_offset, fragment_length.
	HandshakeHeaderLen = 12
)

// Limits, with Zeek's defaults.
const (
	// MaxHandshakeMessage caps the length of a handshake message that is reassembled from
	// fragments (Zeek's MAX_DTLS_HANDSHAKE_RECORD); it bounds the reassembly buffer of each
	// direction. A larger fragmented message is a protocol violation.
	MaxHandshakeMessage = 100000
	// MaxVersionErrors is SSL::dtls_max_version_errors: after more records with a version
	// other than DTLS 1.0/1.2 than this, the analyzer stops parsing the connection.
	MaxVersionErrors = 10
	// MaxReportedVersionErrors is SSL::dtls_max_reported_version_errors: how many of those
	// errors, once the analyzer is confirmed, are reported as violations.
	MaxReportedVersionErrors = 1
	// reassemblyWindow is the number of record sequence numbers one fragmented message may
	// span (Zeek tracks them in a 32-bit field).
	reassemblyWindow = 32
	// maxFragmentSpan is the largest distance between the first and the last fragment's
	// record sequence numbers Zeek accepts.
	maxFragmentSpan = 30
)

// AnalyzerName is Zeek's name for the DTLS analyzer.
const AnalyzerName = "DTLS"
