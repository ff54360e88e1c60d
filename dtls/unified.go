package dtls

// Bits of the first byte of a DTLS 1.3 unified header (RFC 9147 4).
const (
	unifiedFixedMask = 0xe0 // the top three bits are 001
	unifiedFixed     = 0x20
	unifiedCID       = 0x10 // C: a connection id follows
	unifiedSeq16     = 0x08 // S: the sequence number is 16 bits (else 8)
	unifiedLength    = 0x04 // L: a 16-bit length is present
	unifiedEpochMask = 0x03 // low two bits of the epoch
)

// IsUnifiedHeader reports whether b starts with the fixed bits of a DTLS 1.3 unified header.
// Zeek treats a record as unified only once DTLS 1.3 has been negotiated (a DTLS 1.0/1.2
// content type can never start with these bits, but an unknown one can).
func IsUnifiedHeader(firstByte byte) bool { return firstByte&unifiedFixedMask == unifiedFixed }

// UnifiedHeader is a decoded DTLS 1.3 unified header.
type UnifiedHeader struct {
	HasCID        bool
	Seq16         bool // sequence number is 16 bits
	LengthPresent bool
	EpochBits     uint8  // low two bits of the epoch
	CID           []byte // aliases the input
	Seq           uint16 // the (truncated, still encrypted) sequence number
	Length        int    // the length field, or the rest of the datagram when absent
	HeaderLen     int
}

// ParseUnifiedHeader decodes the unified header at the start of b. cidLen is the length of
// the connection id negotiated for this direction (used only when the C bit is set; the id
// length is not carried in the record itself). It returns the header and the record's
// protected content: Length bytes when the length is present, else the rest of b.
func ParseUnifiedHeader(b []byte, cidLen int) (UnifiedHeader, []byte, error) {
	if len(b) < 1 || !IsUnifiedHeader(b[0]) {
		return UnifiedHeader{}, nil, ErrShort
	}
	fb := b[0]
	h := UnifiedHeader{
		HasCID:        fb&unifiedCID != 0,
		Seq16:         fb&unifiedSeq16 != 0,
		LengthPresent: fb&unifiedLength != 0,
		EpochBits:     fb & unifiedEpochMask,
	}
	n := 1
	if h.HasCID {
		if cidLen < 0 || len(b) < n+cidLen {
			return h, nil, ErrShort
		}
		h.CID = b[n : n+cidLen]
		n += cidLen
	}
	if h.Seq16 {
		if len(b) < n+2 {
			return h, nil, ErrShort
		}
		h.Seq = uint16(b[n])<<8 | uint16(b[n+1])
		n += 2
	} else {
		if len(b) < n+1 {
			return h, nil, ErrShort
		}
		h.Seq = uint16(b[n])
		n++
	}
	if h.LengthPresent {
		if len(b) < n+2 {
			return h, nil, ErrShort
		}
		h.Length = int(b[n])<<8 | int(b[n+1])
		n += 2
		h.HeaderLen = n
		if len(b) < n+h.Length {
			return h, nil, ErrShort
		}
		return h, b[n : n+h.Length], nil
	}
	h.HeaderLen = n
	h.Length = len(b) - n
	return h, b[n:], nil
}

// zeekUnifiedPayload returns what Zeek counts as a unified record's payload. Zeek does not
// know the connection id length, so with the C bit set it takes everything after the first
// byte; without it, it skips the sequence number and the length field, then takes the rest
// of the datagram whatever the length field says (so later records of the same datagram
// are counted with the first one).
func zeekUnifiedPayload(b []byte) ([]byte, error) {
	fb := b[0]
	if fb&unifiedCID != 0 {
		return b[1:], nil
	}
	n := 1 + 1
	if fb&unifiedSeq16 != 0 {
		n++
	}
	if fb&unifiedLength != 0 {
		n += 2
	}
	if len(b) < n {
		return nil, ErrShort
	}
	return b[n:], nil
}
