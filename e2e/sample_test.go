package e2e

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/tlsmon/tlsmon/analyzer"
	"github.com/tlsmon/tlsmon/internal/testgen"
)

// TestSample runs the engine on the committed testdata/sample.pcap (regenerate it with
// `go run ./internal/testgen/cmd/gensample`) and checks each connection against the
// configuration it was generated from.
func TestSample(t *testing.T) {
	pcap, err := os.ReadFile(filepath.Join("..", "testdata", "sample.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	if len(pcap) >= 64<<10 {
		t.Errorf("sample.pcap is %d bytes, keep it under 64 KiB", len(pcap))
	}
	col := runCapture(t, pcap, analyzer.Options{})
	cfgs := testgen.SampleConfigs()
	var conns []string // in order of appearance
	for _, r := range col.all {
		if r.conn != "" && !slices.Contains(conns, r.conn) {
			conns = append(conns, r.conn)
		}
	}
	if len(conns) != len(cfgs) {
		t.Fatalf("%d connections with events, sample has %d", len(conns), len(cfgs))
	}
	for i, cfg := range cfgs {
		rs := col.byConn(conns[i])
		var sni, alpn []string
		for _, r := range named(rs, "ssl_extension_server_name") {
			if r.isClient {
				sni = append(sni, r.names...)
			}
		}
		for _, r := range named(rs, "ssl_extension_application_layer_protocol_negotiation") {
			if r.isClient {
				alpn = r.names
			}
		}
		if len(sni) == 0 || sni[0] != cfg.ServerName {
			t.Errorf("connection %d: SNI %q, generated with %q", i, sni, cfg.ServerName)
		}
		if !slices.Equal(alpn, cfg.ALPN) {
			t.Errorf("connection %d: ALPN %q, generated with %q", i, alpn, cfg.ALPN)
		}
		if n := len(named(rs, "ssl_established")); n != 1 {
			t.Errorf("connection %d: %d ssl_established", i, n)
		}
		if cfg.HelloRetry && len(named(rs, "ssl_client_hello")) != 2 {
			t.Errorf("connection %d: HelloRetry configured but %d client hellos", i, len(named(rs, "ssl_client_hello")))
		}
	}
}
