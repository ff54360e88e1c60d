package flow

// likelyServerTCP and likelyServerUDP are Zeek's likely_server_ports as the default
// scripts fill them: every port an analyzer registers as a server port through
// Analyzer::register_for_ports / PacketAnalyzer::register_for_ports.
var likelyServerTCP = portSet(
	135,      // DCE-RPC
	20000,    // DNP3
	53,       // DNS
	79,       // Finger
	21, 2811, // FTP
	80, 81, 631, 1080, 3128, 8000, 8080, 8888, // HTTP
	143,                    // IMAP
	6666, 6667, 6668, 6669, // IRC
	88,        // Kerberos
	389, 3268, // LDAP
	502,        // Modbus
	1883,       // MQTT
	1434, 3306, // MySQL
	5432,     // PostgreSQL
	3389,     // RDP
	6379,     // Redis
	139, 445, // SMB
	25, 587, // SMTP
	22,                                                          // SSH
	443, 465, 563, 585, 614, 636, 989, 990, 992, 993, 995, 5223, // SSL
	514,        // syslog
	5222, 5269, // XMPP
)

var likelyServerUDP = portSet(
	5072, 6081, 4754, 2152, 2123, 3544, 4789, // tunnels (AYIYA, Geneve, GRE, GTPv1, Teredo, VXLAN)
	67, 4011, // DHCP (68 is registered as a client port)
	20000,               // DNP3
	53, 137, 5353, 5355, // DNS
	88,       // Kerberos
	389,      // LDAP
	123,      // NTP
	443,      // QUIC, DTLS
	1812,     // RADIUS
	3389,     // RDP-EUDP
	5060,     // SIP
	161, 162, // SNMP
	514, // syslog
)

type ports [65536 / 64]uint64

func portSet(ps ...uint16) *ports {
	var s ports
	for _, p := range ps {
		s[p/64] |= 1 << (p % 64)
	}
	return &s
}

func (s *ports) has(p uint16) bool { return s[p/64]&(1<<(p%64)) != 0 }

// IsLikelyServerPort reports whether port is in Zeek's likely_server_ports for the
// transport (6 TCP, 17 UDP).
func IsLikelyServerPort(proto uint8, port uint16) bool {
	switch proto {
	case 6:
		return likelyServerTCP.has(port)
	case 17:
		return likelyServerUDP.has(port)
	}
	return false
}

// wantFlip decides, for the first packet of a new connection, whether Zeek makes the
// packet's destination the originator.
func wantFlip(proto uint8, sp, dp uint16, flags uint8) bool {
	switch proto {
	case 6:
		if flags&synFlag == 0 || flags&ackFlag != 0 {
			// Partial connection (no SYN or a SYN-ACK): guess the responder by port.
			if IsLikelyServerPort(6, sp) {
				if IsLikelyServerPort(6, dp) {
					return flags&synFlag == 0 && sp < dp
				}
				return true
			}
		}
		return false
	case 17:
		return IsLikelyServerPort(17, sp) && !IsLikelyServerPort(17, dp)
	}
	return false
}
