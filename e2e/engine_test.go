package e2e

import (
	"bytes"
	"testing"

	"github.com/tlsmon/tlsmon/analyzer"
	"github.com/tlsmon/tlsmon/capture"
	"github.com/tlsmon/tlsmon/engine"
	"github.com/tlsmon/tlsmon/internal/testgen"
	"github.com/tlsmon/tlsmon/ssl"
)

// runCapture runs the engine, with the SSL analyzer, on a capture.
func runCapture(t *testing.T, pcap []byte, opts analyzer.Options) *collector {
	t.Helper()
	r, err := capture.NewReader("generated.pcap", bytes.NewReader(pcap))
	if err != nil {
		t.Fatalf("capture: %v", err)
	}
	defer r.Close()
	col := &collector{}
	e := engine.New(engine.Options{Handler: col, Analyzers: []analyzer.Spec{ssl.Spec()}, Analyzer: opts})
	if err := e.Run(r); err != nil {
		t.Fatalf("engine: %v", err)
	}
	return col
}

// frame writes transcripts, one connection each, with one framing.
func frame(t *testing.T, f testgen.Framing, trs ...*testgen.Transcript) ([]byte, []testgen.ConnRecord) {
	t.Helper()
	var buf bytes.Buffer
	c, err := testgen.NewCapture(&buf, testgen.DefaultStart)
	if err != nil {
		t.Fatal(err)
	}
	for _, tr := range trs {
		if _, err := c.AddConn(tr, f); err != nil {
			t.Fatal(err)
		}
	}
	return buf.Bytes(), c.Conns
}
