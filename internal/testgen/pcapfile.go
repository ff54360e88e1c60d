package testgen

import (
	"encoding/binary"
	"io"
)

// pcapWriter writes the classic pcap format: little-endian, µs timestamps, Ethernet.
type pcapWriter struct {
	w   io.Writer
	hdr [16]byte
}

const (
	pcapMagicMicros   = 0xa1b2c3d4
	linkTypeEthernet  = 1
	pcapSnapLen       = 65535
	pcapVersionMajor  = 2
	pcapVersionMinor  = 4
	pcapFileHeaderLen = 24
)

func newPcapWriter(w io.Writer) (*pcapWriter, error) {
	var h [pcapFileHeaderLen]byte
	binary.LittleEndian.PutUint32(h[0:], pcapMagicMicros)
	binary.LittleEndian.PutUint16(h[4:], pcapVersionMajor)
	binary.LittleEndian.PutUint16(h[6:], pcapVersionMinor)
	// thiszone and sigfigs stay 0
	binary.LittleEndian.PutUint32(h[16:], pcapSnapLen)
	binary.LittleEndian.PutUint32(h[20:], linkTypeEthernet)
	if _, err := w.Write(h[:]); err != nil {
		return nil, err
	}
	return &pcapWriter{w: w}, nil
}

// writePacket writes one whole frame captured at ts (µs since the Unix epoch).
func (p *pcapWriter) writePacket(ts int64, data []byte) error {
	binary.LittleEndian.PutUint32(p.hdr[0:], uint32(ts/1e6))
	binary.LittleEndian.PutUint32(p.hdr[4:], uint32(ts%1e6))
	binary.LittleEndian.PutUint32(p.hdr[8:], uint32(len(data)))
	binary.LittleEndian.PutUint32(p.hdr[12:], uint32(len(data)))
	if _, err := p.w.Write(p.hdr[:]); err != nil {
		return err
	}
	_, err := p.w.Write(data)
	return err
}
