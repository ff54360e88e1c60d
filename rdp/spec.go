package rdp

import "github.com/tlsmon/tlsmon/analyzer"

// Ports are Zeek's RDP::rdp_ports (TCP).
var Ports = []uint16{3389}

// Spec describes the RDP analyzer for attachment: Zeek's port and the content signature
// dpd_rdp_client.
func Spec() analyzer.Spec {
	return analyzer.Spec{
		Name:     "RDP",
		TCPPorts: Ports,
		Match:    Match,
		New:      New,
	}
}

// Match reports whether payload, the first bytes of one direction, matches Zeek's
// dpd_rdp_client pattern (in either direction, as the signature sets no direction). The
// signature's other condition, dpd_rdp_server on the opposite direction, cannot be seen
// here: an analyzer attached by content checks it itself before it acts (see gate).
func Match(isOrig bool, payload []byte) bool { return matchClient(payload) }

func isPort(p uint16) bool {
	for _, q := range Ports {
		if p == q {
			return true
		}
	}
	return false
}
