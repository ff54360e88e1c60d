package packet

import "encoding/binary"

// DecodeLen is Decode with the frame's length on the wire (capture.Frame.WireLen), which
// Zeek compares with the IP length. wireLen < 0 means unknown.
//
// It decodes the frames of nearly every capture — Ethernet II, an IPv4 header of 20 bytes,
// not a fragment, TCP — itself, and hands every other frame, or one that has a weird or an
// error, to the general path (decodeLen), which gives the same Packet for the frames taken
// here (FuzzDecode compares them). Why: the general path's reset of p, its calls (ipv4,
// transport) and the checks each repeats cost ≈ 210 instructions a frame on perfmix.
func (d *Decoder) DecodeLen(linkType uint32, ts int64, data []byte, wireLen int, p *Packet) (Status, error) {
	if linkType != LinkEthernet || len(data) < 14+20+20 || binary.BigEndian.Uint16(data[12:]) != etherIPv4 ||
		d.frags.due(ts) {
		return d.decodeLen(linkType, ts, data, wireLen, p)
	}
	b := data[14:]
	total := int(binary.BigEndian.Uint16(b[2:]))
	// 0x45: version 4, 20-byte header. total < 40 leaves no room for a TCP header (and 0
	// is a TSO packet, with its weird); a wire length below total is truncated_IP_len.
	if b[0] != 0x45 || b[9] != protoTCP || total < 40 || binary.BigEndian.Uint16(b[6:])&0x3fff != 0 ||
		(wireLen >= 14 && wireLen-14 < total) || d.cfg.VerifyChecksums && onesSum(0, b[:20]) != 0xffff {
		return d.decodeLen(linkType, ts, data, wireLen, p)
	}
	t := b[20:min(len(b), total)] // at least 20 bytes: len(b) ≥ 40 and total ≥ 40
	plen := total - 20
	off := int(t[12]>>4) * 4
	if off < 20 || off > len(t) { // len(t) ≤ plen, so off ≤ plen too
		return d.decodeLen(linkType, ts, data, wireLen, p)
	}
	p.Ts = ts
	p.IPVersion = 4
	mapV4(&p.Src, b[12:16])
	mapV4(&p.Dst, b[16:20])
	p.Proto = protoTCP
	p.IPLen = total
	p.TTL = b[8]
	p.SrcPort = binary.BigEndian.Uint16(t)
	p.DstPort = binary.BigEndian.Uint16(t[2:])
	p.Seq = binary.BigEndian.Uint32(t[4:])
	p.Ack = binary.BigEndian.Uint32(t[8:])
	p.Flags = t[13]
	p.Window = binary.BigEndian.Uint16(t[14:])
	p.PayloadLen = plen - off
	p.UDPLen = 0
	p.Reassembled = false
	p.Payload = t[off:]
	p.Transport = t
	p.Weirds = p.Weirds[:0]
	d.stats.Packets++
	d.stats.OK++
	return OK, nil
}
