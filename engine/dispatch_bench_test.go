package engine

import (
	"fmt"
	"sync"
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
		var sum uint64
		for range b.N {
			r, err := capture.Open(path)
			if err != nil {
				b.Fatal(err)
			}
			dec := packet.NewDecoder(packet.Config{})
			var f capture.Frame
			var p packet.Packet
			for r.Next(&f) == nil {
				pkts++
				if st, _ := dec.DecodeLen(f.LinkType, f.Ts, f.Data, f.WireLen, &p); st == packet.OK {
					k, _ := flow.MakeKey(p.Src, p.Dst, p.SrcPort, p.DstPort, p.Proto)
					sum += k.Hash()
				}
			}
			r.Close()
		}
		reportPerfmix(b, pkts, cpu0)
		if sum == 1 {
			b.Log(sum) // keeps the hashes live
		}
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
	var frame, handed uint64
	for r.Next(&f) == nil {
		frame++
		if st, _ := dec.DecodeLen(f.LinkType, f.Ts, f.Data, f.WireLen, &p); st != packet.OK {
			continue
		}
		k, _ := flow.MakeKey(p.Src, p.Dst, p.SrcPort, p.DstPort, p.Proto)
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
	return frame
}
