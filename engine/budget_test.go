package engine

import (
	"bytes"
	"path/filepath"
	"testing"
	"time"

	"github.com/tlsmon/tlsmon"
	"github.com/tlsmon/tlsmon/budget"
	"github.com/tlsmon/tlsmon/capture"
	"github.com/tlsmon/tlsmon/internal/corpus"
	"github.com/tlsmon/tlsmon/internal/flood"
	"github.com/tlsmon/tlsmon/packet"
)

// budgetEvents records the weirds and removals of a run.
type budgetEvents struct {
	weirds  []*tlsmon.Weird
	removed []string // uids, in order
}

func (h *budgetEvents) HandleEvent(ev tlsmon.Event) {
	switch e := ev.(type) {
	case *tlsmon.Weird:
		w := *e
		if e.Conn != nil {
			c := *e.Conn
			w.Conn = &c
		}
		h.weirds = append(h.weirds, &w)
	case *tlsmon.ConnectionStateRemove:
		h.removed = append(h.removed, e.Conn.UID)
	}
}

func tcpPacket(src byte, sport, dport uint16, flags uint8, seq, ack uint32, ts int64) *packet.Packet {
	p := &packet.Packet{IPVersion: 4, Proto: 6, IPLen: 40, Window: 100, Flags: flags,
		SrcPort: sport, DstPort: dport, Seq: seq, Ack: ack, Ts: ts}
	p.Src = [16]byte{10: 0xff, 11: 0xff, 12: 10, 15: src}
	p.Dst = [16]byte{10: 0xff, 11: 0xff, 12: 192, 13: 168, 15: 1}
	return p
}

// TestBudgetShedsHalfOpenOldestFirst: with room for 10 connections, a SYN flood sheds the
// oldest half-open connections (each a memory_budget weird with its connection), never the
// established connection that came first, and the budget never goes over.
func TestBudgetShedsHalfOpenOldestFirst(t *testing.T) {
	h := &budgetEvents{}
	e := New(Options{Handler: h, MaxMemory: 10 * connCost * accountedShareDen / accountedShareNum})
	ts := int64(1_000_000)
	// an established connection (no analyzer confirms it: port 80)
	e.Packet(tcpPacket(1, 30000, 80, packet.SYN, 100, 0, ts))
	p := tcpPacket(1, 30000, 80, packet.SYN|packet.ACK, 500, 101, ts+1)
	p.Src, p.Dst, p.SrcPort, p.DstPort = p.Dst, p.Src, 80, 30000
	e.Packet(p)
	e.Packet(tcpPacket(1, 30000, 80, packet.ACK, 101, 501, ts+2))
	for i := range 30 {
		e.Packet(tcpPacket(2, uint16(40000+i), 443, packet.SYN, 1, 0, ts+10+int64(i)))
		if got := e.mem.b.Used(); got > e.mem.b.Max {
			t.Fatalf("budget over: %d > %d", got, e.mem.b.Max)
		}
	}
	st := e.Stats()
	if st.Active != 10 {
		t.Errorf("%d connections active, want 10", st.Active)
	}
	if st.CapHits[capMemory] != 21 {
		t.Errorf("memory_budget hits %d, want 21 (30 SYNs + 1 established, room for 10)", st.CapHits[capMemory])
	}
	// the removals so far are the flood's 21 oldest, in order, each after its weird
	if len(h.removed) != 21 {
		t.Fatalf("removed %d, want 21", len(h.removed))
	}
	var shedUIDs []string
	for _, w := range h.weirds {
		if w.WeirdName != weirdMemoryBudget || w.Source != "tlsmon" || w.Conn == nil || w.Addl != "shed connections" {
			t.Fatalf("weird %+v", w)
		}
		if w.Conn.ID.RespP != 443 {
			t.Errorf("shed a connection to port %d (the established one)", w.Conn.ID.RespP)
		}
		shedUIDs = append(shedUIDs, w.Conn.UID)
	}
	for i, uid := range h.removed {
		if shedUIDs[i] != uid {
			t.Fatalf("removal %d is %s, weird for %s", i, uid, shedUIDs[i])
		}
	}
	if e.MemoryStats().Accounts[budget.Connections] != 10*connCost {
		t.Errorf("connections account %d", e.MemoryStats().Accounts[budget.Connections])
	}
	e.Flush()
	if u := e.MemoryStats().Used; u != 0 {
		t.Errorf("%d bytes still drawn after Flush", u)
	}
}

// TestBudgetNone: MaxMemory < 0 draws nothing and sheds nothing.
func TestBudgetNone(t *testing.T) {
	e := New(Options{MaxMemory: -1})
	for i := range 100 {
		e.Packet(tcpPacket(2, uint16(40000+i), 443, packet.SYN, 1, 0, 1_000_000+int64(i)))
	}
	if st := e.Stats(); st.Active != 100 || st.CapHits[capMemory] != 0 || e.MemoryStats().Used != 0 {
		t.Errorf("active %d, hits %d, used %d", st.Active, st.CapHits[capMemory], e.MemoryStats().Used)
	}
}

// TestPerShard: the shards of Run share the memory budget and the global caps.
func TestPerShard(t *testing.T) {
	o := Options{MaxMemory: 1 << 30}.perShard(4)
	if o.MaxMemory != 1<<28 || o.Limits.MaxConnections != 250_000 || o.Limits.ReassemblyGlobal != 64<<20 ||
		o.Limits.MaxFragmentBytes != 4<<20 {
		t.Errorf("per shard: %d %+v", o.MaxMemory, o.Limits)
	}
	if o := (Options{MaxMemory: -1}).perShard(4); o.MaxMemory != -1 {
		t.Errorf("no budget became %d", o.MaxMemory)
	}
	if o := (Options{}).perShard(2); o.MaxMemory != DefaultMaxMemory/2 {
		t.Errorf("default budget per shard %d", o.MaxMemory)
	}
}

// TestBudgetBalanced: over every capture of the conformance corpus (TLS, DTLS, QUIC,
// tunnels, fragments, STARTTLS...), everything drawn from the budget is given back by the
// end (no account drifts), and the default budget sheds nothing.
func TestBudgetBalanced(t *testing.T) {
	dir := sharedDir(t)
	var n int
	var peak int64
	defer func() { t.Logf("%d captures, highest peak %d bytes", n, peak) }()
	for _, c := range corpus.Index(t, dir) {
		r, err := capture.Open(filepath.Join(dir, "pcaps", c.File))
		if err != nil {
			t.Fatal(err)
		}
		e := New(Options{})
		err = e.Run(r)
		r.Close()
		if err != nil {
			t.Fatalf("%s: %v", c.File, err)
		}
		ms := e.MemoryStats()
		// datagrams never completed are still held by the decoders at the end
		frags := int64(e.dec.Stats().FragBytes)
		for _, d := range e.tun.dec {
			if d != nil {
				frags += int64(d.Stats().FragBytes)
			}
		}
		want := [budget.NumAccounts]int64{budget.Fragments: frags}
		if ms.Accounts != want || ms.Used != frags {
			t.Errorf("%s: %d bytes drawn after the end: %v, want %v", c.File, ms.Used, ms.Accounts, want)
		}
		if ms.Refused != 0 || ms.Shed != 0 || e.Stats().CapHits[capMemory] != 0 {
			t.Errorf("%s: refused %d, shed %d", c.File, ms.Refused, ms.Shed)
		}
		n++
		peak = max(peak, ms.Peak)
	}
}

// TestBudgetTrickleFlood: connections trickling into records that claim 64 KiB (the
// trickle flood, internal/flood) fill record buffers; with an 8 MiB budget (4 MiB of
// accounts) the oldest unconfirmed buffers are shed, each a memory_budget weird with its
// connection, the accounts never go over, and all is given back at the end.
func TestBudgetTrickleFlood(t *testing.T) {
	var pcap bytes.Buffer
	if err := flood.Write(&pcap, flood.Config{Kind: flood.Trickle, N: 200, Span: 2 * time.Second,
		Start: time.Unix(1_700_000_000, 0), Seed: 1}); err != nil {
		t.Fatal(err)
	}
	r, err := capture.NewReader("trickle", &pcap)
	if err != nil {
		t.Fatal(err)
	}
	h := &budgetEvents{}
	e := New(Options{Handler: h, MaxMemory: 8 << 20})
	var f capture.Frame
	for r.Next(&f) == nil {
		e.Frame(&f)
		if ms := e.MemoryStats(); ms.Used > ms.Max {
			t.Fatalf("budget over: %d > %d", ms.Used, ms.Max)
		}
	}
	ms := e.MemoryStats()
	var shed int
	for _, w := range h.weirds {
		if w.WeirdName == weirdMemoryBudget && w.Addl == "shed records" && w.Conn != nil {
			shed++
		}
	}
	if shed == 0 || ms.Peak < ms.Max/2 {
		t.Fatalf("%d record buffers shed, peak %d of %d", shed, ms.Peak, ms.Max)
	}
	e.Flush()
	if u := e.MemoryStats().Used; u != 0 {
		t.Errorf("%d bytes still drawn after Flush", u)
	}
}
