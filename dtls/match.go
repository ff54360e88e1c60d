package dtls

// Ports are the UDP ports Zeek registers the DTLS analyzer for (dtls_ports in
// base/protocols/ssl/main.zeek).
var Ports = []uint16{443}

// matchLen is the number of bytes the client-hello signature inspects.
const matchLen = 27

// Match is Zeek's dpd_dtls_client signature: a datagram starting with a DTLS 1.0 or 1.2
// handshake record of epoch 0 whose sequence number is below 256, carrying a ClientHello
// whose client_version is DTLS 1.0 or 1.2. The signature has no direction condition.
func Match(isOrig bool, p []byte) bool {
	_ = isOrig
	if len(p) < matchLen {
		return false
	}
	if p[0] != ContentHandshake || p[1] != 0xfe || (p[2] != 0xff && p[2] != 0xfd) {
		return false
	}
	for _, c := range p[3:10] { // epoch and the high 5 bytes of the sequence number
		if c != 0 {
			return false
		}
	}
	// p[10] low byte of the sequence number, p[11:13] record length.
	if p[13] != 1 { // client_hello
		return false
	}
	// p[14:25] message length, message_seq, fragment offset and length.
	return p[25] == 0xfe && (p[26] == 0xff || p[26] == 0xfd)
}
