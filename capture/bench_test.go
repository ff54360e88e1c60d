package capture

import (
	"bufio"
	"encoding/binary"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// synthPcap writes a classic pcap of n frames of size bytes each to a temp file.
func synthPcap(b testing.TB, n, size int) (string, int64) {
	b.Helper()
	p := filepath.Join(b.TempDir(), "synth.pcap")
	f, err := os.Create(p)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	le := binary.LittleEndian
	h := make([]byte, 24)
	le.PutUint32(h, 0xa1b2c3d4)
	le.PutUint16(h[4:], 2)
	le.PutUint16(h[6:], 4)
	le.PutUint32(h[16:], 65535)
	le.PutUint32(h[20:], 1)
	_, _ = w.Write(h)
	rec := make([]byte, 16+size)
	for i := range n {
		le.PutUint32(rec, uint32(1400000000+i/1000))
		le.PutUint32(rec[4:], uint32(i%1000)*1000)
		le.PutUint32(rec[8:], uint32(size))
		le.PutUint32(rec[12:], uint32(size))
		rec[16] = byte(i)
		_, _ = w.Write(rec)
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	st, _ := f.Stat()
	f.Close()
	return p, st.Size()
}

const benchFrames, benchFrameSize = 100_000, 600 // ~ 62 MB

func BenchmarkReadPcap(b *testing.B) {
	p, size := synthPcap(b, benchFrames, benchFrameSize)
	b.SetBytes(size)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		r, err := Open(p)
		if err != nil {
			b.Fatal(err)
		}
		var f Frame
		var x int
		n := 0
		for r.Next(&f) == nil {
			x += int(f.Data[0])
			n++
		}
		_ = r.Close()
		if n != benchFrames {
			b.Fatalf("read %d frames", n)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*benchFrames), "ns/packet")
}

// BenchmarkPerfmixRead reads perfmix.pcap (see docs/PERFORMANCE.md; TLSMON_PERFMIX overrides
// the path) frame by frame: the reader's share of the pipeline, to compare with the bare
// read loop of ../shared/tools/readloop.
func BenchmarkPerfmixRead(b *testing.B) {
	p := perfmixPath(b)
	b.ReportAllocs()
	var pkts uint64
	for range b.N {
		r, err := Open(p)
		if err != nil {
			b.Fatal(err)
		}
		var f Frame
		var x int
		for r.Next(&f) == nil {
			x += int(f.Data[0])
			pkts++
		}
		_ = r.Close()
	}
	b.ReportMetric(float64(pkts)/b.Elapsed().Seconds(), "pkts/s")
}

// BenchmarkPerfmixReadMapped is BenchmarkPerfmixRead through OpenMapped, reading ahead
// (AheadReader) with two CPUs or more as a sharded run's dispatcher does.
func BenchmarkPerfmixReadMapped(b *testing.B) {
	p := perfmixPath(b)
	b.ReportAllocs()
	var pkts uint64
	runtime.LockOSThread() // threadCPU is this goroutine's: the reader's own CPU time
	defer runtime.UnlockOSThread()
	cpu0, sys0 := threadCPU(), threadSys()
	for range b.N {
		fl, err := os.Open(p)
		if err != nil {
			b.Fatal(err)
		}
		r, err := OpenMapped(p, fl, nil)
		if r == nil || err != nil {
			b.Fatal("not mapped", err)
		}
		if runtime.GOMAXPROCS(0) >= 2 {
			r.(AheadReader).ReadAhead() // as a sharded run's dispatcher reads
		}
		var f Frame
		var x int
		for r.Next(&f) == nil {
			x += int(f.Data[0])
			pkts++
		}
		_ = r.Close()
		fl.Close()
	}
	b.ReportMetric(float64(pkts)/b.Elapsed().Seconds(), "pkts/s")
	b.ReportMetric(float64(threadCPU()-cpu0)/1e6/float64(b.N), "reader-cpu-ms/op")
	b.ReportMetric(float64(threadSys()-sys0)/1e6/float64(b.N), "reader-sys-ms/op")
}

// perfmixPath is the speed-reference capture (docs/PERFORMANCE.md says how to build it);
// TLSMON_PERFMIX overrides it. The benchmark is skipped when it is missing.
func perfmixPath(b *testing.B) string {
	p := os.Getenv("TLSMON_PERFMIX")
	if p == "" {
		p = "/tmp/perfmix.pcap"
	}
	if _, err := os.Stat(p); err != nil {
		b.Skipf("perfmix capture not found at %s (see docs/PERFORMANCE.md, or set TLSMON_PERFMIX)", p)
	}
	return p
}
