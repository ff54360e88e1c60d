package packet

import "encoding/binary"

// Link types of Zeek's root packet analyzer beyond Ethernet and the cooked and loopback
// headers: FDDI, IEEE 802.11 (plain and with a radiotap header) and NFLOG.
const (
	LinkFDDI           = 10
	LinkIEEE80211      = 105
	LinkIEEE80211Radio = 127
	LinkNFLOG          = 239
)

// KnownLinkType reports whether linkType is one Zeek's root packet analyzer dispatches
// (or raw IP under one of its usual numbers, or OpenBSD loopback, which tlsmon decodes as
// the NULL header). Frames of any other link type are decoded as raw IP, Zeek's default;
// the engine reports such a link type once.
func KnownLinkType(linkType uint32) bool {
	switch linkType {
	case LinkNull, LinkEthernet, LinkPPP, LinkFDDI, LinkRaw12, LinkRaw14, LinkPPPSerial, LinkRaw,
		LinkIEEE80211, LinkLoop, LinkLinuxSLL, LinkIEEE80211Radio, LinkIPv4, LinkIPv6, LinkNFLOG, LinkLinuxSLL2:
		return true
	}
	return false
}

var (
	errTrunc80211   = &DecodeError{Weird: "truncated_802_11_header", Detail: "frame ends inside the 802.11 header"}
	errTrunc80211LL = &DecodeError{Weird: "truncated_802_11_llc_header", Detail: "frame ends inside the 802.11 LLC header"}
	errTruncRadio   = &DecodeError{Weird: "truncated_radiotap_header", Detail: "frame ends inside the radiotap header"}
	errTruncNFLOG   = &DecodeError{Weird: "truncated_nflog_header", Detail: "frame shorter than an NFLOG header"}
	errNFLOGVersion = &DecodeError{Weird: "unknown_nflog_version", Detail: "NFLOG version is not 0"}
	errNFLOGNoData  = &DecodeError{Weird: "nflog_no_pcap_payload", Detail: "no packet payload TLV in the NFLOG frame"}
	errNFLOGTLVLen  = &DecodeError{Weird: "nflog_bad_tlv_len", Detail: "NFLOG TLV length out of bounds"}
	errTruncFDDI    = &DecodeError{Weird: "FDDI_analyzer_failed", Detail: "frame shorter than an FDDI and LLC header"}
)

// fddi skips the FDDI and LLC headers; the rest is taken as IP (Zeek's FDDI analyzer
// hands it to its default, IP, without reading the LLC).
func fddi(data []byte) ([]byte, int, Status, error) {
	const hdr = 13 + 8
	if len(data) <= hdr {
		return nil, 0, Malformed, errTruncFDDI
	}
	return data[hdr:], hdr, OK, nil
}

// radiotap skips a radiotap header (its length is little-endian at offset 2) before an
// 802.11 frame.
func radiotap(data []byte, p *Packet) ([]byte, int, Status, error) {
	if len(data) <= 3 {
		return nil, 0, Malformed, errTruncRadio
	}
	n := int(binary.LittleEndian.Uint16(data[2:]))
	if n >= len(data) {
		return nil, 0, Malformed, errTruncRadio
	}
	b, off, st, err := ieee80211(data[n:], p)
	return b, off + n, st, err
}

// ieee80211 decodes an 802.11 data frame as Zeek's IEEE802_11 analyzer: management,
// control and data-less frames carry nothing; a protected QoS frame is encrypted; the
// payload must be LLC/SNAP with a zero OUI (encapsulated Ethernet) and an IPv4 or IPv6
// EtherType. Of an A-MSDU frame only the first subframe is decoded (the decoder yields one
// packet per frame; docs/CONFORMANCE.md).
func ieee80211(data []byte, p *Packet) ([]byte, int, Status, error) {
	n := 24 // a data frame's header
	if n >= len(data) {
		return nil, 0, Malformed, errTrunc80211
	}
	fc := data[0]
	if fc>>2&0x02 == 0 || fc>>4&0x04 != 0 { // not a data frame, or a subtype without data
		return nil, 0, Skip, nil
	}
	if data[1]&0x03 == 0x03 { // To DS and From DS: a fourth address
		n += 6
	}
	if n >= len(data) {
		return nil, 0, Malformed, errTrunc80211
	}
	amsdu := false
	if fc>>4&0x08 != 0 { // QoS data
		amsdu = data[n]&0x80 != 0
		if data[1]&0x40 != 0 { // protected: encrypted, nothing to analyze
			return nil, 0, Skip, nil
		}
		n += 2
	}
	if n >= len(data) {
		return nil, 0, Malformed, errTrunc80211
	}
	if amsdu {
		if len(data)-n < 14 {
			return nil, 0, Malformed, &DecodeError{Weird: "truncated_802_11_amsdu_header", Detail: "frame ends inside an A-MSDU subframe header"}
		}
		l := int(binary.BigEndian.Uint16(data[n+12:]))
		if len(data)-n < l+14 {
			return nil, 0, Malformed, &DecodeError{Weird: "truncated_802_11_amsdu_packet", Detail: "frame ends inside an A-MSDU subframe"}
		}
		n += 14
		data = data[:n+l]
	}
	b := data[n:]
	if len(b) < 8 {
		return nil, 0, Malformed, errTrunc80211LL
	}
	if b[0] != 0xaa || b[1] != 0xaa || b[2] != 0x03 || b[3] != 0 || b[4] != 0 || b[5] != 0 {
		return nil, 0, Skip, nil // LLC without a protocol of ours
	}
	switch binary.BigEndian.Uint16(b[6:]) {
	case etherIPv4, etherIPv6:
		return b[8:], n + 8, OK, nil
	}
	return nil, 0, Skip, nil
}

// nflog decodes a Linux NFLOG frame: a 4-byte header (address family, version 0) and
// TLVs, the packet being the value of the payload TLV (type 9). TLV lengths and types are
// in the capturing host's byte order, taken as little-endian (as Zeek reads them on the
// usual hosts, libpcap having swapped them to its byte order).
func nflog(data []byte) ([]byte, int, Status, error) {
	if len(data) <= 4 {
		return nil, 0, Malformed, errTruncNFLOG
	}
	af, version := data[0], data[1]
	if version != 0 {
		return nil, 0, Malformed, errNFLOGVersion
	}
	off := 4
	for {
		if len(data)-off <= 4 {
			return nil, 0, Malformed, errNFLOGNoData
		}
		l := int(binary.LittleEndian.Uint16(data[off:]))
		typ := binary.LittleEndian.Uint16(data[off+2:])
		if typ == 9 { // NFULA_PAYLOAD
			off += 4
			break
		}
		if l < 4 {
			return nil, 0, Malformed, errNFLOGTLVLen
		}
		l = (l + 3) &^ 3
		if l > len(data)-off {
			return nil, 0, Malformed, errNFLOGTLVLen
		}
		off += l
	}
	if af != 2 && af != 10 { // AF_INET, AF_INET6
		return nil, 0, Skip, nil
	}
	return data[off:], off, OK, nil
}
