package flow

// icmpMinLen is the ICMP header length Zeek requires (ICMP_MINLEN) before it keys a
// connection on the message.
const icmpMinLen = 8

// ICMPTruncated returns the weird Zeek raises (without a connection) for an ICMP or ICMPv6
// packet too short to be keyed, or "" when the packet is not one.
func ICMPTruncated(proto uint8, payloadLen, captured int) string {
	if proto != 1 && proto != 58 {
		return ""
	}
	if payloadLen != 0 && payloadLen < icmpMinLen {
		return "truncated_header"
	}
	if captured < icmpMinLen {
		return "internally_truncated_header"
	}
	return ""
}

// icmpCounterpart is the "port" Zeek keys the responder side of an ICMP connection on: the
// type of the message answering this one, so that a request and its reply share a
// connection; messages with no answer use their code instead and are one-way (their key is
// not made direction-independent).
func icmpCounterpart(proto, typ, code uint8) (uint16, bool) {
	var pair int
	if proto == 1 {
		pair = icmp4Pair(typ)
	} else {
		pair = icmp6Pair(typ)
	}
	if pair < 0 {
		return uint16(code), true
	}
	return uint16(pair), false
}

func icmp4Pair(typ uint8) int {
	switch typ {
	case 8: // echo
		return 0
	case 0: // echo reply
		return 8
	case 13, 15, 17: // timestamp, information, address mask requests
		return int(typ) + 1
	case 14, 16, 18: // their replies
		return int(typ) - 1
	case 10: // router solicitation
		return 9
	case 9: // router advertisement
		return 10
	}
	return -1
}

func icmp6Pair(typ uint8) int {
	switch typ {
	case 128, 133, 135, 130, 139, 144:
		// echo request, router solicitation, neighbor solicitation, multicast listener
		// query, node information query, home agent address discovery request
		return int(typ) + 1
	case 129, 134, 136, 131, 140, 145:
		return int(typ) - 1
	}
	return -1
}

// isBroadcast is Zeek's IPAddr::IsBroadcast: Zeek does not make a broadcast address the
// originator when it would flip a new connection's roles.
func isBroadcast(a [16]byte) bool {
	for i := 0; i < 10; i++ {
		if a[i] != 0 {
			return false
		}
	}
	return a[10] == 0xff && a[11] == 0xff && a[12] == 0xff && a[13] == 0xff && a[14] == 0xff && a[15] == 0xff
}
