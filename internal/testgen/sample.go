package testgen

import (
	"crypto/tls"
	"io"
)

// SampleConfigs are the connections of testdata/sample.pcap: TLS 1.2 and 1.3, each with
// SNI and ALPN.
func SampleConfigs() []Config {
	return []Config{
		{MaxVersion: tls.VersionTLS12, ServerKey: KeyECDSA, ServerName: "www.example.com",
			ALPN: []string{"h2", "http/1.1"}, CipherSuites: []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256}},
		{MinVersion: tls.VersionTLS13, ServerName: "api.example.com", ALPN: []string{"h2"}},
		{MaxVersion: tls.VersionTLS12, ServerKey: KeyRSA, ServerName: "rsa.example.com",
			ALPN: []string{"http/1.1"}, CipherSuites: []uint16{tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256}},
		{MinVersion: tls.VersionTLS13, ServerName: "retry.example.com", ALPN: []string{"h2", "http/1.1"}, HelloRetry: true},
	}
}

// WriteSample writes the sample capture to w and returns what each connection negotiated.
func WriteSample(w io.Writer) ([]ConnRecord, error) {
	c, err := NewCapture(w, DefaultStart)
	if err != nil {
		return nil, err
	}
	for _, cfg := range SampleConfigs() {
		tr, err := Run(cfg)
		if err != nil {
			return nil, err
		}
		if _, err := c.AddConn(tr, Framing{AckFlights: true}); err != nil {
			return nil, err
		}
	}
	return c.Conns, nil
}
