package engine

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/tlsmon/tlsmon"
	"github.com/tlsmon/tlsmon/analyzer"
	"github.com/tlsmon/tlsmon/capture"
	"github.com/tlsmon/tlsmon/internal/corpus"
	"github.com/tlsmon/tlsmon/packet"
)

// openMappedT opens a capture through a memory map (nil if it cannot be: pcapng).
func openMappedT(t *testing.T, path string) capture.Reader {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	r, err := capture.OpenMapped(path, f, nil)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// selfRoutedRun runs a capture with n self-routed shards (forced, whatever the CPUs),
// through the turns (Handler) or, with split, the shards' own consumers and the merger,
// and renders the events as renderRun does.
func selfRoutedRun(t *testing.T, path string, opts Options, n int, split bool) (string, Stats) {
	t.Helper()
	r := openMappedT(t, path)
	if r == nil {
		t.Fatalf("%s cannot be mapped", path)
	}
	defer r.Close()
	if _, ok := r.(capture.Cursors); !ok {
		t.Fatal("the mapped reader has no cursors")
	}
	opts.Workers = n
	var b []byte
	if split {
		opts.Split = &Split{
			Shard:  func(_ int, out *Outbox) ShardConsumer { return &lineConsumer{out: out} },
			Merged: linesMerged{&b},
		}
	} else {
		opts.Handler = tlsmon.HandlerFunc(func(ev tlsmon.Event) { b, _ = renderEvent(b, ev) })
	}
	st, err := runRouted(r, opts, routeSelf)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return string(b), st
}

// lineConsumer puts each event's rendering (renderEvent) as a line.
type lineConsumer struct {
	out  *Outbox
	line []byte
}

func (c *lineConsumer) HandleEvent(ev tlsmon.Event) {
	var ok bool
	if c.line, ok = renderEvent(c.line[:0], ev); ok {
		c.out.Line(0, c.line)
	}
}

func (c *lineConsumer) End() {}

type linesMerged struct{ b *[]byte }

func (m linesMerged) Line(_ int, line []byte)    { *m.b = append(*m.b, line...) }
func (m linesMerged) Event(tlsmon.Event, []byte) {}

// Self-routed shards (every shard walking the whole mapped file and routing every frame
// itself) give exactly one engine's events, uids included, and its counters, on every
// corpus capture and testdata/sample.pcap, for 2, 3 and 8 shards, through the turns and
// through the shards' own consumers (Split); under -race in CI.
func TestSelfRoutedMatchOne(t *testing.T) {
	paths := []string{filepath.Join("..", "testdata", "sample.pcap")}
	dir := corpus.Dir(t)
	for _, c := range corpus.Index(t, dir) {
		paths = append(paths, filepath.Join(dir, "pcaps", c.File))
	}
	var mapped []string // the pcapng captures are not mapped
	for _, p := range paths {
		if r := openMappedT(t, p); r != nil {
			r.Close()
			mapped = append(mapped, p)
		}
	}
	if len(mapped) < 2 {
		t.Fatalf("%d captures mapped", len(mapped))
	}
	t.Logf("%d of %d captures mapped", len(mapped), len(paths))
	opts := []Options{{}, {Recover: Recover{Enabled: true}, Analyzer: analyzer.Options{AnalyzeEncrypted: true}}}
	for oi, o := range opts {
		for pi, p := range mapped {
			r, err := capture.Open(p)
			if err != nil {
				t.Fatal(err)
			}
			var want []byte
			o1 := o
			o1.Handler = tlsmon.HandlerFunc(func(ev tlsmon.Event) { want, _ = renderEvent(want, ev) })
			e := New(o1)
			if err := e.Run(r); err != nil {
				t.Fatal(err)
			}
			r.Close()
			one := e.Stats()
			for _, n := range []int{2, 3, 8} {
				// The second option set, and Split, on a part of the matrix (CI time).
				split := (n+pi)%2 == 0
				if oi == 1 && n != 3 {
					continue
				}
				got, st := selfRoutedRun(t, p, o, n, split)
				if got != string(want) {
					t.Errorf("options %d, %s, %d shards (split %v): %s", oi, filepath.Base(p), n, split, firstDiff(string(want), got))
				}
				if st.Packets != one.Packets || st.Bytes != one.Bytes || st.IPPackets != one.IPPackets ||
					st.Skipped != one.Skipped || st.Connections != one.Connections || st.DecodeErrors != one.DecodeErrors {
					t.Errorf("options %d, %s, %d shards: counters %+v, one engine %+v", oi, filepath.Base(p), n, st, one)
				}
			}
		}
	}
}

// A self-routed run over a capture whose last record is cut short reports the error one
// engine reports, once, after the same events.
func TestSelfRoutedCaptureError(t *testing.T) {
	cut := cutSampleT(t)
	var want []byte
	r := openMappedT(t, cut)
	wantErr := New(Options{Handler: tlsmon.HandlerFunc(func(ev tlsmon.Event) { want, _ = renderEvent(want, ev) })}).Run(r)
	r.Close()
	if wantErr == nil {
		t.Fatal("one engine: no error on a cut capture")
	}
	for _, n := range []int{2, 3} {
		r := openMappedT(t, cut)
		var got []byte
		_, err := runRouted(r, Options{Workers: n, Handler: tlsmon.HandlerFunc(func(ev tlsmon.Event) { got, _ = renderEvent(got, ev) })}, routeSelf)
		r.Close()
		if err == nil || err.Error() != wantErr.Error() || string(got) != string(want) {
			t.Errorf("%d shards: error %v (one engine: %v), events equal: %v", n, err, wantErr, string(got) == string(want))
		}
	}
}

// A closed Options.Stop ends a self-routed run before its first frame; the shards still
// end (flush) and the run returns no error.
func TestSelfRoutedStop(t *testing.T) {
	stop := make(chan struct{})
	close(stop)
	r := openMappedT(t, filepath.Join("..", "testdata", "sample.pcap"))
	defer r.Close()
	st, err := runRouted(r, Options{Workers: 2, Stop: stop}, routeSelf)
	if err != nil || st.Packets != 0 {
		t.Errorf("stopped run: %v, %d packets", err, st.Packets)
	}
}

// A mapping truncated under a self-routed run ends it with ErrMappedFault, not SIGBUS.
func TestSelfRoutedTruncated(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("memory-mapped reading is tested on Linux")
	}
	for _, n := range []int{2, 3} {
		p, r := mappedSampleCopy(t)
		if err := os.Truncate(p, 4096); err != nil {
			t.Fatal(err)
		}
		_, err := runRouted(r, Options{Workers: n}, routeSelf)
		if !errors.Is(err, capture.ErrMappedFault) {
			t.Errorf("%d shards: Run = %v, want ErrMappedFault", n, err)
		}
		r.Close()
	}
}

// The path chosen: self-routed below eight CPUs with no more shards than CPUs, when the
// reader has cursors; the dispatcher otherwise.
func TestSelfRouteFor(t *testing.T) {
	for _, c := range []struct {
		n, procs int
		want     bool
	}{{1, 2, false}, {2, 2, true}, {3, 2, false}, {2, 4, true}, {4, 4, true}, {2, 8, false}, {8, 16, false}} {
		if got := selfRouteFor(c.n, c.procs); got != c.want {
			t.Errorf("selfRouteFor(%d, %d) = %v", c.n, c.procs, got)
		}
	}
	r, err := capture.Open(filepath.Join("..", "testdata", "sample.pcap")) // buffered: no cursors
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if _, ok := selfRouted(r, 2, routeSelf); ok {
		t.Error("a reader without cursors self-routed")
	}
}

// BenchmarkSelfRouteWalk is what a self-routed shard does besides its own frames, alone:
// walk the whole mapped perfmix with a cursor and route every frame (ShardOf, 2 shards).
// pkts/s with -cpu 1 is one shard's walking rate; cpu-ms/op its cost per pass, which every
// shard pays.
func BenchmarkSelfRouteWalk(b *testing.B) {
	path := perfmixPath(b)
	var pkts uint64
	cpu0 := cpuTime()
	for range b.N {
		fl, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		r, err := capture.OpenMapped(path, fl, nil)
		if r == nil || err != nil {
			b.Fatal("cannot map", path, err)
		}
		cs, _ := r.(capture.Cursors).Cursors(1)
		route, _ := routeDecoder(Options{}, 2, 2)
		var f capture.Frame
		var p packet.Packet
		owned := 0
		for cs[0].Next(&f) == nil {
			pkts++
			owned += ShardOf(route, &f, 2, &p)
		}
		cs[0].Close()
		r.Close()
		fl.Close()
		if owned == 0 {
			b.Fatal("no frame for shard 1")
		}
	}
	reportPerfmix(b, pkts, cpu0)
}
