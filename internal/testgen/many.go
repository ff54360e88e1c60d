package testgen

import (
	"crypto/tls"
	"errors"
	"io"
)

// ManyConfigs are a few varied handshakes to replicate in large captures.
func ManyConfigs() []Config {
	return []Config{
		{MaxVersion: tls.VersionTLS12, ServerName: "a.example.com", ALPN: []string{"h2"}, NoAppData: true},
		{MinVersion: tls.VersionTLS13, ServerName: "b.example.com", ALPN: []string{"http/1.1"}, NoAppData: true},
		{MaxVersion: tls.VersionTLS12, ServerKey: KeyRSA, CipherSuites: []uint16{tls.TLS_RSA_WITH_AES_128_GCM_SHA256}, NoAppData: true},
	}
}

// WriteMany writes n connections to w, cycling through trs (nil: one Run of each of
// ManyConfigs), concurrent of them open at once (their packets interleaved; 0 or 1 means
// one after the other). Each connection has its own client address and port, so the
// capture holds n distinct connections. It returns the number of packets written.
func WriteMany(w io.Writer, trs []*Transcript, n, concurrent int, f Framing) (int, error) {
	if len(trs) == 0 {
		for _, cfg := range ManyConfigs() {
			tr, err := Run(cfg)
			if err != nil {
				return 0, err
			}
			trs = append(trs, tr)
		}
	}
	if n < 0 {
		return 0, errors.New("testgen: negative connection count")
	}
	concurrent = max(concurrent, 1)
	c, err := NewCapture(w, DefaultStart)
	if err != nil {
		return 0, err
	}
	packets := 0
	batch := make([]*Transcript, 0, concurrent)
	for i := 0; i < n; {
		batch = batch[:0]
		for ; i < n && len(batch) < concurrent; i++ {
			batch = append(batch, trs[i%len(trs)])
		}
		recs, err := c.AddInterleaved(batch, f)
		if err != nil {
			return packets, err
		}
		for _, r := range recs {
			packets += r.Packets
		}
		c.Conns = c.Conns[:0] // keep memory flat for huge captures
	}
	return packets, nil
}
