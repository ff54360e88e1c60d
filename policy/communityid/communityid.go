// Package communityid computes the Community ID flow hash, version 1
// (https://github.com/corelight/community-id-spec): a seeded SHA-1 of the flow's
// endpoints in a canonical order, printed "1:" + base64 (or hex) of the digest. It is
// what Zeek's community_id_v1 adds to conn.log with protocols/conn/community-id-logging.
package communityid

import (
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"math/bits"
	"net/netip"
)

// IP protocol numbers the hash treats specially.
const (
	ICMP   = 1
	TCP    = 6
	UDP    = 17
	ICMPv6 = 58
	SCTP   = 132
)

// Flow is one flow as the spec hashes it. For ICMP and ICMPv6, SrcPort is the message
// type and DstPort the counterpart type when the type has one (echo request and reply...),
// else the code: the ports Zeek puts in an ICMP connection's conn_id (ICMPPorts computes
// them from a packet's type and code).
type Flow struct {
	Proto            uint8
	Src, Dst         netip.Addr // both IPv4 or both IPv6
	SrcPort, DstPort uint16
}

// hasPorts reports whether the protocol's hash includes the ports.
func hasPorts(proto uint8) bool {
	switch proto {
	case TCP, UDP, SCTP, ICMP, ICMPv6:
		return true
	}
	return false
}

// icmpCounterpart returns the type answering ICMP type t, if it has one.
func icmpCounterpart(t uint16, v6 bool) (uint16, bool) {
	var m map[uint16]uint16
	if v6 {
		m = icmp6Pairs
	} else {
		m = icmp4Pairs
	}
	c, ok := m[t]
	return c, ok
}

// The request/response pairs of the spec (and of Zeek's ICMP4/6_counterpart).
var (
	icmp4Pairs = map[uint16]uint16{8: 0, 0: 8, 13: 14, 14: 13, 15: 16, 16: 15, 10: 9, 9: 10, 17: 18, 18: 17}
	icmp6Pairs = map[uint16]uint16{128: 129, 129: 128, 133: 134, 134: 133, 135: 136, 136: 135,
		130: 131, 131: 130, 139: 140, 140: 139, 144: 145, 145: 144}
)

// ICMPPorts returns the ports the spec (and Zeek's conn_id) uses for an ICMP message of
// type typ and code: the type and its counterpart for request/response messages, else
// the type and the code.
func ICMPPorts(v6 bool, typ, code uint8) (src, dst uint16) {
	if c, ok := icmpCounterpart(uint16(typ), v6); ok {
		return uint16(typ), c
	}
	return uint16(typ), uint16(code)
}

// Hasher computes Community IDs with one seed; the zero value uses seed 0.
type Hasher struct {
	Seed uint16
	Hex  bool // print the digest in hex instead of base64 (Zeek's do_base64=F)
	// ZeekPortOrder orders the endpoints of a flow between two equal addresses as Zeek
	// does: Zeek compares the ports in network byte order read as host integers (on the
	// little-endian machines it runs on), so 59272 (0xE788, read 0x88E7) sorts after 3306
	// (0x0CEA, read 0xEA0C) where the spec's reference sorts it before. Only flows whose two
	// addresses are equal (loopback captures) are concerned.
	ZeekPortOrder bool
}

// ID returns the Community ID of f ("1:..."), or "" if f's addresses are not both IPv4 or
// both IPv6.
func (h Hasher) ID(f Flow) string {
	var buf [2 + 16 + 16 + 2 + 4]byte
	src, dst := f.Src.Unmap(), f.Dst.Unmap()
	if !src.IsValid() || src.Is4() != dst.Is4() {
		return ""
	}
	sp, dp := f.SrcPort, f.DstPort
	ports := hasPorts(f.Proto)
	oneWay := false
	if f.Proto == ICMP || f.Proto == ICMPv6 {
		_, ok := icmpCounterpart(sp, f.Proto == ICMPv6)
		oneWay = !ok
	}
	// canonical order: the smaller address (then port) first, unless the flow is one-way
	if !oneWay {
		a, b := sp, dp
		if h.ZeekPortOrder {
			a, b = bits.ReverseBytes16(a), bits.ReverseBytes16(b)
		}
		if c := src.Compare(dst); c > 0 || (c == 0 && ports && a > b) {
			src, dst, sp, dp = dst, src, dp, sp
		}
	}
	b := buf[:0]
	b = append(b, byte(h.Seed>>8), byte(h.Seed))
	b = append(b, src.AsSlice()...)
	b = append(b, dst.AsSlice()...)
	b = append(b, f.Proto, 0)
	if ports {
		b = append(b, byte(sp>>8), byte(sp), byte(dp>>8), byte(dp))
	}
	sum := sha1.Sum(b)
	if h.Hex {
		return "1:" + hex.EncodeToString(sum[:])
	}
	return "1:" + base64.StdEncoding.EncodeToString(sum[:])
}
