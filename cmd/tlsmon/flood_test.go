package main

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/tlsmon/tlsmon/internal/flood"
)

// floodShort is each flood's size in the CI version of the flood suite (docs/RELIABILITY.md
// has the full sizes and how to run them).
var floodShort = map[flood.Kind]int{
	flood.UDP: 6000, flood.Trickle: 200, flood.Claim: 3000, flood.BigHello: 6, flood.SYN: 10000, flood.Frag: 20000,
	flood.QUIC: 1000,
}

// floodCapWeirds are the cap weirds each short flood must write (the frag flood fills the
// 16 MiB fragment budget).
var floodCapWeirds = map[flood.Kind][]string{flood.Frag: {"fragment_reassembly_memory_cap"}}

// floodSmallBudget is the --max-memory of the suite's second run of each flood, small
// enough that every flood but bighello (whose memory is in handshake messages, within
// their 1 MiB cap) makes the budget shed, large enough for a second of each flood (a
// connection is shed once it is a second old, unless nothing older is left);
// floodBudgetWeirds are the memory_budget weirds (addl) each flood must then write.
const floodSmallBudget = "16M"

var floodBudgetWeirds = map[flood.Kind][]string{
	flood.UDP:     {"shed connections"},
	flood.Trickle: {"shed records"},
	flood.Claim:   {"shed connections"},
	flood.SYN:     {"shed connections"},
	flood.Frag:    {"shed fragments"},
	flood.QUIC:    {"shed quic"},
}

// honestRows reads a TSV log's rows, without the uid column (uids are drawn in connection
// order, so the flood's connections shift them) and without rows of the flood's sources.
func honestRows(t *testing.T, path string, uidCol bool) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var rows []string
	for _, l := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
		// the flood's sources are in 100.64.0.0/10
		if strings.HasPrefix(l, "#") || strings.Contains(l, "\t100.") {
			continue
		}
		if uidCol {
			f := strings.Split(l, "\t")
			l = strings.Join(append(f[:1:1], f[2:]...), "\t")
		}
		rows = append(rows, l)
	}
	sort.Strings(rows)
	return rows
}

// TestFloodSuite is the short version of the flood suite: each flood of internal/flood,
// mixed with the honest sample capture, leaves the honest connections' ssl.log and
// x509.log rows as they are without the flood.
func TestFloodSuite(t *testing.T) {
	honest := filepath.Join("..", "..", "testdata", "sample.pcap")
	base := t.TempDir()
	if code, _, stderr := runCLI(t, "-r", honest, "-o", base, "-q"); code != 0 {
		t.Fatalf("honest run: exit %d: %s", code, stderr)
	}
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).Add(-time.Second) // testgen.DefaultStart
	for _, k := range flood.Kinds {
		t.Run(string(k), func(t *testing.T) {
			dir := t.TempDir()
			pcap := filepath.Join(dir, "flood.pcap")
			f, err := os.Create(pcap)
			if err != nil {
				t.Fatal(err)
			}
			err = flood.Write(f, flood.Config{Kind: k, N: floodShort[k], Span: 2 * time.Second, Start: start, Seed: 1})
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, budget := range []string{"", floodSmallBudget} {
				out := filepath.Join(dir, "out"+budget)
				args := []string{"-r", pcap, "-r", honest, "-o", out, "-q", "--verify-checksums"}
				want := floodCapWeirds[k]
				if budget != "" {
					args = append(args, "--max-memory", budget)
					want = nil
					for _, addl := range floodBudgetWeirds[k] {
						want = append(want, "memory_budget\t"+addl)
					}
				}
				checkFloodRun(t, k, base, out, args, want)
			}
		})
	}
}

// checkFloodRun runs tlsmon with args (its output in out) and checks that weird.log has
// each of the weirds in want (a name, or a name, a tab and the addl), and that the
// honest rows of ssl.log and x509.log are those of the run without the flood in base.
func checkFloodRun(t *testing.T, k flood.Kind, base, out string, args []string, want []string) {
	t.Helper()
	if code, _, stderr := runCLI(t, args...); code != 0 {
		t.Fatalf("%s %v: exit %d: %s", k, args, code, stderr)
	}
	weirds, _ := os.ReadFile(filepath.Join(out, "weird.log"))
	if strings.Contains(string(weirds), "checksum") {
		t.Errorf("the flood's checksums are wrong:\n%s", weirds)
	}
	for _, w := range want {
		if !strings.Contains(string(weirds), "\t"+w+"\t") {
			t.Errorf("%v: no weird %q in weird.log:\n%s", args, w, weirds)
		}
	}
	for _, l := range []struct {
		name string
		uid  bool
	}{{"ssl.log", true}, {"x509.log", false}} {
		want := honestRows(t, filepath.Join(base, l.name), l.uid)
		got := honestRows(t, filepath.Join(out, l.name), l.uid)
		if len(want) == 0 {
			t.Fatalf("%s: no honest rows to compare", l.name)
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("%v: %s: honest rows differ under the flood:\nwant\n%s\ngot\n%s", args, l.name,
				strings.Join(want, "\n"), strings.Join(got, "\n"))
		}
	}
}
