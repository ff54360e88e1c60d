package packet

import "encoding/binary"

// Tunnel kinds, as Zeek's Tunnel::Type names them.
const (
	TunnelNone   uint8 = iota
	TunnelIP           // IP-in-IP (protocols 4 and 41)
	TunnelAYIYA        // AYIYA over UDP
	TunnelTeredo       // Teredo (IPv6 over UDP)
	TunnelGRE          // GRE (IP protocol 47, or GRE-in-UDP)
	TunnelVXLAN        // VXLAN over UDP
	TunnelGeneve       // Geneve over UDP
	TunnelGTPv1        // GTPv1-U over UDP
)

// TunnelName returns the packet analyzer's name as Zeek spells it in lower case (the conn.log
// service of a confirmed UDP tunnel).
func TunnelName(kind uint8) string {
	switch kind {
	case TunnelIP:
		return "iptunnel"
	case TunnelAYIYA:
		return "ayiya"
	case TunnelTeredo:
		return "teredo"
	case TunnelGRE:
		return "gre"
	case TunnelVXLAN:
		return "vxlan"
	case TunnelGeneve:
		return "geneve"
	case TunnelGTPv1:
		return "gtpv1"
	}
	return ""
}

// UDPTunnelByPort returns the tunnel Zeek's UDP analyzer dispatches a datagram to by its
// responder port (base/packet-protocols/*/main.zeek), or TunnelNone.
func UDPTunnelByPort(respPort uint16) uint8 {
	switch respPort {
	case 4789:
		return TunnelVXLAN
	case 6081:
		return TunnelGeneve
	case 2152, 2123:
		return TunnelGTPv1
	case 3544:
		return TunnelTeredo
	case 5072:
		return TunnelAYIYA
	case 4754:
		return TunnelGRE
	}
	return TunnelNone
}

// UDPTunnelDetect is the content detection Zeek's UDP analyzer runs when no tunnel owns the
// responder port: AYIYA first, then Teredo (their registration order).
func UDPTunnelDetect(b []byte) uint8 {
	if DetectAYIYA(b) {
		return TunnelAYIYA
	}
	if DetectTeredo(b) {
		return TunnelTeredo
	}
	return TunnelNone
}

// Inner is the result of stripping a tunnel header: the encapsulated frame and how to decode it.
type Inner struct {
	Data     []byte
	LinkType uint32 // LinkRaw (IP) or LinkEthernet
	// Violation is the reason the tunnel analyzer gives up on its connection (Zeek's
	// AnalyzerViolation), Weird a weird it raises instead; both empty with Data nil means
	// nothing to forward (not an error).
	Violation string
	Weird     string
	// Confirm is set when the header parsed well enough for Zeek to confirm the analyzer.
	Confirm bool
	// Bubble: a Teredo bubble carrying data past its IPv6 header (Teredo_bubble_with_payload).
	Bubble bool
}

// IPExact reports how an encapsulated IP packet's length compares with the bytes carrying
// it, as Zeek's IP::ParsePacket: 0 equal, -1 shorter than claimed, +1 longer, -2 not the
// expected IP version (want 4, 6, or 0 for either).
func IPExact(b []byte, want uint8) int {
	if len(b) < 1 {
		return -1
	}
	v := b[0] >> 4
	if want != 0 && v != want {
		if want == 6 && len(b) < 40 {
			return -1
		}
		return -2
	}
	var total int
	switch v {
	case 4:
		if len(b) < 20 {
			return -2
		}
		total = int(binary.BigEndian.Uint16(b[2:]))
	case 6:
		if len(b) < 40 {
			return -1
		}
		total = int(binary.BigEndian.Uint16(b[4:])) + 40
	default:
		return -2
	}
	switch {
	case len(b) < total:
		return -1
	case len(b) > total:
		return 1
	}
	return 0
}

// VXLAN strips a VXLAN header (Ethernet follows).
func VXLAN(b []byte) Inner {
	if len(b) < 8 {
		return Inner{Violation: "VXLAN header truncation"}
	}
	if b[0]&0x08 == 0 {
		return Inner{Violation: "VXLAN 'I' flag not set"}
	}
	if len(b) == 8 {
		return Inner{Confirm: true, Weird: "vxlan_empty_packet"}
	}
	return Inner{Data: b[8:], LinkType: LinkEthernet, Confirm: true}
}

// Geneve strips a Geneve header and its options; the protocol type selects Ethernet or IP.
func Geneve(b []byte) Inner {
	if len(b) < 8 {
		return Inner{Violation: "Geneve header truncation"}
	}
	if b[0]>>6 != 0 {
		return Inner{Weird: "geneve_invalid_version"}
	}
	hl := 8 + int(b[0]&0x3f)*4
	if hl > len(b) {
		return Inner{Violation: "Geneve option header truncation"}
	}
	if hl == len(b) {
		return Inner{Confirm: true, Weird: "geneve_empty_packet"}
	}
	in := Inner{Data: b[hl:], Confirm: true}
	switch binary.BigEndian.Uint16(b[2:]) {
	case 0x6558:
		in.LinkType = LinkEthernet
	case etherIPv4, etherIPv6:
		in.LinkType = LinkRaw
	default: // ARP or no registered analyzer: nothing to track
		in.Data = nil
	}
	return in
}

// AYIYA strips an AYIYA header; only "forward" messages carrying IPv4/IPv6 go on.
func AYIYA(b []byte) Inner {
	if len(b) < 8 {
		return Inner{Violation: "Truncated AYIYA"}
	}
	hl := 8 + 1<<(b[0]>>4) + int(b[1]>>4)*4
	if hl > len(b) {
		return Inner{Violation: "Truncated AYIYA"}
	}
	if b[2]&0x0f != 1 {
		return Inner{}
	}
	if hl == len(b) {
		return Inner{Confirm: true, Weird: "ayiya_empty_packet"}
	}
	in := Inner{Data: b[hl:], LinkType: LinkRaw, Confirm: true}
	if nh := b[3]; nh != 4 && nh != 41 {
		in.Data = nil
	}
	return in
}

// DetectAYIYA is Zeek's AYIYA content check.
func DetectAYIYA(b []byte) bool { return len(b) >= 3 && b[1] == 0x52 && b[2] == 0x11 }

// Teredo strips Teredo's optional authentication and origin indication headers; an IPv6
// packet must follow, exactly as long as its header claims (bubbles may carry extra bytes).
func Teredo(b []byte) Inner {
	off, origin, auth := 0, false, false
hdrs:
	for {
		rest := b[off:]
		if len(rest) < 2 {
			return Inner{Violation: "Bad Teredo encapsulation", Weird: "truncated_Teredo"}
		}
		tag := binary.BigEndian.Uint16(rest)
		switch {
		case tag == 0:
			if origin {
				return Inner{Violation: "Bad Teredo encapsulation"}
			}
			if len(rest) < 8 {
				return Inner{Violation: "Bad Teredo encapsulation", Weird: "truncated_Teredo_origin_indication"}
			}
			origin = true
			off += 8
			continue
		case tag == 1:
			if origin || auth {
				return Inner{Violation: "Bad Teredo encapsulation"}
			}
			if len(rest) < 4 {
				return Inner{Violation: "Bad Teredo encapsulation", Weird: "truncated_Teredo_authentication"}
			}
			n := 4 + int(rest[2]) + int(rest[3]) + 9
			if len(rest) < n {
				return Inner{Violation: "Bad Teredo encapsulation", Weird: "truncated_Teredo_authentication"}
			}
			auth = true
			off += n
			continue
		case tag>>12 == 6:
			if len(rest) < 40 {
				return Inner{Violation: "Bad Teredo encapsulation", Weird: "truncated_IPv6_in_Teredo"}
			}
			break hdrs
		default:
			return Inner{Violation: "Bad Teredo encapsulation"}
		}
	}
	ip := b[off:]
	in := Inner{Data: ip, LinkType: LinkRaw}
	switch IPExact(ip, 6) {
	case 1:
		if ip[6] == protoNoNext && binary.BigEndian.Uint16(ip[4:]) == 0 {
			in.Bubble = true
		} else {
			return Inner{Violation: "Teredo payload length"}
		}
	case -1, -2:
		return Inner{Violation: "Truncated Teredo or invalid inner IP version"}
	}
	return in
}

// teredoPrefix is 2001:0000::/32, Teredo's address prefix.
const teredoPrefix = 0x20010000

// DetectTeredo is Zeek's Teredo content check: an IPv6 header with a Teredo source or
// destination address, possibly behind authentication and origin indication headers.
func DetectTeredo(b []byte) bool {
	n := len(b)
	if n < 40 || (n > 8 && b[0]>>4 != 6 && (b[0] != 0 || (b[1] != 0 && b[1] != 1))) {
		return false
	}
	if b[0]>>4 == 6 && (binary.BigEndian.Uint32(b[8:]) == teredoPrefix || binary.BigEndian.Uint32(b[24:]) == teredoPrefix) {
		return true
	}
	val := uint16(b[1])
	if val == 1 {
		skip := 13 + int(b[2]) + int(b[3])
		if n < skip {
			return false
		}
		b = b[skip:]
		if len(b) < 40 {
			return false
		}
		val = binary.BigEndian.Uint16(b)
	}
	if val == 0 {
		b = b[8:]
		return len(b) >= 40 && b[0]>>4 == 6
	}
	return false
}

// GTPv1 strips a GTPv1-U header (G-PDU, message type 255) and its extension headers; the
// IPv4/IPv6 packet that follows must be exactly as long as its header claims.
func GTPv1(b []byte) Inner {
	if len(b) < 8 {
		return Inner{Violation: "Binpac exception: out of bound"}
	}
	flags := b[0]
	if flags>>5 != 1 {
		return Inner{Violation: "GTPv1 bad Version"}
	}
	if flags&0x10 == 0 || b[1] != 255 { // GTP' or signalling: nothing to forward
		return Inner{}
	}
	off := 8
	if flags&0x07 != 0 {
		if len(b) < 12 {
			return Inner{Violation: "Binpac exception: out of bound"}
		}
		off = 12
	}
	if flags&0x04 != 0 {
		for {
			if len(b) < off+1 || b[off] == 0 {
				return Inner{Violation: "Binpac exception: out of bound"}
			}
			n := int(b[off]) * 4
			if len(b) < off+n {
				return Inner{Violation: "Binpac exception: out of bound"}
			}
			next := b[off+n-1]
			off += n
			if next == 0 {
				break
			}
		}
	}
	ip := b[off:]
	if len(ip) < 20 {
		return Inner{Violation: "Truncated GTPv1"}
	}
	if v := ip[0] >> 4; v != 4 && v != 6 {
		return Inner{Violation: "non-IP packet in GTPv1"}
	}
	switch IPExact(ip, 0) {
	case -2:
		return Inner{Violation: "Invalid IP version in wrapped packet"}
	case -1:
		return Inner{Violation: "Truncated GTPv1"}
	case 1:
		return Inner{Violation: "GTPv1 payload length"}
	}
	return Inner{Data: ip, LinkType: LinkRaw, Confirm: true}
}

// GRE strips a GRE header (version 0, with transparent Ethernet bridging and ERSPAN I/II/III,
// or version 1 PPTP). Problems are weirds: GRE has no connection to violate.
func GRE(b []byte) Inner {
	if len(b) < 4 {
		return Inner{Weird: "truncated_GRE"}
	}
	fv := binary.BigEndian.Uint16(b)
	pt := binary.BigEndian.Uint16(b[2:])
	ver := fv & 7
	gl := 4
	for _, bit := range [...]uint16{0x8000, 0x2000, 0x1000, 0x0080} {
		if fv&bit != 0 {
			gl += 4
		}
	}
	link, eth, erspan, pptp := uint32(LinkRaw), 0, 0, 0
	n := len(b)
	switch ver {
	case 0:
		switch {
		case pt == 0x6558:
			if n <= gl+14 {
				return Inner{Weird: "truncated_GRE"}
			}
			eth, link = 14, LinkEthernet
		case pt == 0x88be:
			if n <= gl+14 {
				return Inner{Weird: "truncated_GRE"}
			}
			eth, link = 14, LinkEthernet
			if fv&0x1000 != 0 {
				erspan = 8
				if n < gl+eth+erspan {
					return Inner{Weird: "truncated_GRE"}
				}
			}
		case pt == 0x22eb:
			if n <= gl+14+12 {
				return Inner{Weird: "truncated_GRE"}
			}
			erspan, eth, link = 12, 14, LinkEthernet
			if b[gl+erspan-1]&1 != 0 {
				if n <= gl+erspan+8+eth {
					return Inner{Weird: "truncated_GRE"}
				}
				erspan += 8
			}
		case (pt&0x8200 == 0x8200 && pt&0x0f == 0) || (pt&0x8300 == 0x8300 && pt&0x0f == 0 && pt <= 0x8370) || pt == 0x9000:
			if n <= gl {
				return Inner{Weird: "truncated_GRE"}
			}
			link = 0 // 802.11 (Aruba): not decoded
		}
	case 1:
		if pt != 0x880b {
			return Inner{Weird: "egre_protocol_type"}
		}
		pptp = 4
	default:
		return Inner{Weird: "unknown_gre_version"}
	}
	if fv&0x4000 != 0 {
		return Inner{Weird: "gre_routing"}
	}
	if fv&0x0078 != 0 {
		return Inner{Weird: "unknown_gre_flags"}
	}
	if n < gl+pptp+eth+erspan {
		return Inner{Weird: "truncated_GRE"}
	}
	if ver == 1 {
		pp := binary.BigEndian.Uint16(b[gl+2:])
		if pp != 0x0021 && pp != 0x0057 {
			return Inner{Weird: "non_ip_packet_in_encap"}
		}
		ip := b[gl+pptp:]
		want := uint8(4)
		if pp == 0x0057 {
			want = 6
		}
		switch IPExact(ip, want) {
		case -2:
			return Inner{Weird: "invalid_inner_IP_version"}
		case -1:
			return Inner{Weird: "truncated_inner_IP"}
		case 1:
			return Inner{Weird: "inner_IP_payload_length_mismatch"}
		}
		return Inner{Data: ip, LinkType: LinkRaw}
	}
	if link == 0 {
		return Inner{}
	}
	return Inner{Data: b[gl+pptp+erspan:], LinkType: link}
}
