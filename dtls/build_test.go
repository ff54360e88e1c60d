package dtls

// record builds a DTLS 1.0/1.2 record.
func record(ct uint8, version, epoch uint16, seq uint64, body []byte) []byte {
	b := []byte{ct, byte(version >> 8), byte(version), byte(epoch >> 8), byte(epoch),
		byte(seq >> 40), byte(seq >> 32), byte(seq >> 24), byte(seq >> 16), byte(seq >> 8), byte(seq),
		byte(len(body) >> 8), byte(len(body))}
	return append(b, body...)
}

// fragment builds a handshake fragment: header plus data.
func fragment(mt uint8, length uint32, msgSeq uint16, off uint32, data []byte) []byte {
	return fragmentLen(mt, length, msgSeq, off, uint32(len(data)), data)
}

func fragmentLen(mt uint8, length uint32, msgSeq uint16, off, flen uint32, data []byte) []byte {
	b := []byte{mt, byte(length >> 16), byte(length >> 8), byte(length),
		byte(msgSeq >> 8), byte(msgSeq),
		byte(off >> 16), byte(off >> 8), byte(off),
		byte(flen >> 16), byte(flen >> 8), byte(flen)}
	return append(b, data...)
}

// hsRecord wraps a fragment in an epoch-0 DTLS 1.2 handshake record.
func hsRecord(seq uint64, mt uint8, length uint32, msgSeq uint16, off uint32, data []byte) []byte {
	return record(ContentHandshake, VersionDTLS12, 0, seq, fragment(mt, length, msgSeq, off, data))
}

// cat concatenates records into one datagram.
func cat(parts ...[]byte) []byte {
	var b []byte
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

// seqBytes returns n bytes 0,1,2,... (mod 251) so that misplaced bytes show.
func seqBytes(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i % 251)
	}
	return b
}

// serverHello13 builds a ServerHello body selecting DTLS 1.3 through supported_versions.
func serverHello13() []byte {
	b := []byte{0xfe, 0xfd}
	b = append(b, make([]byte, 32)...) // random
	b = append(b, 0)                   // session id
	b = append(b, 0x13, 0x01, 0)       // cipher, compression
	b = append(b, 0, 6, 0, 43, 0, 2, 0xfe, 0xfc)
	return b
}
