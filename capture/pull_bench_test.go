//go:build unix

package capture

import (
	"encoding/binary"
	"os"
	"sync"
	"testing"
)

// BenchmarkPerfmixPull measures what it costs to bring perfmix's bytes into the cores that
// process them when two goroutines split its frames by connection, against one goroutine
// bringing in all of them: the memory side of a two-worker run, without any analysis. Each
// frame a goroutine owns has every cache line read once (as the analysis reads its frame);
// owners are a symmetric hash of the IPv4 address pair, as the engine routes. Each pass maps
// the file afresh (page faults included; the file is in the page cache). Run with two CPUs:
//
//	go test -run '^$' -bench PerfmixPull -benchtime 5x -cpu 2 ./capture
//
// The sub-benchmarks: "one" is one reader (OpenMapped) reading every frame's lines, what one
// engine brings in. "cursors2" is two cursors (Cursors), each walking every record and
// reading its own frames' lines, as the self-routed shards do. "parts2" has each goroutine
// walk every other 1 MiB part, read its own frames' lines and list the other's frames, then
// read its own frames from the other's lists: a shared walk (the record offsets at the cuts
// are found before the timing). "ideal2" has each goroutine read only its own frames'
// lines, their offsets found before the timing: no walk at all, the floor for any split.
//
// docs/SCALING.md ("Where it stands (end of the fifth round …): the ceiling of two workers
// on one file") gives the figures and what they imply for two workers on two cores.
func BenchmarkPerfmixPull(b *testing.B) {
	p := perfmixPath(b)
	recs, err := pullIndex(p)
	if err != nil {
		b.Skip(err)
	}
	sink := make([]byte, 2) // the reads' sums, so that they are not optimized away
	b.Run("one", func(b *testing.B) {
		for range b.N {
			f, r := pullOpen(b, p)
			var fr Frame
			var x byte
			for r.Next(&fr) == nil {
				x += readLines(fr.Data)
			}
			sink[0] += x
			r.Close()
			f.Close()
		}
		pullReport(b)
	})
	b.Run("cursors2", func(b *testing.B) {
		for range b.N {
			f, r := pullOpen(b, p)
			cs, ok := r.(Cursors).Cursors(2)
			if !ok {
				b.Fatal("no cursors")
			}
			var wg sync.WaitGroup
			for k, c := range cs {
				wg.Go(func() {
					var fr Frame
					var x byte
					for c.Next(&fr) == nil {
						if pullOwner(fr.Data) == k {
							x += readLines(fr.Data)
						} else {
							x += fr.Data[0]
						}
					}
					sink[k] += x
					c.Close()
				})
			}
			wg.Wait()
			r.Close()
			f.Close()
		}
		pullReport(b)
	})
	b.Run("parts2", func(b *testing.B) {
		cuts := recs.cuts(1 << 20)
		for range b.N {
			m, done := pullMap(b, p)
			pullParts(m, cuts, sink)
			done()
		}
		pullReport(b)
	})
	b.Run("ideal2", func(b *testing.B) {
		own := recs.owned()
		for range b.N {
			m, done := pullMap(b, p)
			var wg sync.WaitGroup
			for k := range own {
				wg.Go(func() {
					var x byte
					for _, r := range own[k] {
						x += readLines(m[r.start:r.end])
					}
					sink[k] += x
				})
			}
			wg.Wait()
			done()
		}
		pullReport(b)
	})
}

// pullRec is one record of the file: its header's offset, its frame's bounds, its owner.
type pullRec struct {
	head, start, end int
	owner            int
}

type pullRecs []pullRec

// pullIndex walks the classic little-endian pcap file at path once and lists its records.
func pullIndex(path string) (pullRecs, error) {
	m, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if len(m) < 24 || binary.LittleEndian.Uint32(m) != 0xa1b2c3d4 {
		return nil, os.ErrInvalid
	}
	var rs pullRecs
	for off := 24; off+16 <= len(m); {
		start := off + 16
		end := start + int(binary.LittleEndian.Uint32(m[off+8:]))
		if end > len(m) {
			break
		}
		rs = append(rs, pullRec{off, start, end, pullOwner(m[start:end])})
		off = end
	}
	return rs, nil
}

// cuts returns the offset of the first record at or after every step bytes, and the end.
func (rs pullRecs) cuts(step int) []int {
	var c []int
	next := 0
	for _, r := range rs {
		if r.head >= next {
			c = append(c, r.head)
			next = (r.head/step + 1) * step
		}
	}
	return append(c, rs[len(rs)-1].end)
}

// owned splits the records by owner.
func (rs pullRecs) owned() [2][]pullRec {
	var o [2][]pullRec
	for _, r := range rs {
		o[r.owner] = append(o[r.owner], r)
	}
	return o
}

// pullParts is parts2's pass over the mapping m: goroutine k walks parts k, k+2, …, reads
// its own frames' lines, and lists the others' frames for the other goroutine, which reads
// them when the part is done (never waiting for it before the end of its own parts).
func pullParts(m []byte, cuts []int, sink []byte) {
	np := len(cuts) - 1
	lists := make([][]pullRec, np)
	ready := make([]chan struct{}, np)
	for i := range ready {
		ready[i] = make(chan struct{})
	}
	var wg sync.WaitGroup
	for k := range 2 {
		wg.Go(func() {
			var x byte
			other := 1 - k
			consume := func(wait bool) {
				for ; other < np; other += 2 {
					if wait {
						<-ready[other]
					} else {
						select {
						case <-ready[other]:
						default:
							return
						}
					}
					for _, r := range lists[other] {
						x += readLines(m[r.start:r.end])
					}
				}
			}
			for part := k; part < np; part += 2 {
				var l []pullRec
				for off := cuts[part]; off < cuts[part+1]; {
					start := off + 16
					end := start + int(binary.LittleEndian.Uint32(m[off+8:]))
					if pullOwner(m[start:end]) == k {
						x += readLines(m[start:end])
					} else {
						l = append(l, pullRec{off, start, end, 1 - k})
					}
					off = end
				}
				lists[part] = l
				close(ready[part])
				consume(false)
			}
			consume(true)
			sink[k] += x
		})
	}
	wg.Wait()
}

// pullOwner is 0 or 1 from a symmetric hash of an Ethernet/IPv4 frame's address pair (0
// for any other frame).
func pullOwner(d []byte) int {
	if len(d) < 34 || d[12] != 0x08 || d[13] != 0x00 {
		return 0
	}
	h := uint64(binary.LittleEndian.Uint32(d[26:])^binary.LittleEndian.Uint32(d[30:])) * 0x9e3779b97f4a7c15
	return int(h >> 63)
}

// readLines reads one byte of every cache line of d.
func readLines(d []byte) byte {
	var x byte
	for i := 0; i < len(d); i += 64 {
		x += d[i]
	}
	return x
}

func pullOpen(b *testing.B, p string) (*os.File, Reader) {
	f, err := os.Open(p)
	if err != nil {
		b.Fatal(err)
	}
	r, err := OpenMapped(p, f, nil)
	if r == nil || err != nil {
		b.Fatal("not mapped", err)
	}
	return f, r
}

func pullMap(b *testing.B, p string) ([]byte, func()) {
	f, err := os.Open(p)
	if err != nil {
		b.Fatal(err)
	}
	fi, err := f.Stat()
	if err != nil {
		b.Fatal(err)
	}
	m, unmap, ok := mapFile(f, fi.Size())
	if !ok {
		b.Fatal("not mapped")
	}
	return m, func() { unmap(); f.Close() }
}

func pullReport(b *testing.B) {
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "wall-ms/op")
}
