package engine

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/tlsmon/tlsmon/capture"
	"github.com/tlsmon/tlsmon/internal/corpus"
)

// dispatchRecord runs dispatchWith over the file at path (read through the memory map when
// it is a classic pcap) and renders what the shards receive: per frame index, its shard
// and the frame; then the error.
func dispatchRecord(t *testing.T, path string, n, readers, size int) string {
	t.Helper()
	fl, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fl.Close()
	r, err := capture.OpenMapped(path, fl, nil)
	if err != nil {
		return "open: " + err.Error()
	}
	if r == nil {
		if r, err = capture.NewReader(path, fl); err != nil {
			return "open: " + err.Error()
		}
	}
	defer r.Close()
	got := make([][]string, n)
	next := make([]uint64, n)
	err = runFakeShards(n, func(s int, bt *batch) {
		if want := max(next[s], 1); bt.first != want {
			got[s] = append(got[s], fmt.Sprintf("batch at %d, want %d", bt.first, want))
		}
		next[s] = bt.first + uint64(len(bt.frames))
		prev := int32(-1)
		for _, k := range bt.own[s] {
			if k <= prev {
				got[s] = append(got[s], "list not ascending")
			}
			prev = k
			f := &bt.frames[k]
			h := fnv.New64a()
			h.Write(f.Data)
			got[s] = append(got[s], fmt.Sprintf("%d: ts %d lt %d wire %d %s len %d %x",
				bt.first+uint64(k), f.Ts, f.LinkType, f.WireLen, f.File, len(f.Data), h.Sum64()))
		}
	}, func(shards []*shard, free chan *batch) error {
		return dispatchWith(r, shards, free, Options{}, readers, size)
	})
	var b strings.Builder
	for s, l := range got {
		fmt.Fprintf(&b, "shard %d: %d frames\n%s\n", s, len(l), strings.Join(l, "\n"))
	}
	fmt.Fprintf(&b, "end: %v\n", err)
	return b.String()
}

// Parallel readers hand the shards exactly what the serial dispatcher hands them — every
// frame with its index, content and shard, and the final error — on every corpus capture
// and on captures made to trip the part finder, for tiny parts (many of them, starts found
// in the middle of records).
func TestDispatchPartsMatchSerial(t *testing.T) {
	paths := []string{filepath.Join("..", "testdata", "sample.pcap")}
	dir := corpus.Dir(t)
	for _, c := range corpus.Index(t, dir) {
		paths = append(paths, filepath.Join(dir, "pcaps", c.File))
	}
	paths = append(paths, partsEdgeFiles(t)...)
	for _, p := range paths {
		want := dispatchRecord(t, p, 3, 1, partSize)
		for _, c := range []struct{ readers, size int }{{2, 300}, {3, 1000}, {2, 4096}} {
			if got := dispatchRecord(t, p, 3, c.readers, c.size); got != want {
				t.Errorf("%s, %d readers, parts of %d: %s", filepath.Base(p), c.readers, c.size, firstDiff(want, got))
			}
		}
	}
}

// partsEdgeFiles writes captures that the part finder must not get wrong: a truncated last
// record, a record above the snaplen in the middle, snaplen 0 and huge, nanosecond and
// big-endian files, records whose bytes look like record headers, and a link type that is
// not Ethernet (every frame routed by the sequencer).
func partsEdgeFiles(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", "sample.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	var out []string
	write := func(name string, data []byte) {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		out = append(out, p)
	}
	type rec struct {
		ts   uint32
		data []byte
		cap  int // captured length written (-1: len(data))
	}
	file := func(order binary.ByteOrder, magic, snap, link uint32, recs []rec) []byte {
		h := make([]byte, 24)
		order.PutUint32(h, magic)
		order.PutUint16(h[4:], 2)
		order.PutUint16(h[6:], 4)
		order.PutUint32(h[16:], snap)
		order.PutUint32(h[20:], link)
		for _, r := range recs {
			c := r.cap
			if c < 0 {
				c = len(r.data)
			}
			var rh [16]byte
			order.PutUint32(rh[:], r.ts)
			order.PutUint32(rh[4:], 7)
			order.PutUint32(rh[8:], uint32(c))
			order.PutUint32(rh[12:], uint32(max(c, len(r.data))))
			h = append(append(h, rh[:]...), r.data...)
		}
		return h
	}
	// Frames of sample.pcap as records of other files.
	var frames [][]byte
	fl, _ := os.Open(filepath.Join("..", "testdata", "sample.pcap"))
	rd, err := capture.NewReader("s", fl)
	if err != nil {
		t.Fatal(err)
	}
	var f capture.Frame
	for rd.Next(&f) == nil {
		frames = append(frames, append([]byte(nil), f.Data...))
	}
	fl.Close()
	recs := func(fix func(i int, r *rec)) []rec {
		var rs []rec
		for i, d := range frames {
			r := rec{ts: uint32(1000 + i), data: d, cap: -1}
			if fix != nil {
				fix(i, &r)
			}
			rs = append(rs, r)
		}
		return rs
	}
	le, be := binary.LittleEndian, binary.BigEndian
	write("truncated-last.pcap", b[:len(b)-5])
	write("truncated-header.pcap", b[:len(b)-len(frames[len(frames)-1])-8])
	write("nano-be.pcap", file(be, 0xa1b23c4d, 65535, 1, recs(nil)))
	write("snaplen0.pcap", file(le, 0xa1b2c3d4, 0, 1, recs(nil)))
	write("snaplen-huge.pcap", file(le, 0xa1b2c3d4, 0xffffffff, 1, recs(nil)))
	write("above-snaplen.pcap", file(le, 0xa1b2c3d4, 1500, 1, recs(func(i int, r *rec) {
		if i == len(frames)/2 {
			r.data = append(append([]byte(nil), r.data...), make([]byte, 1600)...)
		}
	})))
	write("caplen-absurd.pcap", file(le, 0xa1b2c3d4, 65535, 1, recs(func(i int, r *rec) {
		if i == len(frames)/2 {
			r.cap = 1 << 30
		}
	})))
	write("raw-ip.pcap", file(le, 0xa1b2c3d4, 65535, 101, recs(func(_ int, r *rec) { r.data = r.data[14:] })))
	// Payloads that hold whole fake record chains: a part's start may be found inside them.
	write("decoys.pcap", file(le, 0xa1b2c3d4, 65535, 1, recs(func(i int, r *rec) {
		if i%3 == 0 {
			fake := file(le, 0xa1b2c3d4, 65535, 1, []rec{{ts: 1000, data: make([]byte, 20), cap: -1}, {ts: 1000, data: make([]byte, 4), cap: -1}})[24:]
			d := append([]byte(nil), r.data...)
			for range 12 {
				d = append(d, fake...)
			}
			r.data = d
		}
	})))
	write("empty.pcap", b[:24])
	return out
}

// A capture truncated under the memory map while parallel readers walk it: the dispatcher
// returns capture.ErrMappedFault (the walkers' faults are recovered), nothing crashes.
// (A cut before the split faults in Split, on the dispatcher's goroutine, as
// TestMappedFileTruncated's serial read does.)
func TestDispatchPartsTruncated(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("memory-mapped reading is tested on Linux")
	}
	for _, cut := range []int{4096, 12288} {
		p, r := mappedSampleCopy(t) // mapped_fault_test.go
		// Cut after the split: the walkers meet the fault.
		parts, ok := r.(capture.Splitter).Split(1000)
		if !ok {
			t.Fatal("not split")
		}
		if err := os.Truncate(p, int64(cut)); err != nil {
			t.Fatal(err)
		}
		err := runFakeShards(2, nil, func(shards []*shard, free chan *batch) error {
			return faultGuard(func() error { return dispatchParts(parts, shards, free, Options{}, 2) })
		})
		if !errors.Is(err, capture.ErrMappedFault) {
			t.Errorf("cut at %d: %v, want ErrMappedFault", cut, err)
		}
		r.Close()
	}
}

// Run with parallel readers (a mapped capture of several parts, eight CPUs as far as
// the dispatcher can tell) reports exactly what one engine reports: sample.pcap's records
// repeated 250 times (5 MB), each copy 1,000 s after the previous one.
func TestRunPartsMatchOne(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "testdata", "sample.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	if binary.LittleEndian.Uint32(b) != 0xa1b2c3d4 {
		t.Skip("sample.pcap is not a little-endian microsecond pcap")
	}
	big := append([]byte(nil), b[:24]...)
	for c := range 250 {
		for off := 24; off+16 <= len(b); {
			n := int(binary.LittleEndian.Uint32(b[off+8:]))
			rec := append([]byte(nil), b[off:off+16+n]...)
			binary.LittleEndian.PutUint32(rec, binary.LittleEndian.Uint32(rec)+uint32(c*1000))
			big = append(big, rec...)
			off += 16 + n
		}
	}
	p := filepath.Join(t.TempDir(), "big.pcap")
	if err := os.WriteFile(p, big, 0o644); err != nil {
		t.Fatal(err)
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(8))
	if readersFor(3, procs()) < 2 {
		t.Fatal("no parallel readers with eight CPUs")
	}
	fl, _ := os.Open(p)
	m, _ := capture.OpenMapped(p, fl, nil)
	if parts, ok := m.(capture.Splitter).Split(partSize); !ok || len(parts.Bounds) < 3 {
		t.Fatal("the capture is not cut into parts")
	}
	m.Close()
	fl.Close()
	want := renderRun(t, p, Options{})
	if got := workersRun(t, p, Options{Workers: 3}); got != want { // mapped for 3 workers
		t.Errorf("3 workers, parallel readers: %s", firstDiff(want, got))
	}
}
