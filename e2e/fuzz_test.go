package e2e

import (
	"slices"
	"sync"
	"testing"

	"github.com/tlsmon/tlsmon/analyzer"
	"github.com/tlsmon/tlsmon/internal/testgen"
)

var (
	fuzzOnce sync.Once
	fuzzTrs  []*testgen.Transcript
	fuzzErr  error
)

// fuzzTranscripts are handshakes run once per process: TLS 1.2 with a client certificate
// and tickets, and TLS 1.3 with a HelloRetryRequest.
func fuzzTranscripts() ([]*testgen.Transcript, error) {
	fuzzOnce.Do(func() {
		for _, cfg := range []testgen.Config{
			{MaxVersion: 0x0303, ClientCert: true, SessionTickets: true, ServerName: "fuzz.example.com", ALPN: []string{"h2"}},
			{MinVersion: 0x0304, HelloRetry: true, ServerName: "fuzz13.example.com", ALPN: []string{"h2"}},
		} {
			tr, err := testgen.Run(cfg)
			if err != nil {
				fuzzErr = err
				return
			}
			fuzzTrs = append(fuzzTrs, tr)
		}
	})
	return fuzzTrs, fuzzErr
}

// FuzzFramingInvariance: any TCP layout of the same bytes (segment sizes, reordering,
// duplicates, overlapping retransmissions) yields the same SSL events as the plain layout.
func FuzzFramingInvariance(f *testing.F) {
	f.Add(uint64(1), uint16(7), uint16(1), uint8(30), uint8(20), uint8(30), false, false)
	f.Add(uint64(2), uint16(1), uint16(0), uint8(0), uint8(0), uint8(0), true, true)
	f.Add(uint64(3), uint16(1460), uint16(0), uint8(100), uint8(100), uint8(100), false, true)
	f.Fuzz(func(t *testing.T, seed uint64, mss, minSeg uint16, reorder, dup, overlap uint8, coalesce, tls13 bool) {
		trs, err := fuzzTranscripts()
		if err != nil {
			t.Fatal(err)
		}
		tr := trs[0]
		if tls13 {
			tr = trs[1]
		}
		fr := testgen.Framing{
			MSS: int(mss%1500) + 1, MinSegment: int(minSeg % 1500), CoalesceWrites: coalesce, Seed: seed,
			Reorder: float64(reorder%101) / 100, Duplicate: float64(dup%101) / 100, Overlap: float64(overlap%101) / 100,
		}
		opts := analyzer.Options{AnalyzeEncrypted: true}
		plain, pc := frame(t, testgen.Framing{}, tr)
		want := analysisLines(runCapture(t, plain, opts).byConn(pc[0].Client.String()))
		pcap, conns := frame(t, fr, tr)
		got := analysisLines(runCapture(t, pcap, opts).byConn(conns[0].Client.String()))
		if !slices.Equal(want, got) {
			t.Fatalf("framing %+v: events differ\n%s", fr, diffLines(want, got))
		}
	})
}
