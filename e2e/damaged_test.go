package e2e

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/tlsmon/tlsmon/analyzer"
	"github.com/tlsmon/tlsmon/capture"
	"github.com/tlsmon/tlsmon/engine"
	"github.com/tlsmon/tlsmon/internal/damage"
	"github.com/tlsmon/tlsmon/internal/testgen"
	"github.com/tlsmon/tlsmon/ssl"
)

// runDamaged runs the engine on a capture, with or without recovery.
func runDamaged(t *testing.T, pcap []byte, recover bool) *collector {
	t.Helper()
	r, err := capture.NewReader("damaged.pcap", bytes.NewReader(pcap))
	if err != nil {
		t.Fatalf("capture: %v", err)
	}
	defer r.Close()
	col := &collector{}
	e := engine.New(engine.Options{Handler: col, Analyzers: []analyzer.Spec{ssl.Spec()},
		Analyzer: analyzer.Options{AnalyzeEncrypted: true}, Recover: engine.Recover{Enabled: recover}})
	if err := e.Run(r); err != nil {
		t.Fatalf("engine: %v", err)
	}
	return col
}

// claims are a connection's SSL events and certificates without timestamps, as a multiset.
func claims(rs []rec) map[string]int {
	m := map[string]int{}
	for _, l := range analysisLines(rs) {
		if len(l) > 5 && l[:6] == "weird " {
			continue
		}
		m[l]++
	}
	return m
}

func count(m map[string]int) (n int) {
	for _, v := range m {
		n += v
	}
	return n
}

// TestDamagedCaptures damages a capture of every scenario (packets reordered within
// windows of 4, or dropped) and checks what the engine reports for each connection, with
// --recover and without: never a claim the intact capture does not make; with --recover,
// everything of a reordered capture; and at least as much as Zeek's rule everywhere.
func TestDamagedCaptures(t *testing.T) {
	gs := runScenarios(t, scenarios())
	var trs []*testgen.Transcript
	for _, g := range gs {
		trs = append(trs, g.tr)
	}
	pcap, conns := frame(t, testgen.Framing{MSS: 400, AckFlights: true}, trs...)
	intact := runDamaged(t, pcap, false)
	for _, cfg := range []damage.Config{
		{Mode: damage.Reorder, Seed: 1, Skip: 8, Window: 4},
		{Mode: damage.Reorder, Seed: 2, Skip: 8, Window: 4},
		{Mode: damage.Drop, Seed: 3, Skip: 3, Rate: 0.03},
		{Mode: damage.Drop, Seed: 4, Skip: 3, Rate: 0.06},
	} {
		t.Run(fmt.Sprintf("mode%d-seed%d", cfg.Mode, cfg.Seed), func(t *testing.T) {
			dmg, err := damage.Apply(pcap, cfg)
			if err != nil {
				t.Fatal(err)
			}
			rec, zeek := runDamaged(t, dmg, true), runDamaged(t, dmg, false)
			var nWant, nRec, nZeek int
			for i, c := range conns {
				want := claims(intact.byConn(c.Client.String()))
				got := claims(rec.byConn(c.Client.String()))
				zk := claims(zeek.byConn(c.Client.String()))
				for l, n := range got {
					if n > want[l] {
						t.Errorf("%s: claim the intact capture does not make: %s", gs[i].name, l)
					}
				}
				if cfg.Mode == damage.Reorder && count(got) != count(want) {
					t.Errorf("%s: reordered capture: %d of %d events recovered", gs[i].name, count(got), count(want))
					for l, n := range want {
						if got[l] < n {
							t.Logf("  missing %s", l)
						}
					}
				}
				nWant, nRec, nZeek = nWant+count(want), nRec+count(got), nZeek+count(zk)
			}
			t.Logf("events: intact %d, --recover %d, Zeek's rule %d", nWant, nRec, nZeek)
			if nRec < nZeek {
				t.Errorf("--recover found fewer events (%d) than Zeek's rule (%d)", nRec, nZeek)
			}
		})
	}
}
