package dtls

// IsSTUN reports whether a datagram is a STUN message, which WebRTC multiplexes with DTLS
// on one UDP flow: longer than the 20-byte STUN header, with the magic cookie 0x2112a442
// at offset 4. Zeek skips such datagrams silently.
func IsSTUN(b []byte) bool {
	return len(b) > 20 && b[4] == 0x21 && b[5] == 0x12 && b[6] == 0xa4 && b[7] == 0x42
}
