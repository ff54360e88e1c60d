package dtls_test

import (
	"bytes"
	"encoding/binary"
	"net"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// udpPcap writes Ethernet/IPv4/UDP frames to a classic pcap (µs timestamps) in memory.
type udpPcap struct {
	buf bytes.Buffer
	ser gopacket.SerializeBuffer
	id  uint16
}

func newUDPPcap() *udpPcap {
	p := &udpPcap{ser: gopacket.NewSerializeBuffer()}
	var h [24]byte
	binary.LittleEndian.PutUint32(h[0:], 0xa1b2c3d4)
	binary.LittleEndian.PutUint16(h[4:], 2)
	binary.LittleEndian.PutUint16(h[6:], 4)
	binary.LittleEndian.PutUint32(h[16:], 65535)
	binary.LittleEndian.PutUint32(h[20:], 1) // Ethernet
	p.buf.Write(h[:])
	return p
}

// add writes one datagram from src to dst at ts (µs since the Unix epoch).
func (p *udpPcap) add(ts int64, src, dst *net.UDPAddr, payload []byte) error {
	p.id++
	eth := &layers.Ethernet{SrcMAC: net.HardwareAddr{2, 0, 0, 0, 0, 1}, DstMAC: net.HardwareAddr{2, 0, 0, 0, 0, 2},
		EthernetType: layers.EthernetTypeIPv4}
	ip := &layers.IPv4{Version: 4, TTL: 64, Id: p.id, Protocol: layers.IPProtocolUDP, SrcIP: src.IP.To4(), DstIP: dst.IP.To4()}
	udp := &layers.UDP{SrcPort: layers.UDPPort(src.Port), DstPort: layers.UDPPort(dst.Port)}
	if err := udp.SetNetworkLayerForChecksum(ip); err != nil {
		return err
	}
	opts := gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}
	if err := gopacket.SerializeLayers(p.ser, opts, eth, ip, udp, gopacket.Payload(payload)); err != nil {
		return err
	}
	frame := p.ser.Bytes()
	var h [16]byte
	binary.LittleEndian.PutUint32(h[0:], uint32(ts/1e6))
	binary.LittleEndian.PutUint32(h[4:], uint32(ts%1e6))
	binary.LittleEndian.PutUint32(h[8:], uint32(len(frame)))
	binary.LittleEndian.PutUint32(h[12:], uint32(len(frame)))
	p.buf.Write(h[:])
	p.buf.Write(frame)
	return nil
}
