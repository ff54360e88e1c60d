package rdp

import "bytes"

// Zeek's RDP DPD signatures (base/protocols/rdp/dpd.sig), as byte checks. Signature
// payload patterns are anchored at the start of a direction's stream and '.' matches any
// byte, so ".*X" means "X occurs in the bytes seen so far".
//
//	dpd_rdp_client: /.*(Cookie: mstshash\=|Duca.*(rdpdr|rdpsnd|drdynvc|cliprdr))/
//	                requires-reverse-signature dpd_rdp_server
//	dpd_rdp_server: /(.{5}\xd0|.*McDn)/

var (
	sigCookie   = []byte("Cookie: mstshash=")
	sigDuca     = []byte("Duca")
	sigMcDn     = []byte("McDn")
	sigChannels = [][]byte{[]byte("rdpdr"), []byte("rdpsnd"), []byte("drdynvc"), []byte("cliprdr")}
)

// matchClient reports whether b, the first bytes of one direction, matches dpd_rdp_client's
// payload pattern.
func matchClient(b []byte) bool {
	if hasCookie(b) {
		return true
	}
	i := bytes.Index(b, sigDuca)
	if i < 0 {
		return false
	}
	rest := b[i+len(sigDuca):]
	for _, ch := range sigChannels {
		if bytes.Contains(rest, ch) {
			return true
		}
	}
	return false
}

// hasCookie reports whether b contains "Cookie: mstshash=". It looks for the final '=' and
// compares what precedes it: '=' is rare in TLS records, while bytes.Index, led by 'C',
// restarts its scan at every 'C' of a certificate's names.
func hasCookie(b []byte) bool {
	head := len(sigCookie) - 1
	for p := head; p < len(b); p++ {
		i := bytes.IndexByte(b[p:], '=')
		if i < 0 {
			return false
		}
		p += i
		if bytes.Equal(b[p-head:p], sigCookie[:head]) {
			return true
		}
	}
	return false
}

// matchServer reports whether b, the first bytes of one direction, matches dpd_rdp_server's
// payload pattern: an X.224 connection confirm code at offset 5, or "McDn" anywhere.
func matchServer(b []byte) bool {
	return (len(b) > 5 && b[5] == pduConnectConfirm) || bytes.Contains(b, sigMcDn)
}
