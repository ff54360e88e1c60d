package packet

import "encoding/binary"

const (
	protoHopOpts  = 0
	protoTCP      = 6
	protoUDP      = 17
	protoRouting  = 43
	protoFragment = 44
	protoESP      = 50
	protoAH       = 51
	protoNoNext   = 59
	protoDstOpts  = 60
	protoMobility = 135
)

var (
	errTruncIP       = &DecodeError{Weird: "truncated_IP", Detail: "shorter than an IP header"}
	errIPVersion     = &DecodeError{Weird: "unknown_ip_version", Detail: "IP version is neither 4 nor 6"}
	errTruncIPLen    = &DecodeError{Weird: "truncated_IP_len", Detail: "wire length shorter than the IP length"}
	errIPHdrSize     = &DecodeError{Weird: "invalid_IP_header_size", Detail: "IP header longer than the IP length"}
	errIntTruncHdr   = &DecodeError{Weird: "internally_truncated_header", Detail: "capture ends inside the IP header"}
	errIPv4MinHdr    = &DecodeError{Weird: "IPv4_min_header_size", Detail: "IPv4 header length below 20"}
	errIncompleteFr  = &DecodeError{Weird: "incompletely_captured_fragment", Detail: "non-first fragment cut by the snaplen"}
	errNoNext        = &DecodeError{Weird: "ipv6_no_next", Detail: "IPv6 no-next-header"}
	errTruncExt      = &DecodeError{Detail: "capture ends inside an IPv6 extension header"}
	errFragDropped   = &DecodeError{Detail: "fragment dropped (reassembly limits)"}
	errFragHdrLength = &DecodeError{Weird: "fragment_protocol_inconsistency", Detail: "fragment length below its header length"}
)

// mapV4 stores the IPv4-mapped form of a (::ffff:a.b.c.d) in dst as two 8-byte stores:
// the connection lookup reads the address back as two 8-byte words right after, and a
// load that spans two stores (a 16-byte clear, then the 4 address bytes) cannot be
// forwarded from the store buffer and stalls until both reach the cache. In perf
// annotations of read + decode + lookup over perfmix.pcap, the instructions after those
// two loads in flow.Table.Packet held 9.8 % of its samples before, 6.3 % after.
//
// The second word is built little-endian (bytes 0, 0, 0xff, 0xff, then a's four bytes as
// they are): the compiler makes one 8-byte store of that, where the big-endian form became
// a 4-byte store and four byte stores, which no 8-byte load can be forwarded from.
func mapV4(dst *[16]byte, a []byte) {
	binary.LittleEndian.PutUint64(dst[:8], 0)
	binary.LittleEndian.PutUint64(dst[8:], uint64(binary.LittleEndian.Uint32(a[:4]))<<32|0xffff0000)
}

// ip decodes an IPv4 or IPv6 packet; wire is the wire length left for it (-1: unknown).
func (d *Decoder) ip(b []byte, wire int, p *Packet) (Status, error) {
	if len(b) < 20 {
		return Malformed, errTruncIP
	}
	switch b[0] >> 4 {
	case 4:
		return d.ipv4(b, wire, p)
	case 6:
		if len(b) < 40 {
			return Malformed, errTruncIP
		}
		return d.ipv6(b, wire, p)
	}
	return Malformed, errIPVersion
}

func (d *Decoder) ipv4(b []byte, wire int, p *Packet) (Status, error) {
	if len(b) < 20 { // the callers checked it; checked here, the header reads need no bounds checks
		return Malformed, errTruncIP
	}
	hl := int(b[0]&0x0f) * 4
	// *_ip_bytes count the header's total length as Zeek does (IP_Hdr::TotalLen), so a
	// TSO packet with total length 0 adds 0 although its payload is analyzed.
	ipLen := int(binary.BigEndian.Uint16(b[2:]))
	total := ipLen
	if total == 0 { // TSO: Zeek (with -C) falls back to the captured length
		p.weird("ip_hdr_len_zero")
		if d.cfg.VerifyChecksums { // Zeek without -C: the checksum is wrong too; dropped
			return Skip, nil
		}
		total = len(b)
	}
	if wire >= 0 && wire < total {
		return Malformed, errTruncIPLen
	}
	if hl > total {
		return Malformed, errIPHdrSize
	}
	if hl > len(b) {
		return Malformed, errIntTruncHdr
	}
	if hl < 20 {
		return Malformed, errIPv4MinHdr
	}
	if d.cfg.VerifyChecksums && onesSum(0, b[:hl]) != 0xffff { // dropped, with its weird
		p.weird("bad_IP_checksum")
		return Skip, nil
	}
	p.IPVersion = 4
	mapV4(&p.Src, b[12:16])
	mapV4(&p.Dst, b[16:20])
	p.Proto = b[9]
	p.TTL = b[8]
	p.IPLen = ipLen
	ff := binary.BigEndian.Uint16(b[6:])
	if ff&0x3fff != 0 { // MF or an offset: a fragment
		if len(b) < total {
			if ff&0x1fff != 0 {
				return Malformed, errIncompleteFr
			}
			p.weird("incompletely_captured_fragment")
			// Zeek analyzes a cut first fragment as is (header-only traces).
		} else {
			return d.fragment4(b, hl, total, ff, p)
		}
	}
	end := min(len(b), total)
	return d.transport(b[hl:end], total-hl, p)
}

func (d *Decoder) ipv6(b []byte, wire int, p *Packet) (Status, error) {
	total := int(binary.BigEndian.Uint16(b[4:])) + 40
	if total == 40 && len(b) > 40 {
		// Zero payload length (TSO or jumbogram): Zeek falls back to the captured length.
		p.Weirds = append(p.Weirds, "ip_hdr_len_zero")
		total = len(b)
	}
	if wire >= 0 && wire < total {
		return Malformed, errTruncIPLen
	}
	p.IPVersion = 6
	copy(p.Src[:], b[8:24])
	copy(p.Dst[:], b[24:40])
	p.TTL = b[7]
	p.IPLen = int(binary.BigEndian.Uint16(b[4:])) + 40 // Zeek's IP_Hdr::TotalLen, as for IPv4
	end := min(len(b), total)
	nh, off, nhPos := b[6], 40, 6
	routed := false
	for {
		switch nh {
		case protoHopOpts, protoRouting, protoDstOpts, protoAH, protoFragment:
		case protoNoNext:
			p.Proto = nh
			return Malformed, errNoNext
		default: // transport, ESP, mobility, ...
			p.Proto = nh
			if off > end {
				return Malformed, errTruncExt
			}
			return d.transport(b[off:end], total-off, p)
		}
		if end-off < 2 {
			return Malformed, errTruncExt
		}
		var hl int
		switch nh {
		case protoAH:
			hl = (int(b[off+1]) + 2) * 4
		case protoFragment:
			hl = 8
		default:
			hl = (int(b[off+1]) + 1) * 8
		}
		if end-off < hl {
			return Malformed, errTruncExt
		}
		h := b[off : off+hl]
		switch nh {
		case protoRouting:
			if routed {
				p.Weirds = append(p.Weirds, "multiple_routing_headers")
				break
			}
			routed = true
			switch h[2] { // routing type; h[3] is segments left
			case 0:
				if h[3] > 0 && h[1] >= 2 {
					if h[1]%2 == 0 {
						copy(p.Dst[:], h[hl-16:])
					} else {
						p.Weirds = append(p.Weirds, "odd_routing0_len")
					}
				}
				p.Weirds = append(p.Weirds, "routing0_hdr")
			case 2:
				if h[3] > 0 {
					if h[1] == 2 {
						copy(p.Dst[:], h[hl-16:])
					} else {
						p.Weirds = append(p.Weirds, "bad_routing2_len")
					}
				}
			default:
				p.Weirds = append(p.Weirds, "unknown_routing_type")
			}
		case protoFragment:
			fo := binary.BigEndian.Uint16(h[2:])
			if fo&0xfff9 == 0 { // atomic fragment: offset 0, no M flag
				break
			}
			if len(b) < total {
				if fo&0xfff8 != 0 {
					return Malformed, errIncompleteFr
				}
				p.Weirds = append(p.Weirds, "incompletely_captured_fragment")
				break
			}
			return d.fragment6(b[:total], off, nhPos, p)
		}
		nh, nhPos = h[0], off
		off += hl
	}
}
