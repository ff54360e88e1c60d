package engine

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/tlsmon/tlsmon"
	"github.com/tlsmon/tlsmon/analyzer"
	"github.com/tlsmon/tlsmon/capture"
	"github.com/tlsmon/tlsmon/flow"
	"github.com/tlsmon/tlsmon/internal/corpus"
)

// orderViolations runs one engine over a capture and returns the events raised out of Order
// (an event whose Order is below its predecessor's), and how many events it saw.
func orderViolations(t *testing.T, path string, opts Options) (bad []string, n int) {
	r, err := capture.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var e *Engine
	var prev Order
	opts.Handler = tlsmon.HandlerFunc(func(ev tlsmon.Event) {
		o := e.Order()
		if o.Compare(&prev) < 0 && len(bad) < 5 {
			bad = append(bad, fmt.Sprintf("event %d %T: %+v after %+v", n, ev, o, prev))
		}
		prev = o
		n++
	})
	e = New(opts)
	if err := e.Run(r); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return bad, n
}

// One engine raises its events in non-decreasing Order on every corpus capture, with and
// without the options that raise the most events: merging shards' events by Order
// reproduces one engine's output (docs/SCALING.md).
func TestEventsInOrder(t *testing.T) {
	paths := []string{filepath.Join("..", "testdata", "sample.pcap")}
	dir := corpus.Dir(t)
	for _, c := range corpus.Index(t, dir) {
		paths = append(paths, filepath.Join(dir, "pcaps", c.File))
	}
	if p := os.Getenv("TLSMON_ORDER_PCAP"); p != "" { // e.g. /tmp/perfmix.pcap, by hand
		paths = append(paths, p)
	}
	opts := []Options{{}, {Recover: Recover{Enabled: true}, Analyzer: analyzer.Options{AnalyzeEncrypted: true}}}
	total := 0
	for oi, o := range opts {
		for _, p := range paths {
			bad, n := orderViolations(t, p, o)
			total += n
			for _, b := range bad {
				t.Errorf("options %d, %s: %s", oi, filepath.Base(p), b)
			}
		}
	}
	t.Logf("%d captures, %d events", len(paths), total)
}

func TestOrderCompare(t *testing.T) {
	seq := []Order{
		{Frame: 1, Phase: PhaseFrame},
		{Frame: 1, Phase: PhaseTimer, At: 5, Born: 9},
		{Frame: 1, Phase: PhaseTimer, At: 6, Born: 2},
		{Frame: 1, Phase: PhaseTimer, At: 6, Born: 3},
		{Frame: 1, Phase: PhaseDecode},
		{Frame: 1, Phase: PhasePacket},
		{Frame: 2, Phase: PhaseFrame},
		{Frame: ^uint64(0), Phase: PhaseFlush, Key: flowKey(1), Born: 7},
		{Frame: ^uint64(0), Phase: PhaseFlush, Key: flowKey(2), Born: 1},
		{Frame: ^uint64(0), Phase: PhaseFlush, Key: flowKey(2), Born: 4},
	}
	for i := range seq {
		for j := range seq {
			want := 0
			if i < j {
				want = -1
			} else if i > j {
				want = 1
			}
			if got := seq[i].Compare(&seq[j]); got != want {
				t.Errorf("%+v vs %+v: %d, want %d", seq[i], seq[j], got, want)
			}
		}
	}
}

func flowKey(a byte) flow.Key { return flow.Key{A: [16]byte{15: a}, Proto: 6} }
