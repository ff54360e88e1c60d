package engine

import (
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/tlsmon/tlsmon/capture"
	"github.com/tlsmon/tlsmon/flow"
	"github.com/tlsmon/tlsmon/packet"
)

// dispatchBatch is a run of packets handed to one shard at once: one channel operation per
// batch, none per packet. Payloads are copied into data (capture buffers are reused).
type dispatchBatch struct {
	frames []uint64 // frame index of each packet (the merge key of docs/SCALING.md)
	pkts   []packet.Packet
	offs   []int // payload of pkts[i]: data[offs[i]:offs[i+1]]
	data   []byte
}

const (
	dispatchBatchPkts  = 256
	dispatchBatchBytes = 256 << 10
)

func (d *dispatchBatch) reset() {
	d.frames, d.pkts, d.offs, d.data = d.frames[:0], d.pkts[:0], append(d.offs[:0], 0), d.data[:0]
}

// BenchmarkPerfmixDispatch measures the serial part of the flow-sharded engine that
// docs/SCALING.md plans: read, decode (IP fragments reassembled), the symmetric key hash,
// and the hand-off of every packet (header and payload copied) to the batch of its shard,
// whose consumer only hands the batch back. With -cpu 1 its pkts/s is the dispatcher's
// rate on one core, the ceiling of a sharded run's throughput whatever the core count.
// copy=false hands off the headers only: the cost of a dispatcher that would pass capture
// buffers by reference instead of copying payloads. BenchmarkPerfmixDispatch/hash is read,
// decode and hash without any hand-off.
func BenchmarkPerfmixDispatch(b *testing.B) {
	path := perfmixPath(b)
	b.Run("hash", func(b *testing.B) {
		var pkts uint64
		cpu0 := cpuTime()
		for range b.N {
			pkts += dispatchOnce(b, path, 0, false)
		}
		reportPerfmix(b, pkts, cpu0)
	})
	for _, copyPayload := range []bool{true, false} {
		for _, shards := range []int{1, 2, 8, 16} {
			b.Run(fmt.Sprintf("copy=%v/shards=%d", copyPayload, shards), func(b *testing.B) {
				b.ReportAllocs()
				var pkts uint64
				cpu0 := cpuTime()
				for range b.N {
					pkts += dispatchOnce(b, path, shards, copyPayload)
				}
				reportPerfmix(b, pkts, cpu0)
			})
		}
	}
}

// dispatchOnce runs the dispatcher over the capture at path and returns the frames read;
// shards 0 stops after the hash (no hand-off).
func dispatchOnce(b *testing.B, path string, shards int, copyPayload bool) uint64 {
	r, err := capture.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	work := make([]chan *dispatchBatch, shards)
	free := make([]chan *dispatchBatch, shards)
	cur := make([]*dispatchBatch, shards)
	var wg sync.WaitGroup
	var seen uint64
	var mu sync.Mutex
	for i := range work {
		work[i] = make(chan *dispatchBatch, 8)
		free[i] = make(chan *dispatchBatch, 16)
		for range 12 {
			free[i] <- &dispatchBatch{}
		}
		cur[i] = <-free[i]
		cur[i].reset()
		wg.Add(1)
		go func(in, out chan *dispatchBatch) {
			defer wg.Done()
			var n uint64
			for bt := range in {
				n += uint64(len(bt.pkts))
				out <- bt
			}
			mu.Lock()
			seen += n
			mu.Unlock()
		}(work[i], free[i])
	}
	send := func(i int) {
		work[i] <- cur[i]
		cur[i] = <-free[i]
		cur[i].reset()
	}
	dec := packet.NewDecoder(packet.Config{})
	var f capture.Frame
	var p packet.Packet
	var frame, handed, sum uint64
	for r.Next(&f) == nil {
		frame++
		if st, _ := dec.DecodeLen(f.LinkType, f.Ts, f.Data, f.WireLen, &p); st != packet.OK {
			continue
		}
		k, _ := flow.MakeKey(p.Src, p.Dst, p.SrcPort, p.DstPort, p.Proto)
		if shards == 0 {
			sum += k.Hash()
			continue
		}
		i := int(k.Hash() % uint64(shards))
		bt := cur[i]
		bt.frames = append(bt.frames, frame)
		if copyPayload {
			bt.data = append(bt.data, p.Payload...)
		}
		bt.offs = append(bt.offs, len(bt.data))
		q := p
		q.Payload, q.Transport, q.Weirds = nil, nil, nil
		bt.pkts = append(bt.pkts, q)
		handed++
		if len(bt.pkts) == dispatchBatchPkts || len(bt.data) >= dispatchBatchBytes {
			send(i)
		}
	}
	for i := range cur {
		if len(cur[i].pkts) > 0 {
			send(i)
		}
		close(work[i])
	}
	wg.Wait()
	if seen != handed {
		b.Fatalf("%d packets handed off, %d received", handed, seen)
	}
	if sum == 1 {
		b.Log(sum) // keeps the hashes live
	}
	return frame
}

// BenchmarkPerfmixDispatchLean is the dispatcher reduced to what has to be serial, on a
// capture already in memory (as a mapped file would give it, so reading costs nothing
// here): walk the pcap records, find the 5-tuple of the common Ethernet (VLAN) / IPv4 /
// IPv6 / TCP / UDP frames (anything else, fragments included, would go to one designated
// shard: shard 0 here), hash it, and hand (frame index, offset) to the batch of its shard;
// the shards would decode their frames themselves. Its rate bounds what a zero-copy
// design can feed.
func BenchmarkPerfmixDispatchLean(b *testing.B) {
	path := perfmixPath(b)
	data, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	if len(data) < 24 || binary.LittleEndian.Uint32(data) != 0xa1b2c3d4 || binary.LittleEndian.Uint32(data[20:]) != 1 {
		b.Skip("not a little-endian microsecond Ethernet pcap")
	}
	for _, shards := range []int{1, 8, 16} {
		b.Run(fmt.Sprintf("shards=%d", shards), func(b *testing.B) {
			var pkts uint64
			cpu0 := cpuTime()
			b.ResetTimer()
			for range b.N {
				pkts += dispatchLean(b, data, shards)
			}
			reportPerfmix(b, pkts, cpu0)
		})
	}
}

type leanBatch struct {
	frames []uint64
	offs   []uint32
}

func dispatchLean(b *testing.B, data []byte, shards int) uint64 {
	work := make([]chan *leanBatch, shards)
	free := make([]chan *leanBatch, shards)
	cur := make([]*leanBatch, shards)
	var wg sync.WaitGroup
	for i := range work {
		work[i], free[i] = make(chan *leanBatch, 8), make(chan *leanBatch, 16)
		for range 12 {
			free[i] <- &leanBatch{}
		}
		cur[i] = <-free[i]
		wg.Add(1)
		go func(in, out chan *leanBatch) {
			defer wg.Done()
			for bt := range in {
				bt.frames, bt.offs = bt.frames[:0], bt.offs[:0]
				out <- bt
			}
		}(work[i], free[i])
	}
	var frame uint64
	for off := 24; off+16 <= len(data); {
		incl := int(binary.LittleEndian.Uint32(data[off+8:]))
		start := off + 16
		if start+incl > len(data) {
			break
		}
		frame++
		i := 0
		if k, ok := leanKey(data[start : start+incl]); ok {
			i = int(k.Hash() % uint64(shards))
		}
		bt := cur[i]
		bt.frames = append(bt.frames, frame)
		bt.offs = append(bt.offs, uint32(off))
		if len(bt.frames) == dispatchBatchPkts {
			work[i] <- bt
			cur[i] = <-free[i]
		}
		off = start + incl
	}
	for i := range cur {
		work[i] <- cur[i]
		close(work[i])
	}
	wg.Wait()
	return frame
}

// leanKey finds the connection key of an Ethernet frame carrying unfragmented IPv4 or IPv6
// TCP or UDP; ok is false for anything else.
func leanKey(f []byte) (k flow.Key, ok bool) {
	if len(f) < 14 {
		return k, false
	}
	et, p := binary.BigEndian.Uint16(f[12:]), 14
	for et == 0x8100 && len(f) >= p+4 {
		et, p = binary.BigEndian.Uint16(f[p+2:]), p+4
	}
	var src, dst [16]byte
	var proto uint8
	switch et {
	case 0x0800:
		if len(f) < p+20 {
			return k, false
		}
		ihl := int(f[p]&0x0f) * 4
		if binary.BigEndian.Uint16(f[p+6:])&0x3fff != 0 || ihl < 20 {
			return k, false // a fragment
		}
		proto = f[p+9]
		src[10], src[11], dst[10], dst[11] = 0xff, 0xff, 0xff, 0xff
		copy(src[12:], f[p+12:p+16])
		copy(dst[12:], f[p+16:p+20])
		p += ihl
	case 0x86dd:
		if len(f) < p+40 {
			return k, false
		}
		proto = f[p+6]
		copy(src[:], f[p+8:p+24])
		copy(dst[:], f[p+24:p+40])
		p += 40
	default:
		return k, false
	}
	if (proto != 6 && proto != 17) || len(f) < p+4 {
		return k, false
	}
	k, _ = flow.MakeKey(src, dst, binary.BigEndian.Uint16(f[p:]), binary.BigEndian.Uint16(f[p+2:]), proto)
	return k, true
}

// BenchmarkDispatcher is the sharded engine's own dispatcher (Run's serial part) alone:
// read (mapped=true: capture.OpenMapped, frames by reference; false: the buffered reader,
// frames copied into the batches), route (ShardOf) and hand the batches to shards that
// only release them. With -cpu 1, pkts/s is what the dispatcher can feed on one core;
// dispatcher-cpu-ms/op is its own thread's CPU time (with more CPUs the mapped reader's
// read-ahead helper runs beside it). readers=1 is the serial dispatcher (what Run does below
// eight CPUs), readers=R ≥ 2 reads with R parallel walkers (dispatchParts):
// dispatcher-cpu-ms/op is then the sequencer's thread, the serial part.
func BenchmarkDispatcher(b *testing.B) {
	path := perfmixPath(b)
	for _, c := range []struct {
		mapped  bool
		readers int
	}{{true, 1}, {true, 2}, {true, 4}, {false, 1}} {
		for _, shards := range []int{2, 8, 16} {
			name := fmt.Sprintf("mapped=%v/shards=%d", c.mapped, shards)
			if c.mapped {
				name = fmt.Sprintf("mapped=%v/readers=%d/shards=%d", c.mapped, c.readers, shards)
			}
			b.Run(name, func(b *testing.B) {
				b.ReportAllocs()
				var pkts uint64
				runtime.LockOSThread() // threadCPU is the dispatcher's own CPU time
				defer runtime.UnlockOSThread()
				cpu0, t0 := cpuTime(), threadCPU()
				for range b.N {
					pkts += dispatchReal(b, path, shards, c.mapped, c.readers)
				}
				reportPerfmix(b, pkts, cpu0)
				b.ReportMetric(float64(threadCPU()-t0)/1e6/float64(b.N), "dispatcher-cpu-ms/op")
			})
		}
	}
}

func dispatchReal(b *testing.B, path string, n int, mapped bool, readers int) uint64 {
	var r capture.Reader
	fl, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer fl.Close()
	if mapped {
		r, err = capture.OpenMapped(path, fl, nil)
	} else {
		r, err = capture.NewReader(path, fl)
	}
	if r == nil || err != nil {
		b.Fatal("cannot read", path, err)
	}
	defer r.Close()
	var owned atomic.Uint64
	err = runFakeShards(n, func(s int, bt *batch) { owned.Add(uint64(len(bt.own[s]))) },
		func(shards []*shard, free chan *batch) error {
			return dispatchWith(r, shards, free, Options{}, readers, partSize)
		})
	if err != io.EOF {
		b.Fatal(err)
	}
	return owned.Load()
}
