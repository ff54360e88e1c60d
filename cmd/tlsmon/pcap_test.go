package main

import (
	"encoding/binary"
	"net/netip"
	"os"
	"testing"
)

// udpPacket builds an Ethernet/IPv4/UDP frame (IP header checksum computed; UDP checksum
// left at zero, which IPv4 allows).
func udpPacket(src, dst netip.Addr, sport, dport uint16, payload []byte) []byte {
	b := make([]byte, 14+20+8+len(payload))
	copy(b[0:6], []byte{2, 0, 0, 0, 0, 2})
	copy(b[6:12], []byte{2, 0, 0, 0, 0, 1})
	binary.BigEndian.PutUint16(b[12:], 0x0800)
	ip := b[14:34]
	ip[0] = 0x45
	binary.BigEndian.PutUint16(ip[2:], uint16(20+8+len(payload)))
	ip[8] = 64
	ip[9] = 17
	s4, d4 := src.As4(), dst.As4()
	copy(ip[12:16], s4[:])
	copy(ip[16:20], d4[:])
	var sum uint32
	for i := 0; i < 20; i += 2 {
		sum += uint32(binary.BigEndian.Uint16(ip[i:]))
	}
	for sum > 0xffff {
		sum = sum&0xffff + sum>>16
	}
	binary.BigEndian.PutUint16(ip[10:], ^uint16(sum))
	udp := b[34:]
	binary.BigEndian.PutUint16(udp[0:], sport)
	binary.BigEndian.PutUint16(udp[2:], dport)
	binary.BigEndian.PutUint16(udp[4:], uint16(8+len(payload)))
	copy(udp[8:], payload)
	return b
}

type pcapRecord struct {
	ts   int64 // µs
	data []byte
	cut  int // if > 0, write only this many bytes of the record (a truncated file)
}

// writePcap writes a classic little-endian µs pcap with Ethernet link type.
func writePcap(t *testing.T, path string, recs []pcapRecord) {
	t.Helper()
	if err := os.WriteFile(path, pcapBytes(recs), 0o644); err != nil {
		t.Fatal(err)
	}
}

func pcapBytes(recs []pcapRecord) []byte {
	var b []byte
	hdr := make([]byte, 24)
	binary.LittleEndian.PutUint32(hdr[0:], 0xa1b2c3d4)
	binary.LittleEndian.PutUint16(hdr[4:], 2)
	binary.LittleEndian.PutUint16(hdr[6:], 4)
	binary.LittleEndian.PutUint32(hdr[16:], 65535)
	binary.LittleEndian.PutUint32(hdr[20:], 1)
	b = append(b, hdr...)
	for _, r := range recs {
		ph := make([]byte, 16)
		binary.LittleEndian.PutUint32(ph[0:], uint32(r.ts/1e6))
		binary.LittleEndian.PutUint32(ph[4:], uint32(r.ts%1e6))
		binary.LittleEndian.PutUint32(ph[8:], uint32(len(r.data)))
		binary.LittleEndian.PutUint32(ph[12:], uint32(len(r.data)))
		rec := append(ph, r.data...)
		if r.cut > 0 {
			rec = rec[:r.cut]
		}
		b = append(b, rec...)
	}
	return b
}
