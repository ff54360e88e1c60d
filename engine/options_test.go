package engine

import (
	"path/filepath"
	"testing"

	"github.com/tlsmon/tlsmon"
	"github.com/tlsmon/tlsmon/capture"
	"github.com/tlsmon/tlsmon/ssl"
)

// The SSL analyzer's limits come from Options.SSL, per engine: an engine with a small
// MaxHandshakeMessage skips the sample's certificate messages with Zeek's weird, while an
// engine with the defaults, running on the same capture, does not.
func TestOptionsSSLLimits(t *testing.T) {
	run := func(cfg ssl.Config) (weirds, certs int) {
		r, err := capture.Open(filepath.Join("..", "testdata", "sample.pcap"))
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		h := tlsmon.HandlerFunc(func(ev tlsmon.Event) {
			switch e := ev.(type) {
			case *tlsmon.Weird:
				if e.WeirdName == "SSL_handshake_message_too_large" {
					weirds++
				}
			case *tlsmon.Certificate:
				certs++
			}
		})
		if err := New(Options{Handler: h, SSL: cfg}).Run(r); err != nil {
			t.Fatal(err)
		}
		return weirds, certs
	}
	w0, c0 := run(ssl.Config{})
	w1, c1 := run(ssl.Config{MaxHandshakeMessage: 300})
	if w0 != 0 || c0 == 0 || w1 == 0 || c1 >= c0 {
		t.Fatalf("defaults: %d weirds, %d certificates; 300-byte cap: %d weirds, %d certificates", w0, c0, w1, c1)
	}
}
