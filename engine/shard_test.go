package engine

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/tlsmon/tlsmon"
	"github.com/tlsmon/tlsmon/analyzer"
	"github.com/tlsmon/tlsmon/capture"
	"github.com/tlsmon/tlsmon/internal/corpus"
	"github.com/tlsmon/tlsmon/packet"
)

// shardRecord is one event rendered by a shard, with its position in the run's order.
type shardRecord struct {
	o    Order
	text []byte
}

// shardedRun runs n engines over a capture, each processing the frames routed to it and
// told of the others (Tick), renders each engine's events tagged with their Order, and
// merges them by Order (an engine's own events keeping their order).
func shardedRun(t *testing.T, path string, opts Options, n int) string {
	r, err := capture.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	engines := make([]*Engine, n)
	recs := make([][]shardRecord, n)
	for s := range engines {
		o := opts
		o.Handler = tlsmon.HandlerFunc(func(ev tlsmon.Event) {
			if b, ok := renderEvent(nil, ev); ok {
				recs[s] = append(recs[s], shardRecord{engines[s].Order(), b})
			}
		})
		engines[s] = New(o)
	}
	route := packet.NewDecoder(packet.Config{})
	var p packet.Packet
	var f capture.Frame
	for i := uint64(1); ; i++ {
		if err := r.Next(&f); err != nil {
			break
		}
		own := ShardOf(route, &f, n, &p)
		for s, e := range engines {
			if s == own {
				e.FrameAt(i, &f)
			} else {
				e.Tick(i, f.Ts)
			}
		}
	}
	var all []shardRecord
	for s, e := range engines {
		e.Flush()
		all = append(all, recs[s]...)
	}
	slices.SortStableFunc(all, func(a, b shardRecord) int { return a.o.Compare(&b.o) })
	var out []byte
	for _, rec := range all {
		out = append(out, rec.text...)
	}
	return string(out)
}

// Engines given a capture's frames by connection (FrameAt) and told of the others (Tick)
// raise, merged by Order, exactly the events one engine raises, uids included, for any
// number of them: the core of a sharded run (docs/SCALING.md).
func TestShardedEnginesMatchOne(t *testing.T) {
	paths := []string{filepath.Join("..", "testdata", "sample.pcap")}
	dir := corpus.Dir(t)
	for _, c := range corpus.Index(t, dir) {
		paths = append(paths, filepath.Join(dir, "pcaps", c.File))
	}
	opts := []Options{{}, {Recover: Recover{Enabled: true}, Analyzer: analyzer.Options{AnalyzeEncrypted: true}}}
	for oi, o := range opts {
		for _, p := range paths {
			want := renderRun(t, p, o)
			for _, n := range []int{1, 2, 3, 8} {
				if got := shardedRun(t, p, o, n); got != want {
					t.Errorf("options %d, %s, %d shards: %s", oi, filepath.Base(p), n, firstDiff(want, got))
				}
			}
		}
	}
}

func firstDiff(want, got string) string {
	w, g := bytes.Split([]byte(want), []byte("\n")), bytes.Split([]byte(got), []byte("\n"))
	for i := range min(len(w), len(g)) {
		if !bytes.Equal(w[i], g[i]) {
			return fmt.Sprintf("line %d: want %q, got %q", i+1, w[i], g[i])
		}
	}
	return fmt.Sprintf("%d lines, want %d", len(g), len(w))
}

// By hand on a large capture (TLSMON_SHARD_PCAP=/tmp/perfmix.pcap go test ./engine -run
// ShardedLarge): the same comparison for 1 and 2 shards, keeping a 64-bit hash of each
// rendered event rather than its text.
func TestShardedLarge(t *testing.T) {
	path := os.Getenv("TLSMON_SHARD_PCAP")
	if path == "" {
		t.Skip("TLSMON_SHARD_PCAP not set")
	}
	want := hashLines(renderRun(t, path, Options{}))
	for _, n := range []int{2, 3} {
		got := hashLines(shardedRun(t, path, Options{}, n))
		if !slices.Equal(got, want) {
			t.Errorf("%d shards: %d events, one engine %d; first difference at %d", n, len(got), len(want),
				func() int {
					for i := range min(len(got), len(want)) {
						if got[i] != want[i] {
							return i
						}
					}
					return min(len(got), len(want))
				}())
		}
	}
	t.Logf("%d events", len(want))
}

func hashLines(s string) []uint64 {
	var hs []uint64
	for line := range strings.Lines(s) {
		h := uint64(14695981039346656037)
		for i := 0; i < len(line); i++ {
			h = (h ^ uint64(line[i])) * 1099511628211
		}
		hs = append(hs, h)
	}
	return hs
}

// workersRun renders what Run reports with opts.Workers engines.
func workersRun(t *testing.T, path string, opts Options) string {
	r, err := capture.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if opts.Workers >= 3 { // frames by reference from a mapped file where it can be mapped
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if m, err := capture.OpenMapped(path, f, nil); m != nil && err == nil {
			r.Close()
			r = m
		}
	}
	defer r.Close()
	var b []byte
	opts.Handler = tlsmon.HandlerFunc(func(ev tlsmon.Event) { b, _ = renderEvent(b, ev) })
	if _, err := Run(r, opts); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return string(b)
}

// Run with 1, 2, 3 and 8 workers hands the Handler exactly the events of one engine, on
// every corpus capture (under -race: the shards run in parallel).
func TestRunWorkersMatchOne(t *testing.T) {
	paths := []string{filepath.Join("..", "testdata", "sample.pcap")}
	dir := corpus.Dir(t)
	for _, c := range corpus.Index(t, dir) {
		paths = append(paths, filepath.Join(dir, "pcaps", c.File))
	}
	opts := []Options{{}, {Recover: Recover{Enabled: true}, Analyzer: analyzer.Options{AnalyzeEncrypted: true}}}
	for oi, o := range opts {
		for _, p := range paths {
			want := renderRun(t, p, o)
			for _, n := range []int{1, 2, 3, 8} {
				o.Workers = n
				if got := workersRun(t, p, o); got != want {
					t.Errorf("options %d, %s, %d workers: %s", oi, filepath.Base(p), n, firstDiff(want, got))
				}
			}
		}
	}
}

// A capture cut short: Run with several workers reports the error one engine reports, after
// the same events (every connection flushed).
func TestRunWorkersCaptureError(t *testing.T) {
	cut := cutSampleT(t)
	run := func(n int) (string, string) {
		r, err := capture.Open(cut)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		var out []byte
		_, err = Run(r, Options{Workers: n, Handler: tlsmon.HandlerFunc(func(ev tlsmon.Event) { out, _ = renderEvent(out, ev) })})
		if err == nil {
			t.Fatalf("%d workers: no error on a cut capture", n)
		}
		return string(out), err.Error()
	}
	wantOut, wantErr := run(1)
	for _, n := range []int{2, 3} {
		if out, e := run(n); out != wantOut || e != wantErr {
			t.Errorf("%d workers: error %q (one engine: %q), events equal: %v", n, e, wantErr, out == wantOut)
		}
	}
}

// mixV4 is mixAddr of an IPv4-mapped address.
func TestMixV4(t *testing.T) {
	for _, x := range []uint32{0, 1, 0x0a000001, 0xc0a80101, 0x7f000001, 0xffffffff, 0x80000000} {
		if got, want := mixV4(x), mixAddr(addr{0, 0xffff<<32 | uint64(x)}); got != want {
			t.Errorf("%#x: %#x, mixAddr %#x", x, got, want)
		}
	}
}

// The dispatcher's shortcut finds the addresses the decoder finds, on every Ethernet TCP
// frame of the corpus, and etherShard the shard of those addresses.
func TestTCPAddrsAsDecoder(t *testing.T) {
	dir := corpus.Dir(t)
	checked := 0
	for _, c := range corpus.Index(t, dir) {
		r, err := capture.Open(filepath.Join(dir, "pcaps", c.File))
		if err != nil {
			t.Fatal(err)
		}
		d := packet.NewDecoder(packet.Config{})
		var f capture.Frame
		var p packet.Packet
		for r.Next(&f) == nil {
			a, b, ok := tcpAddrs(f.Data)
			if f.LinkType != 1 || !ok {
				continue
			}
			if st, _ := d.DecodeLen(f.LinkType, f.Ts, f.Data, f.WireLen, &p); st != packet.OK || p.Proto != 6 {
				continue
			}
			checked++
			if a != addrWords(&p.Src) || b != addrWords(&p.Dst) {
				t.Fatalf("%s frame %d: %x %x, decoder %x %x", c.File, f.Num, a, b, p.Src, p.Dst)
			}
			for _, n := range []int{2, 3, 8} { // the in-place hash is addrShard's
				if s, want := etherShard(f.Data, n), addrShard(a, b, n); s != want {
					t.Fatalf("%s frame %d: etherShard %d, addrShard %d (%d shards)", c.File, f.Num, s, want, n)
				}
			}
		}
		r.Close()
	}
	if checked == 0 {
		t.Fatal("no frame checked")
	}
	t.Logf("%d frames", checked)
}

// The dispatcher hands Stable frames to the shards by reference and copies the others.
func TestDispatchByReference(t *testing.T) {
	path := filepath.Join("..", "testdata", "sample.pcap")
	for _, mapped := range []bool{false, true} {
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		var r capture.Reader
		if mapped {
			r, err = capture.OpenMapped(path, f, nil)
		} else {
			r, err = capture.NewReader(path, f)
		}
		if r == nil || err != nil {
			t.Fatal("cannot read", err)
		}
		sh := &shard{id: 0, in: make(chan *batch, 1000)}
		sh2 := &shard{id: 1, in: make(chan *batch, 1000)}
		if err := dispatch(r, []*shard{sh, sh2}, make(chan *batch), Options{}); err != io.EOF {
			t.Fatal(err)
		}
		close(sh.in)
		var frames, copied, owned int
		for b := range sh.in {
			frames += len(b.frames)
			owned += len(b.own[0]) + len(b.own[1])
			for k := range b.frames {
				if b.frames[k].Stable != mapped {
					t.Fatalf("mapped %v: frame Stable %v", mapped, b.frames[k].Stable)
				}
			}
			for _, c := range b.copied {
				if d := b.frames[c.k].Data; &d[0] != &b.data[c.off] {
					t.Fatalf("copied frame %d not in its batch's data", c.k)
				}
			}
			copied += len(b.copied)
		}
		r.Close()
		f.Close()
		if owned != frames || frames == 0 {
			t.Errorf("mapped %v: %d frames, %d owned", mapped, frames, owned)
		}
		if mapped && copied != 0 || !mapped && copied != frames {
			t.Errorf("mapped %v: %d of %d frames copied", mapped, copied, frames)
		}
	}
}

// A closed Options.Stop ends a sharded run early: the queued frames are dropped, the
// shards still drain their connections and the run returns.
func TestRunWorkersStop(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "testdata", "sample.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	close(stop)
	r, err := capture.NewReader("sample.pcap", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	all, err := Run(r, Options{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	r, _ = capture.NewReader("sample.pcap", bytes.NewReader(b))
	removed := 0
	st, err := Run(r, Options{Workers: 2, Stop: stop, Handler: tlsmon.HandlerFunc(func(ev tlsmon.Event) {
		if _, ok := ev.(*tlsmon.ConnectionStateRemove); ok {
			removed++
		}
	})})
	if err != nil {
		t.Fatal(err)
	}
	if st.Packets != 0 || removed != int(st.Connections) || all.Packets == 0 {
		t.Errorf("stopped run: %d packets processed (of %d), %d connections, %d removed", st.Packets, all.Packets, st.Connections, removed)
	}
}

// The shards' clock over other shards' frames (shard.process, batch.net): a capture whose
// times jump (timers fall due in runs of frames a shard does not own), go back and are
// negative gives with several workers the events one engine gives.
func TestRunWorkersClockEdges(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "testdata", "sample.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	out := append([]byte(nil), b[:24]...) // little-endian, microseconds
	for c := range 4 {
		for off, j := 24, 0; off+16 <= len(b); j++ {
			l := int(binary.LittleEndian.Uint32(b[off+8:]))
			rec := append([]byte(nil), b[off:off+16+l]...)
			sec := binary.LittleEndian.Uint32(rec) + uint32(c)*400 // past the inactivity timeouts
			switch {
			case j%13 == 5:
				sec |= 0x80000000 // a negative time
			case j%11 == 3:
				sec -= 40 // back in time
			}
			binary.LittleEndian.PutUint32(rec, sec)
			out = append(out, rec...)
			off += 16 + l
		}
	}
	path := filepath.Join(t.TempDir(), "clock.pcap")
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
	want := renderRun(t, path, Options{})
	for _, n := range []int{2, 3, 8} {
		if got := workersRun(t, path, Options{Workers: n}); got != want {
			t.Errorf("%d workers: %s", n, firstDiff(want, got))
		}
		if got, _ := selfRoutedRun(t, path, Options{}, n, n == 3); got != want { // selfroute.go
			t.Errorf("%d self-routed shards: %s", n, firstDiff(want, got))
		}
	}
}

// cutSampleT writes testdata/sample.pcap cut after two thirds of its bytes (its last record
// cut short) into a temporary file and returns its path.
func cutSampleT(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", "sample.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	cut := filepath.Join(t.TempDir(), "cut.pcap")
	if err := os.WriteFile(cut, b[:len(b)*2/3], 0o644); err != nil {
		t.Fatal(err)
	}
	return cut
}
