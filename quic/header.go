package quic

import "fmt"

// longHeader is a parsed long-header packet.
type longHeader struct {
	first    byte
	version  uint32
	dcid     []byte
	scid     []byte
	ptype    int // v1 numbering: typeInitial...
	pnOffset int // Initial: offset of the packet number
	length   int // Initial: the Length field (packet number + protected payload)
	size     int // bytes of the datagram this packet occupies
}

var (
	errTruncated  = errorString("insufficient input")
	errShortLenth = errorString("Initial length below 20")
)

// parseLong parses the long-header packet at the start of b, as Zeek's LongHeaderPacket
// unit does: the version must be one it knows; Initial, 0-RTT and Handshake packets end
// after their Length field's bytes (which must be present); a Retry runs to the end of
// the datagram.
func parseLong(b []byte) (h longHeader, err error) {
	if len(b) < 6 {
		return h, errTruncated
	}
	h.first = b[0]
	h.version = uint32(b[1])<<24 | uint32(b[2])<<16 | uint32(b[3])<<8 | uint32(b[4])
	off := 5
	n := int(b[off])
	off++
	if len(b) < off+n+1 {
		return h, errTruncated
	}
	h.dcid = b[off : off+n]
	off += n
	n = int(b[off])
	off++
	if len(b) < off+n {
		return h, errTruncated
	}
	h.scid = b[off : off+n]
	off += n
	if !knownVersion(h.version) {
		return h, fmt.Errorf("unhandled QUIC version 0x%x", h.version)
	}
	h.ptype = packetType(h.version, h.first)
	switch h.ptype {
	case typeRetry:
		h.size = len(b)
		return h, nil
	case typeInitial:
		tl, k := varint(b[off:])
		if k == 0 {
			return h, errTruncated
		}
		off += k
		if tl > uint64(len(b)-off) {
			return h, errTruncated
		}
		off += int(tl)
	}
	l, k := varint(b[off:])
	if k == 0 {
		return h, errTruncated
	}
	off += k
	if h.ptype == typeInitial && l < minPayloadLen {
		return h, errShortLenth
	}
	if l > uint64(len(b)-off) {
		return h, errTruncated
	}
	h.pnOffset, h.length = off, int(l)
	h.size = off + int(l)
	return h, nil
}
