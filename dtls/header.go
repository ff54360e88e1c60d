package dtls

import "errors"

// ErrShort reports that a header or body extends past the end of the datagram. Zeek's
// parser raises an exception there, which ends the parsing of the datagram with an analyzer
// violation.
var ErrShort = errors.New("out_of_bound: truncated DTLS record")

// RecordHeader is a DTLS 1.0/1.2 record header (RFC 6347 4.1).
type RecordHeader struct {
	ContentType uint8
	Version     uint16
	Epoch       uint16
	Seq         uint64 // 48-bit record sequence number
	Length      int
}

// ParseRecordHeader decodes the 13-byte header at the start of b. It checks only that the
// header is present, not that the body is.
func ParseRecordHeader(b []byte) (RecordHeader, error) {
	if len(b) < RecordHeaderLen {
		return RecordHeader{}, ErrShort
	}
	return RecordHeader{
		ContentType: b[0],
		Version:     uint16(b[1])<<8 | uint16(b[2]),
		Epoch:       uint16(b[3])<<8 | uint16(b[4]),
		Seq: uint64(b[5])<<40 | uint64(b[6])<<32 | uint64(b[7])<<24 |
			uint64(b[8])<<16 | uint64(b[9])<<8 | uint64(b[10]),
		Length: int(b[11])<<8 | int(b[12]),
	}, nil
}

// SplitRecord splits b into its first DTLS 1.0/1.2 record and the rest of the datagram.
func SplitRecord(b []byte) (h RecordHeader, body, rest []byte, err error) {
	h, err = ParseRecordHeader(b)
	if err != nil {
		return h, nil, nil, err
	}
	end := RecordHeaderLen + h.Length
	if len(b) < end {
		return h, nil, nil, ErrShort
	}
	return h, b[RecordHeaderLen:end], b[end:], nil
}

// HandshakeHeader is the header of a DTLS handshake message fragment (RFC 6347 4.2.2).
type HandshakeHeader struct {
	MsgType        uint8
	Length         uint32 // length of the whole message (24 bits)
	MessageSeq     uint16
	FragmentOffset uint32 // 24 bits
	FragmentLength uint32 // 24 bits
}

// ParseHandshakeHeader decodes the 12-byte fragment header at the start of b and returns
// the bytes after it (all of them: like Zeek, it does not cut them to FragmentLength).
func ParseHandshakeHeader(b []byte) (HandshakeHeader, []byte, error) {
	if len(b) < HandshakeHeaderLen {
		return HandshakeHeader{}, nil, ErrShort
	}
	return HandshakeHeader{
		MsgType:        b[0],
		Length:         uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3]),
		MessageSeq:     uint16(b[4])<<8 | uint16(b[5]),
		FragmentOffset: uint32(b[6])<<16 | uint32(b[7])<<8 | uint32(b[8]),
		FragmentLength: uint32(b[9])<<16 | uint32(b[10])<<8 | uint32(b[11]),
	}, b[HandshakeHeaderLen:], nil
}
