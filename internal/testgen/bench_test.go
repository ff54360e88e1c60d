package testgen

import (
	"crypto/tls"
	"io"
	"testing"
)

func BenchmarkRunTLS13(b *testing.B) {
	for b.Loop() {
		if _, err := Run(Config{MinVersion: tls.VersionTLS13, ServerName: "bench.example.com"}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkFrameConn(b *testing.B) {
	tr, err := Run(Config{MaxVersion: tls.VersionTLS12})
	if err != nil {
		b.Fatal(err)
	}
	c, err := NewCapture(io.Discard, DefaultStart)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := c.AddConn(tr, Framing{MSS: 100}); err != nil {
			b.Fatal(err)
		}
		c.Conns = c.Conns[:0]
	}
}
