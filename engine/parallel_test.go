package engine

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/tlsmon/tlsmon"
	"github.com/tlsmon/tlsmon/capture"
	"github.com/tlsmon/tlsmon/internal/corpus"
)

// renderRun runs one engine over a capture and renders what it reports: every SSL event
// canonically, every weird, and every removed connection with its counters.
func renderRun(t *testing.T, path string, opts Options) string {
	r, err := capture.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var b []byte
	opts.Handler = tlsmon.HandlerFunc(func(ev tlsmon.Event) { b, _ = renderEvent(b, ev) })
	if err := New(opts).Run(r); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return string(b)
}

// renderEvent appends an event's rendering (renderRun) as a line, reporting whether it
// renders that kind of event.
func renderEvent(b []byte, ev tlsmon.Event) ([]byte, bool) {
	switch e := ev.(type) {
	case tlsmon.SSLEvent:
		b = tlsmon.AppendCanonical(b, e)
	case *tlsmon.Weird:
		b = fmt.Appendf(b, "weird %d %s %s %s", e.Ts, e.WeirdName, e.Addl, e.Source)
	case *tlsmon.ConnectionStateRemove:
		s := e.Stats
		b = fmt.Appendf(b, "removed %d %s %v %s %s %v %d/%d %d/%d %v", e.Ts, e.Conn.UID, e.Conn.ID, s.State, s.History,
			s.Service, s.OrigPkts, s.RespPkts, s.OrigIPBytes, s.RespIPBytes, s.TunnelParents)
	default:
		return b, false
	}
	return append(b, '\n'), true
}

// Engines share no mutable state on the analysis path (free lists, caches, budgets and
// limits belong to an engine): several engines running at once, on the same captures in
// different orders, report exactly what one engine reports alone. Under -race this also
// checks that no package-level state is written by two engines.
func TestEnginesInParallel(t *testing.T) {
	paths := []string{filepath.Join("..", "testdata", "sample.pcap")}
	dir := corpus.Dir(t)
	for i, c := range corpus.Index(t, dir) {
		if i%7 == 0 || c.Kind == "starttls" || c.Kind == "quic" || c.Kind == "tunnel" {
			paths = append(paths, filepath.Join(dir, "pcaps", c.File))
		}
	}
	if testing.Short() {
		paths = paths[:min(len(paths), 12)]
	}
	opts := []Options{{}, {Recover: Recover{Enabled: true}}}
	want := make(map[string]string)
	for oi, o := range opts {
		for _, p := range paths {
			want[fmt.Sprint(oi, p)] = renderRun(t, p, o)
		}
	}
	t.Logf("%d captures, %d bytes of reference output", len(paths), len(fmt.Sprint(want)))
	const engines = 4
	var wg sync.WaitGroup
	errs := make(chan string, engines*len(paths)*len(opts))
	for g := range engines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			order := slices.Clone(paths)
			if g%2 == 1 {
				slices.Reverse(order)
			}
			for oi, o := range opts {
				for _, p := range order {
					if got := renderRun(t, p, o); got != want[fmt.Sprint(oi, p)] {
						errs <- fmt.Sprintf("engine %d, options %d, %s: output differs from a lone engine's", g, oi, p)
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	var msgs []string
	for m := range errs {
		msgs = append(msgs, m)
	}
	if len(msgs) > 0 {
		t.Fatal(strings.Join(msgs, "\n"))
	}
}
