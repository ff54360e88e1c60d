package quic

import "github.com/tlsmon/tlsmon/analyzer"

// AnalyzerName is Zeek's name of the analyzer.
const AnalyzerName = "QUIC"

// Ports are the UDP ports Zeek registers the QUIC analyzer for: quic_ports (443) and
// doq_ports (853, 784) of base/protocols/quic/main.zeek.
var Ports = []uint16{443, 853, 784}

// Spec returns the QUIC analyzer's attachment description with the default caps.
func Spec() analyzer.Spec { return SpecConfig(Config{}) }

// SpecConfig is Spec with cfg's caps. The analyzers of the returned Spec share decryption
// buffers: use it for one engine (one goroutine).
func SpecConfig(cfg Config) analyzer.Spec {
	cfg.sc = &scratch{}
	cfg.defaults()
	c := &cfg
	return analyzer.Spec{
		Name:     AnalyzerName,
		UDPPorts: Ports,
		Match:    Match,
		New:      func(env *analyzer.Env) analyzer.Analyzer { return newAnalyzer(env, c) },
	}
}

// Match is Zeek's pair of QUIC signatures (dpd_quic_initial, dpd_quic_v2_initial): a
// datagram starting with a QUIC v1 Initial long header (first byte 0xC0-0xCF, version 1)
// or a QUIC v2 one (first byte 0xD0-0xDF, version 0x6b3343cf). Either direction.
func Match(isOrig bool, p []byte) bool {
	_ = isOrig
	if len(p) < 5 {
		return false
	}
	switch p[0] & 0xf0 {
	case 0xc0:
		return p[1] == 0 && p[2] == 0 && p[3] == 0 && p[4] == 1
	case 0xd0:
		return p[1] == 0x6b && p[2] == 0x33 && p[3] == 0x43 && p[4] == 0xcf
	}
	return false
}
