package packet

import "encoding/binary"

// Link types (pcap LINKTYPE_* values) handled specially; any other link type is taken as
// raw IP, which is what Zeek's root packet analyzer does by default.
const (
	LinkNull      = 0
	LinkEthernet  = 1
	LinkRaw12     = 12 // LINKTYPE_RAW as some BSDs wrote it
	LinkRaw14     = 14
	LinkRaw       = 101
	LinkLoop      = 108 // OpenBSD loopback
	LinkLinuxSLL  = 113
	LinkIPv4      = 228
	LinkIPv6      = 229
	LinkLinuxSLL2 = 276
	LinkPPP       = 9
	LinkPPPSerial = 50
)

const (
	etherIPv4    = 0x0800
	etherIPv6    = 0x86dd
	etherARP     = 0x0806
	etherRARP    = 0x8035
	etherVLAN    = 0x8100
	etherQinQ    = 0x88a8
	etherQinQOld = 0x9100
	etherMPLS    = 0x8847
	etherMPLSMc  = 0x8848
	etherPPPoE   = 0x8864
)

var (
	errTruncEther = &DecodeError{Weird: "truncated_ethernet_frame", Detail: "frame shorter than an Ethernet header"}
	errUndefEther = &DecodeError{Weird: "undefined_ether_type", Detail: "EtherType between 1500 and 1536"}
	errTruncVLAN  = &DecodeError{Weird: "truncated_VLAN_header", Detail: "frame ends inside a VLAN tag"}
	errTruncMPLS  = &DecodeError{Weird: "truncated_link_header", Detail: "frame ends inside the MPLS label stack"}
	errTruncPPPoE = &DecodeError{Weird: "truncated_pppoe_header", Detail: "frame ends inside the PPPoE header"}
	errTruncSLL   = &DecodeError{Weird: "truncated_Linux_SLL_header", Detail: "frame shorter than a Linux cooked header"}
	errTruncSLL2  = &DecodeError{Weird: "truncated_Linux_SLL2_header", Detail: "frame shorter than a Linux cooked v2 header"}
	errNull       = &DecodeError{Weird: "null_analyzer_failed", Detail: "frame shorter than a loopback header"}
	errTruncSNAP  = &DecodeError{Weird: "truncated_snap_header", Detail: "frame ends inside the LLC/SNAP header"}
)

// link strips the link layer. It returns the network-layer bytes and the offset at which
// they start in data (Zeek's link header size, used against the wire length).
func link(linkType uint32, data []byte, p *Packet) ([]byte, int, Status, error) {
	switch linkType {
	case LinkEthernet:
		return ethernet(data, p)
	case LinkLinuxSLL:
		if len(data) < 16 {
			return nil, 0, Malformed, errTruncSLL
		}
		return ethertype(binary.BigEndian.Uint16(data[14:]), data, 16, p)
	case LinkLinuxSLL2:
		if len(data) < 20 {
			return nil, 0, Malformed, errTruncSLL2
		}
		return ethertype(binary.BigEndian.Uint16(data), data, 20, p)
	case LinkNull, LinkLoop:
		if len(data) <= 4 {
			return nil, 0, Malformed, errNull
		}
		// The address family is in the capturing host's byte order (NULL) or network
		// order (LOOP); files travel, so accept both. AF_INET is 2 everywhere; AF_INET6 is
		// 24 (NetBSD, OpenBSD, BSD/OS), 28 (FreeBSD) or 30 (Darwin).
		if afIP(binary.LittleEndian.Uint32(data)) || afIP(binary.BigEndian.Uint32(data)) {
			return data[4:], 4, OK, nil
		}
		return nil, 0, Skip, nil
	case LinkPPP:
		if len(data) <= 2 {
			return nil, 0, Malformed, &DecodeError{Weird: "truncated_ppp_header", Detail: "frame shorter than a PPP header"}
		}
		if data[0] == 0xff && data[1] == 0x03 { // HDLC-like framing
			if len(data) <= 4 {
				return nil, 0, Malformed, &DecodeError{Weird: "truncated_ppp_hdlc_header", Detail: "frame shorter than a PPP HDLC header"}
			}
			return ppp(binary.BigEndian.Uint16(data[2:]), data, 4, p)
		}
		return ppp(binary.BigEndian.Uint16(data), data, 2, p)
	case LinkPPPSerial:
		if len(data) <= 4 {
			return nil, 0, Malformed, &DecodeError{Weird: "truncated_ppp_serial_header", Detail: "frame shorter than a PPP serial header"}
		}
		return ppp(binary.BigEndian.Uint16(data[2:]), data, 4, p)
	case LinkFDDI:
		return fddi(data)
	case LinkIEEE80211:
		return ieee80211(data, p)
	case LinkIEEE80211Radio:
		return radiotap(data, p)
	case LinkNFLOG:
		return nflog(data)
	default: // raw IP: 101, 12, 14, 228, 229 and anything unknown (Zeek's default)
		return data, 0, OK, nil
	}
}

func afIP(af uint32) bool { return af == 2 || af == 24 || af == 28 || af == 30 }

func ethernet(data []byte, p *Packet) ([]byte, int, Status, error) {
	if len(data) <= 16 {
		return nil, 0, Malformed, errTruncEther
	}
	off := 0
	if data[12] == 0x89 && data[13] == 0x03 { // Cisco FabricPath
		if 16+14 >= len(data) {
			return nil, 0, Malformed, &DecodeError{Weird: "truncated_link_header_cfp", Detail: "frame ends inside a FabricPath header"}
		}
		off = 16
	}
	t := binary.BigEndian.Uint16(data[off+12:])
	off += 14
	if t >= 1536 {
		return ethertype(t, data, off, p)
	}
	if t > 1500 {
		return nil, 0, Malformed, errUndefEther
	}
	return llc(data, off, int(t), p)
}

// llc handles an 802.3 frame: the length field trims the trailer; SNAP with a zero OUI
// carries an EtherType. Plain LLC and Novell raw frames carry no IP we analyze.
func llc(data []byte, off, length int, p *Packet) ([]byte, int, Status, error) {
	b := data[off:]
	if len(b) < 2 {
		return nil, 0, Malformed, errTruncEther
	}
	if b[0] != 0xaa || b[1] != 0xaa { // checked before the length trims (as Zeek does)
		return nil, 0, Skip, nil
	}
	if len(b) > length {
		b = b[:length]
	}
	if len(b) < 3 {
		return nil, 0, Malformed, &DecodeError{Weird: "truncated_snap_llc_header", Detail: "frame ends inside the LLC header"}
	}
	hl := 3
	if b[2]&0x03 != 0x03 {
		hl = 4
	}
	if len(b) < hl+5 {
		return nil, 0, Malformed, errTruncSNAP
	}
	if b[hl] != 0 || b[hl+1] != 0 || b[hl+2] != 0 {
		return nil, 0, Skip, nil
	}
	t := binary.BigEndian.Uint16(b[hl+3:])
	n := off + hl + 5
	return ethertype(t, data[:off+len(b)], n, p)
}

// ethertype dispatches on an EtherType found at data[:off], peeling VLAN tags, MPLS labels
// and PPPoE sessions.
func ethertype(t uint16, data []byte, off int, p *Packet) ([]byte, int, Status, error) {
	end := len(data)
	for {
		switch t {
		case etherIPv4, etherIPv6:
			return data[off:end], off, OK, nil
		case etherVLAN, etherQinQ, etherQinQOld:
			if end-off <= 4 {
				return nil, 0, Malformed, errTruncVLAN
			}
			t = binary.BigEndian.Uint16(data[off+2:])
			off += 4
			if t < 1536 {
				if t > 1500 {
					return nil, 0, Malformed, &DecodeError{Weird: "undefined_vlan_protocol", Detail: "VLAN protocol between 1500 and 1536"}
				}
				return llc(data[:end], off, int(t), p)
			}
		case etherMPLS, etherMPLSMc:
			for {
				if end-off < 4 {
					return nil, 0, Malformed, errTruncMPLS
				}
				bottom := data[off+2]&0x01 != 0
				off += 4
				if bottom {
					break
				}
			}
			// Zeek's MPLS analyzer hands the rest to IP, which checks the version.
			return data[off:end], off, OK, nil
		case etherPPPoE:
			if end-off <= 8 {
				return nil, 0, Malformed, errTruncPPPoE
			}
			b := data[off:end]
			plen := int(binary.BigEndian.Uint16(b[4:]))
			proto := binary.BigEndian.Uint16(b[6:])
			if plen != len(b)-6 {
				if plen < len(b)-6 {
					p.Weirds = append(p.Weirds, "pppoe_extra_data_after_payload")
				} else {
					p.Weirds = append(p.Weirds, "pppoe_truncated_payload")
				}
			}
			plen = max(plen-2, 0)
			off += 8
			end = off + min(plen, len(b)-8)
			if proto != 0x0021 && proto != 0x0057 { // PPP IPv4, IPv6
				return nil, 0, Skip, nil
			}
			return data[off:end], off, OK, nil
		default: // ARP, RARP, LLDP, ...: nothing for us
			return nil, 0, Skip, nil
		}
	}
}

// ppp dispatches on a PPP protocol number: IPv4, IPv6, or MPLS unicast.
func ppp(proto uint16, data []byte, off int, p *Packet) ([]byte, int, Status, error) {
	switch proto {
	case 0x0021, 0x0057:
		return data[off:], off, OK, nil
	case 0x0281:
		return ethertype(etherMPLS, data, off, p)
	}
	return nil, 0, Skip, nil
}
