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

// BenchmarkPerfmixTable is the connection lookup alone (flow.Table.Packet, timers, Flush):
// perfmix.pcap is read and decoded once, outside the timed part, so that capture I/O and
// decoding noise do not hide the table's cost. Payloads are replaced by zero bytes of the
// same length (the table reads only their length, and the bytes of ICMP headers, kept).
func BenchmarkPerfmixTable(b *testing.B) {
	path := perfmixPath(b)
	pkts := loadPerfmix(b, path)
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	var n uint64
	for range b.N {
		tab := flow.NewTable(flow.Config{}, nil)
		var res flow.Result
		for i := range pkts {
			tab.Packet(&pkts[i], &res)
		}
		tab.Flush(pkts[len(pkts)-1].Ts)
		n += uint64(len(pkts))
	}
	reportPerfmix(b, n, cpu0)
}

// loadPerfmix decodes every packet of the capture that decodes cleanly.
func loadPerfmix(b *testing.B, path string) []packet.Packet {
	r, err := capture.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	zero := make([]byte, 1<<16)
	dec := packet.NewDecoder(packet.Config{})
	var f capture.Frame
	var p packet.Packet
	var out []packet.Packet
	for r.Next(&f) == nil {
		if st, _ := dec.DecodeLen(f.LinkType, f.Ts, f.Data, f.WireLen, &p); st != packet.OK {
			continue
		}
		q := p
		q.Weirds = nil
		switch {
		case p.Proto == 1 || p.Proto == 58:
			q.Payload = append([]byte(nil), p.Payload...)
		case len(p.Payload) <= len(zero):
			q.Payload = zero[:len(p.Payload)]
		default:
			q.Payload = make([]byte, len(p.Payload))
		}
		out = append(out, q)
	}
	if len(out) == 0 {
		b.Skip("no packet decoded")
	}
	return out
}
