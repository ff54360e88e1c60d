package e2e

import (
	"slices"
	"testing"

	"github.com/tlsmon/tlsmon/analyzer"
	"github.com/tlsmon/tlsmon/internal/testgen"
)

// TestCaptureScenarios puts every scenario in one capture, runs the engine and checks
// each connection's events.
func TestCaptureScenarios(t *testing.T) {
	gs := runScenarios(t, scenarios())
	var trs []*testgen.Transcript
	for _, g := range gs {
		trs = append(trs, g.tr)
	}
	for _, f := range []struct {
		name string
		f    testgen.Framing
	}{{"ipv4", testgen.Framing{AckFlights: true}}, {"ipv6", testgen.Framing{IPv6: true}}} {
		t.Run(f.name, func(t *testing.T) {
			pcap, conns := frame(t, f.f, trs...)
			col := runCapture(t, pcap, analyzer.Options{})
			for i, g := range gs {
				t.Run(g.name, func(t *testing.T) {
					g.check(t, col.byConn(conns[i].Client.String()))
				})
			}
		})
	}
}

// framings are the TCP layouts that must not change what the SSL analysis reports.
var framings = []struct {
	name string
	f    testgen.Framing
}{
	{"tiny-segments", testgen.Framing{MSS: 7, MinSegment: 1, Seed: 11}},
	{"one-byte-segments", testgen.Framing{MSS: 1}},
	{"reordered", testgen.Framing{MSS: 40, Reorder: 0.5, Seed: 12}},
	{"duplicates", testgen.Framing{MSS: 100, Duplicate: 0.4, Seed: 13}},
	{"overlapping-retransmissions", testgen.Framing{MSS: 60, Overlap: 0.6, Seed: 14}},
	{"everything", testgen.Framing{MSS: 5, MinSegment: 1, Reorder: 0.3, Duplicate: 0.2, Overlap: 0.3, AckFlights: true, Seed: 15}},
	{"coalesced-writes", testgen.Framing{CoalesceWrites: true}},
}

// TestFramingInvariance: the same handshake bytes framed differently give the same events
// (apart from timestamps). With AnalyzeEncrypted the whole sequence must match; with the
// default the analyzer leaves after the handshake at a packet boundary, so the sequence up
// to ssl_established must.
func TestFramingInvariance(t *testing.T) {
	for _, g := range runScenarios(t, scenarios()) {
		t.Run(g.name, func(t *testing.T) {
			plainPcap, plainConns := frame(t, testgen.Framing{}, g.tr)
			for _, opts := range []analyzer.Options{{AnalyzeEncrypted: true}, {}} {
				cut := untilEstablished
				if opts.AnalyzeEncrypted {
					cut = func(s []string) []string { return s }
				}
				base := runCapture(t, plainPcap, opts).byConn(plainConns[0].Client.String())
				if len(base) == 0 {
					t.Fatal("no events on the plain framing")
				}
				want := cut(analysisLines(base))
				for _, fr := range framings {
					pcap, conns := frame(t, fr.f, g.tr)
					got := cut(analysisLines(runCapture(t, pcap, opts).byConn(conns[0].Client.String())))
					if !slices.Equal(want, got) {
						t.Errorf("%s (AnalyzeEncrypted=%v): event sequence differs from the plain framing\n%s",
							fr.name, opts.AnalyzeEncrypted, diffLines(want, got))
					}
				}
			}
		})
	}
}

// TestRecordLayouts: coalescing handshake records (several messages per record) or
// splitting them (messages across records) still yields correct events.
func TestRecordLayouts(t *testing.T) {
	gs := runScenarios(t, scenarios())
	for _, lay := range []struct {
		name string
		f    testgen.Framing
	}{
		{"coalesced-records", testgen.Framing{CoalesceRecords: true, CoalesceWrites: true}},
		{"split-records", testgen.Framing{MaxHandshakeRecord: 50, MSS: 300}},
	} {
		t.Run(lay.name, func(t *testing.T) {
			var trs []*testgen.Transcript
			for _, g := range gs {
				trs = append(trs, g.tr)
			}
			pcap, conns := frame(t, lay.f, trs...)
			col := runCapture(t, pcap, analyzer.Options{})
			for i, g := range gs {
				t.Run(g.name, func(t *testing.T) {
					g.check(t, col.byConn(conns[i].Client.String()))
				})
			}
		})
	}
}
