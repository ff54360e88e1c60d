package packet

import "encoding/binary"

var (
	errTruncTransport    = &DecodeError{Weird: "truncated_header", Detail: "IP payload shorter than the transport header"}
	errIntTruncTransport = &DecodeError{Weird: "internally_truncated_header", Detail: "capture ends inside the transport header"}
	errBadTCPHdrLen      = &DecodeError{Weird: "bad_TCP_header_len", Detail: "TCP data offset below 5", Conn: true}
	errTruncTCPOpts      = &DecodeError{Weird: "truncated_header", Detail: "TCP options run past the segment", Conn: true}
)

// transport decodes TCP and UDP headers. b is the captured IP payload, plen the IP payload
// length the IP header claims (Zeek's PayloadLen).
func (d *Decoder) transport(b []byte, plen int, p *Packet) (Status, error) {
	p.Transport = b
	var min int
	switch p.Proto {
	case protoTCP:
		min = 20
	case protoUDP:
		min = 8
	default:
		p.Payload = b
		p.PayloadLen = plen
		return OK, nil
	}
	if plen != 0 && plen < min {
		return Malformed, errTruncTransport
	}
	if len(b) < min {
		return Malformed, errIntTruncTransport
	}
	p.SrcPort = binary.BigEndian.Uint16(b)
	p.DstPort = binary.BigEndian.Uint16(b[2:])
	if p.Proto == protoUDP {
		p.UDPLen = binary.BigEndian.Uint16(b[4:])
		p.Payload = b[8:]
		p.PayloadLen = plen - 8
		return OK, nil
	}
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
	return OK, nil
}
