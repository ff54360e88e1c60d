package dtls_test

import (
	"bytes"
	"fmt"
	"maps"
	"net"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/tlsmon/tlsmon"
	"github.com/tlsmon/tlsmon/analyzer"
	"github.com/tlsmon/tlsmon/capture"
	"github.com/tlsmon/tlsmon/dtls"
	"github.com/tlsmon/tlsmon/engine"
)

// The at-scale test: real DTLS 1.2 handshakes recorded from pion/dtls (fragmented
// handshake messages, a lost-and-retransmitted server flight, client certificates),
// replicated over thousands of flows with distinct addresses, some with their datagrams
// reordered or duplicated, interleaved in one capture and run through the engine.

var scaleVariants = []pionVariant{
	{mtu: 1200, dropServer: -1},
	{mtu: 250, rsa: true, dropServer: 1},
	{mtu: 300, clientAuth: true, dropServer: -1},
	{mtu: 200, rsa: true, clientAuth: true, dropServer: 2},
}

// Datagram modifications applied to a flow.
const (
	modNone      = iota
	modReorder   // consecutive datagrams of one direction swapped pairwise
	modDuplicate // every third datagram duplicated by the network
	numMods
)

func modify(tr []wireDatagram, mod int) []wireDatagram {
	out := slices.Clone(tr)
	switch mod {
	case modReorder:
		for j := 0; j+1 < len(out); j++ {
			if out[j].fromClient == out[j+1].fromClient {
				out[j], out[j+1] = out[j+1], out[j]
				j++
			}
		}
	case modDuplicate:
		out = out[:0]
		for j, d := range tr {
			out = append(out, d)
			if j%3 == 2 {
				out = append(out, d)
			}
		}
	}
	return out
}

type scaleFlow struct{ variant, mod int }

func planFlows(n int) []scaleFlow {
	fl := make([]scaleFlow, n)
	for i := range fl {
		fl[i] = scaleFlow{variant: i % len(scaleVariants), mod: (i / len(scaleVariants)) % numMods}
	}
	return fl
}

// writeScaleCapture lays the flows out interleaved: flow i starts startStep after flow
// i-1 and sends its datagrams gap apart, so that hundreds of flows are mid-handshake at once.
func writeScaleCapture(t *testing.T, flows []scaleFlow, trs [][]wireDatagram, startStep, gap time.Duration) []byte {
	t.Helper()
	type item struct {
		ts   int64
		flow int
		d    wireDatagram
	}
	var items []item
	base := time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC).UnixMicro()
	for i, f := range flows {
		start := base + int64(i)*startStep.Microseconds()
		for j, d := range modify(trs[f.variant], f.mod) {
			items = append(items, item{start + int64(j)*gap.Microseconds(), i, d})
		}
	}
	slices.SortStableFunc(items, func(a, b item) int { return int(a.ts - b.ts) })
	p := newUDPPcap()
	for _, it := range items {
		cli := &net.UDPAddr{IP: net.IPv4(10, byte(it.flow>>16), byte(it.flow>>8), byte(it.flow)), Port: 40000 + it.flow%20000}
		srv := &net.UDPAddr{IP: net.IPv4(192, 168, 0, 1), Port: 443}
		src, dst := cli, srv
		if !it.d.fromClient {
			src, dst = srv, cli
		}
		if err := p.add(it.ts, src, dst, it.d.data); err != nil {
			t.Fatal(err)
		}
	}
	return p.buf.Bytes()
}

// scaleRun is what one engine run over a capture produced.
type scaleRun struct {
	counts   map[string]int // events by name (weirds by weird name)
	budget   dtls.BudgetStats
	peakHeap uint64 // largest HeapAlloc sampled during the run
}

func runScale(t *testing.T, pcap []byte, cfg dtls.Config, analyzeEncrypted bool) scaleRun {
	t.Helper()
	if cfg.Budget == nil {
		cfg.Budget = dtls.NewBudget(0)
	}
	r := scaleRun{counts: map[string]int{}}
	var ms runtime.MemStats
	n := 0
	h := tlsmon.HandlerFunc(func(e tlsmon.Event) {
		name := e.Name()
		if w, ok := e.(*tlsmon.Weird); ok {
			name = "weird:" + w.WeirdName
		}
		r.counts[name]++
		if n++; n%8192 == 0 {
			runtime.ReadMemStats(&ms)
			r.peakHeap = max(r.peakHeap, ms.HeapAlloc)
		}
	})
	e := engine.New(engine.Options{Handler: h, Analyzers: []analyzer.Spec{dtls.SpecConfig(cfg)},
		Analyzer: analyzer.Options{AnalyzeEncrypted: analyzeEncrypted}, UIDSeed: 1})
	rd, err := capture.NewReader("scale.pcap", bytes.NewReader(pcap))
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Run(rd); err != nil {
		t.Fatal(err)
	}
	r.budget = cfg.Budget.Stats()
	return r
}

func recordVariants(t *testing.T) [][]wireDatagram {
	t.Helper()
	trs := make([][]wireDatagram, len(scaleVariants))
	for i, v := range scaleVariants {
		tr, err := recordPion(v)
		if err != nil {
			t.Fatal(err)
		}
		st := describe(tr)
		t.Logf("variant %+v: %+v", v, st)
		if st.fragments == 0 && v.mtu < 500 || st.retransmitted == 0 && v.dropServer >= 0 {
			t.Fatalf("variant %+v lacks fragmentation or retransmission: %+v", v, st)
		}
		trs[i] = tr
	}
	return trs
}

type transcriptStats struct{ datagrams, records, fragments, retransmitted int }

// describe counts a transcript's records, its handshake fragments that are not whole
// messages, and its handshake fragments sent again under a new record sequence number.
func describe(tr []wireDatagram) transcriptStats {
	st := transcriptStats{datagrams: len(tr)}
	type key struct {
		client bool
		epoch  uint16
		msgSeq uint16
		off    uint32
	}
	seen := map[key]bool{}
	for _, d := range tr {
		for b := d.data; len(b) > 0; {
			h, body, rest, err := dtls.SplitRecord(b)
			if err != nil {
				break
			}
			b = rest
			st.records++
			if h.ContentType != dtls.ContentHandshake || h.Epoch != 0 {
				continue
			}
			hh, _, err := dtls.ParseHandshakeHeader(body)
			if err != nil {
				continue
			}
			if hh.FragmentLength != hh.Length {
				st.fragments++
			}
			k := key{d.fromClient, h.Epoch, hh.MessageSeq, hh.FragmentOffset}
			if seen[k] {
				st.retransmitted++
			}
			seen[k] = true
		}
	}
	return st
}

func TestScaleManyDTLSFlows(t *testing.T) {
	nFlows := 2000
	if testing.Short() {
		nFlows = 400
	}
	trs := recordVariants(t)
	flows := planFlows(nFlows)

	// The events of each kind of flow, analyzed alone.
	solo := map[scaleFlow]map[string]int{}
	for _, f := range flows {
		if _, ok := solo[f]; ok {
			continue
		}
		r := runScale(t, writeScaleCapture(t, []scaleFlow{f}, trs, 0, time.Millisecond), dtls.Config{}, false)
		if r.counts["ssl_established"] != 1 || r.counts["ssl_client_hello"] == 0 || r.counts["ssl_server_hello"] == 0 {
			t.Fatalf("flow kind %+v alone: %v", f, r.counts)
		}
		if f.variant == 1 && r.counts["ssl_handshake_message"] <= 0 {
			t.Fatalf("flow kind %+v alone: no handshake messages: %v", f, r.counts)
		}
		solo[f] = r.counts
	}
	want := map[string]int{}
	for _, f := range flows {
		for k, v := range solo[f] {
			want[k] += v
		}
	}

	pcap := writeScaleCapture(t, flows, trs, 100*time.Microsecond, 5*time.Millisecond)
	t.Logf("capture: %d flows, %d bytes", nFlows, len(pcap))

	t.Run("default-caps", func(t *testing.T) {
		var ms0, ms1 runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&ms0)
		r := runScale(t, pcap, dtls.Config{}, false)
		runtime.GC()
		runtime.ReadMemStats(&ms1)
		growth := int64(ms1.HeapAlloc) - int64(ms0.HeapAlloc)
		t.Logf("heap: before %d KiB, peak sampled %d KiB, after %d KiB (growth %d KiB); budget %+v",
			ms0.HeapAlloc>>10, r.peakHeap>>10, ms1.HeapAlloc>>10, growth>>10, r.budget)
		if !maps.Equal(r.counts, want) {
			t.Errorf("events at scale differ from the flows analyzed alone:\n%s", countDiff(want, r.counts))
		}
		if r.budget.Used != 0 || r.budget.ConnLimitHits+r.budget.GlobalLimitHits != 0 || r.budget.Peak == 0 {
			t.Errorf("budget %+v: want all released, no cap hit, some use", r.budget)
		}
		if growth > 4<<20 {
			t.Errorf("heap grew by %d KiB over the run", growth>>10)
		}
	})

	t.Run("global-cap", func(t *testing.T) {
		const limit = 32 << 10
		r := runScale(t, pcap, dtls.Config{Budget: dtls.NewBudget(limit)}, true)
		t.Logf("budget %+v, weirds %d, peak heap sampled %d KiB", r.budget, r.counts["weird:"+dtls.WeirdGlobalBufferLimit],
			r.peakHeap>>10)
		if r.budget.GlobalLimitHits == 0 || r.budget.Peak > limit || r.budget.Used != 0 {
			t.Errorf("budget %+v: want hits, peak within %d, all released", r.budget, limit)
		}
		if got := r.counts["weird:"+dtls.WeirdGlobalBufferLimit]; uint64(got) != r.budget.GlobalLimitHits {
			t.Errorf("%d global-cap weirds for %d hits", got, r.budget.GlobalLimitHits)
		}
		// Fragmented messages of the starved flows are lost; unfragmented ones are not.
		if got := r.counts["ssl_handshake_message"]; got == 0 || got >= want["ssl_handshake_message"] {
			t.Errorf("%d handshake messages of %d: want some reassembled and some starved", got,
				want["ssl_handshake_message"])
		}
	})

	t.Run("conn-cap", func(t *testing.T) {
		r := runScale(t, pcap, dtls.Config{MaxConnBuffered: 1024}, false)
		t.Logf("budget %+v, weirds %d", r.budget, r.counts["weird:"+dtls.WeirdConnBufferLimit])
		if r.budget.ConnLimitHits == 0 || r.budget.GlobalLimitHits != 0 || r.budget.Used != 0 {
			t.Errorf("budget %+v: want per-connection hits only, all released", r.budget)
		}
		if got := r.counts["weird:"+dtls.WeirdConnBufferLimit]; uint64(got) != r.budget.ConnLimitHits {
			t.Errorf("%d per-connection weirds for %d hits", got, r.budget.ConnLimitHits)
		}
	})
}

func countDiff(want, got map[string]int) string {
	var b bytes.Buffer
	for _, k := range slices.Sorted(maps.Keys(want)) {
		if want[k] != got[k] {
			fmt.Fprintf(&b, "  %s: want %d, got %d\n", k, want[k], got[k])
		}
	}
	for _, k := range slices.Sorted(maps.Keys(got)) {
		if _, ok := want[k]; !ok {
			fmt.Fprintf(&b, "  %s: unexpected %d\n", k, got[k])
		}
	}
	return b.String()
}
