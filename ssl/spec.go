package ssl

import "github.com/tlsmon/tlsmon/analyzer"

// Ports are Zeek's SSL::ssl_ports (base/protocols/ssl/main.zeek).
var Ports = []uint16{443, 465, 563, 585, 614, 636, 989, 990, 992, 993, 995, 5223}

// Spec describes the SSL analyzer for attachment: Zeek's ports, and the content
// signatures dpd_tls_client (originator) and dpd_tls_server (responder).
func Spec() analyzer.Spec {
	return analyzer.Spec{
		Name:     "SSL",
		TCPPorts: Ports,
		Match:    Match,
		New:      New,
	}
}

// CachingSpec is SpecShared(NewShared(Config{})): the default limits, with a message
// cache. Call it once per engine.
func CachingSpec() analyzer.Spec { return SpecShared(NewShared(Config{})) }

// SpecShared is Spec whose analyzers use sh: its limits, its handshake-message cache
// (hs_cache.go) and its free lists. sh belongs to one engine, whose connections are
// analyzed by one goroutine: do not share the result between engines. Spec's analyzers
// share nothing, so Spec may be kept in package variables.
func SpecShared(sh *Shared) analyzer.Spec {
	s := Spec()
	s.New = func(env *analyzer.Env) analyzer.Analyzer { return newAnalyzer(env, sh) }
	return s
}

// Match reports whether payload, the first bytes of one direction, looks like a TLS client
// hello (originator) or server hello (responder), as Zeek's DPD signatures do:
//
//	client: ^\x16\x03[\x00-\x03]..\x01...\x03[\x00-\x03]
//	server: ^(\x15\x03[\x00-\x03]....)?\x16\x03[\x00-\x03]..\x02...(\x03[\x00-\x04]|\x7F[\x00-\x50])
func Match(isOrig bool, payload []byte) bool {
	if isOrig {
		return matchHello(payload, 0x01) && payload[9] == 0x03 && payload[10] <= 0x03
	}
	if matchServerHello(payload) {
		return true
	}
	// an alert record may come first
	return len(payload) >= 7 && payload[0] == 0x15 && payload[1] == 0x03 && payload[2] <= 0x03 &&
		matchServerHello(payload[7:])
}

func matchServerHello(b []byte) bool {
	if !matchHello(b, 0x02) {
		return false
	}
	return (b[9] == 0x03 && b[10] <= 0x04) || (b[9] == 0x7F && b[10] <= 0x50)
}

// matchHello checks a handshake record header, the handshake type and that the version
// bytes are present.
func matchHello(b []byte, msgType byte) bool {
	return len(b) >= 11 && b[0] == 0x16 && b[1] == 0x03 && b[2] <= 0x03 && b[5] == msgType
}
