package engine

import (
	"os"
	"testing"
	"time"

	"github.com/tlsmon/tlsmon/analyzer"
	"github.com/tlsmon/tlsmon/capture"
	"github.com/tlsmon/tlsmon/flow"
	"github.com/tlsmon/tlsmon/packet"
)

// perfmixPath is the speed-reference capture (see ../shared/README.md for how to build it);
// TLSMON_PERFMIX overrides it.
func perfmixPath(b *testing.B) string {
	p := os.Getenv("TLSMON_PERFMIX")
	if p == "" {
		p = "/tmp/perfmix.pcap"
	}
	if _, err := os.Stat(p); err != nil {
		b.Skipf("perfmix capture not found at %s (build it as ../shared/README.md says, or set TLSMON_PERFMIX)", p)
	}
	return p
}

// reportPerfmix reports packets per second of wall time and CPU milliseconds per operation.
func reportPerfmix(b *testing.B, pkts uint64, cpu0 time.Duration) {
	b.ReportMetric(float64(pkts)/b.Elapsed().Seconds(), "pkts/s")
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(time.Millisecond)/float64(b.N), "cpu-ms/op")
}

// BenchmarkPerfmixLookup is read + decode + connection lookup (flow table, timers) over
// perfmix.pcap: no reassembly, no analyzer.
func BenchmarkPerfmixLookup(b *testing.B) {
	path := perfmixPath(b)
	b.ReportAllocs()
	var pkts uint64
	cpu0 := cpuTime()
	for range b.N {
		r, err := capture.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		dec := packet.NewDecoder(packet.Config{})
		tab := flow.NewTable(flow.Config{}, nil)
		var f capture.Frame
		var p packet.Packet
		var res flow.Result
		for r.Next(&f) == nil {
			pkts++
			if st, _ := dec.DecodeLen(f.LinkType, f.Ts, f.Data, f.WireLen, &p); st == packet.OK {
				tab.Packet(&p, &res)
			}
		}
		tab.Flush(p.Ts)
		r.Close()
	}
	reportPerfmix(b, pkts, cpu0)
}

// BenchmarkPerfmixDecode is read + decode over perfmix.pcap (the floor under Lookup).
func BenchmarkPerfmixDecode(b *testing.B) {
	path := perfmixPath(b)
	b.ReportAllocs()
	var pkts uint64
	cpu0 := cpuTime()
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
			dec.DecodeLen(f.LinkType, f.Ts, f.Data, f.WireLen, &p)
		}
		r.Close()
	}
	reportPerfmix(b, pkts, cpu0)
}

// BenchmarkPerfmixEngine is the whole engine without analyzers (read, decode, lookup, TCP
// reassembly, detection bookkeeping, connection events) over perfmix.pcap.
func BenchmarkPerfmixEngine(b *testing.B) {
	benchPerfmix(b, []analyzer.Spec{})
}

// BenchmarkPerfmixFull is the whole engine with the default analyzers.
func BenchmarkPerfmixFull(b *testing.B) {
	benchPerfmix(b, nil)
}

func benchPerfmix(b *testing.B, specs []analyzer.Spec) {
	path := perfmixPath(b)
	b.ReportAllocs()
	var pkts uint64
	cpu0 := cpuTime()
	for range b.N {
		r, err := capture.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		e := New(Options{Analyzers: specs})
		if err := e.Run(r); err != nil {
			b.Fatal(err)
		}
		pkts += e.Stats().Packets
		r.Close()
	}
	reportPerfmix(b, pkts, cpu0)
}
