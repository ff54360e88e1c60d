package packet

import "encoding/binary"

// onesSum adds b to the 16-bit ones' complement sum sum (RFC 1071), folded: a correct
// checksum over the covered bytes sums to 0xffff.
func onesSum(sum uint32, b []byte) uint32 {
	for len(b) >= 2 {
		sum += uint32(binary.BigEndian.Uint16(b))
		b = b[2:]
	}
	if len(b) == 1 {
		sum += uint32(b[0]) << 8
	}
	for sum > 0xffff {
		sum = sum&0xffff + sum>>16
	}
	return sum
}

// vxlanPort is VXLAN's UDP port (Zeek's Tunnel::vxlan_ports).
const vxlanPort = 4789

// TransportChecksumOK reports whether the TCP, UDP, ICMP or ICMPv6 checksum of p is right,
// checked as Zeek without -C checks it: only when the whole segment was captured; an IPv4
// UDP checksum of 0 means none; a VXLAN datagram with a zero checksum is accepted. Other
// protocols, and segments the capture cut, are reported as right.
func (p *Packet) TransportChecksumOK() bool {
	seg := p.Transport
	n := p.PayloadLen + (len(p.Transport) - len(p.Payload)) // the segment's length as the IP header claims it
	if len(seg) < n || n <= 0 {
		return true
	}
	seg = seg[:n]
	var sum uint32
	switch p.Proto {
	case protoTCP:
	case protoUDP:
		if len(seg) < 8 {
			return true
		}
		ck := binary.BigEndian.Uint16(seg[6:])
		if ck == 0 && (p.IPVersion == 4 || isVXLAN(p, seg)) {
			return true
		}
	case 1: // ICMP: no pseudo-header
		return onesSum(0, seg) == 0xffff
	case 58:
	default:
		return true
	}
	// The pseudo-header: addresses, protocol, length.
	if p.IPVersion == 4 {
		sum = onesSum(sum, p.Src[12:])
		sum = onesSum(sum, p.Dst[12:])
	} else {
		sum = onesSum(sum, p.Src[:])
		sum = onesSum(sum, p.Dst[:])
		sum += uint32(n >> 16)
	}
	sum += uint32(p.Proto) + uint32(n&0xffff)
	return onesSum(sum, seg) == 0xffff
}

// isVXLAN tells a datagram to VXLAN's port that looks like VXLAN (the I flag, room for the
// VXLAN and Ethernet headers), whose checksum may be left at zero even over IPv6.
func isVXLAN(p *Packet, seg []byte) bool {
	return p.DstPort == vxlanPort && len(seg) > 8+8+14 && seg[8]&0x08 != 0
}
