// Command gensample regenerates testdata/sample.pcap, a small capture of TLS 1.2 and 1.3
// connections with SNI and ALPN made by package testgen. Run it from the repository root:
//
//	go run ./internal/testgen/cmd/gensample [-o testdata/sample.pcap]
//
// Handshake randomness differs on every run, so the file's bytes change; what it contains
// (versions, suites, names, protocols) does not.
package main

import (
	"bytes"
	"crypto/tls"
	"flag"
	"fmt"
	"os"

	"github.com/tlsmon/tlsmon/internal/testgen"
)

func main() {
	out := flag.String("o", "testdata/sample.pcap", "output file")
	flag.Parse()
	var buf bytes.Buffer
	conns, err := testgen.WriteSample(&buf)
	if err != nil {
		fmt.Fprintln(os.Stderr, "gensample:", err)
		os.Exit(1)
	}
	if err := os.WriteFile(*out, buf.Bytes(), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "gensample:", err)
		os.Exit(1)
	}
	for _, c := range conns {
		fmt.Printf("%s -> %s  %s %s sni=%q alpn=%q packets=%d\n", c.Client, c.Server,
			tls.VersionName(c.Info.Version), tls.CipherSuiteName(c.Info.CipherSuite),
			c.Info.ServerName, c.Info.NegotiatedProtocol, c.Packets)
	}
	fmt.Printf("wrote %s (%d bytes)\n", *out, buf.Len())
}
