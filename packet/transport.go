package packet

import "encoding/binary"

var (
	errTruncTransport    = &DecodeError{Weird: "truncated_header", Detail: "IP payload shorter than the transport header"}
	errIntTruncTransport = &DecodeError{Weird: "internally_truncated_header", Detail: "capture ends inside the transport header"}
	errBadTCPHdrLen      = &DecodeError{Weird: "bad_TCP_header_len", Detail: "TCP data offset below 5", Conn: true}
	errTruncTCPOpts      = &DecodeError{Weird: "truncated_header", Detail: "TCP options run past the segment", Conn: true}
)

// transport decodes TCP and UDP headers. b is the captured IP payload, plen the IP payload
// length the IP header claims (Zeek's PayloadLen). Each protocol checks its own constant
// header length, so that the header reads after it need no bounds checks.
func (d *Decoder) transport(b []byte, plen int, p *Packet) (Status, error) {
	p.Transport = b
	switch p.Proto {
	case protoTCP:
		if plen != 0 && plen < 20 {
			return Malformed, errTruncTransport
		}
		if len(b) < 20 {
			return Malformed, errIntTruncTransport
		}
		p.SrcPort = binary.BigEndian.Uint16(b)
		p.DstPort = binary.BigEndian.Uint16(b[2:])
		p.Seq = binary.BigEndian.Uint32(b[4:])
		p.Ack = binary.BigEndian.Uint32(b[8:])
		p.Flags = b[13]
		p.Window = binary.BigEndian.Uint16(b[14:])
		off := int(b[12]>>4) * 4
		if off < 20 {
			return Malformed, errBadTCPHdrLen
		}
		if off > plen || off > len(b) {
			return Malformed, errTruncTCPOpts
		}
		p.Payload = b[off:]
		p.PayloadLen = plen - off
	case protoUDP:
		if plen != 0 && plen < 8 {
			return Malformed, errTruncTransport
		}
		if len(b) < 8 {
			return Malformed, errIntTruncTransport
		}
		p.SrcPort = binary.BigEndian.Uint16(b)
		p.DstPort = binary.BigEndian.Uint16(b[2:])
		p.UDPLen = binary.BigEndian.Uint16(b[4:])
		p.Payload = b[8:]
		p.PayloadLen = plen - 8
	default:
		p.Payload = b
		p.PayloadLen = plen
	}
	return OK, nil
}
