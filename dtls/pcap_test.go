package dtls

import (
	"encoding/binary"
	"testing"

	"github.com/gopacket/gopacket/layers"
)

type pcapFrame struct {
	ts   int64 // µs
	link layers.LinkType
	data []byte
}

// readPcap decodes a classic pcap file (either byte order, µs or ns timestamps; ns are
// truncated to µs as libpcap does for Zeek).
func readPcap(t *testing.T, b []byte) []pcapFrame {
	t.Helper()
	if len(b) < 24 {
		t.Fatal("pcap: short file")
	}
	var bo binary.ByteOrder
	nano := false
	switch binary.LittleEndian.Uint32(b) {
	case 0xa1b2c3d4:
		bo = binary.LittleEndian
	case 0xa1b23c4d:
		bo, nano = binary.LittleEndian, true
	default:
		switch binary.BigEndian.Uint32(b) {
		case 0xa1b2c3d4:
			bo = binary.BigEndian
		case 0xa1b23c4d:
			bo, nano = binary.BigEndian, true
		default:
			t.Fatal("pcap: not a classic pcap file")
		}
	}
	link := layers.LinkType(bo.Uint32(b[20:]) & 0xffff)
	var out []pcapFrame
	for off := 24; off+16 <= len(b); {
		sec, frac, incl := int64(bo.Uint32(b[off:])), int64(bo.Uint32(b[off+4:])), int(bo.Uint32(b[off+8:]))
		off += 16
		if off+incl > len(b) {
			break
		}
		if nano {
			frac /= 1000
		}
		out = append(out, pcapFrame{ts: sec*1e6 + frac, link: link, data: b[off : off+incl]})
		off += incl
	}
	return out
}
