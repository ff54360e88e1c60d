package engine

import (
	"bytes"
	"net/netip"
	"strings"
	"testing"

	"github.com/tlsmon/tlsmon"
	"github.com/tlsmon/tlsmon/analyzer"
	"github.com/tlsmon/tlsmon/packet"
)

// recAnalyzer records what it receives, per direction.
type recAnalyzer struct {
	env    *analyzer.Env
	stream [2]bytes.Buffer
	pkts   int
	gaps   uint64
	eof    [2]bool
	done   bool
}

func d(isOrig bool) int {
	if isOrig {
		return 0
	}
	return 1
}

func (a *recAnalyzer) DeliverStream(ts int64, isOrig bool, data []byte) {
	a.stream[d(isOrig)].Write(data)
	if bytes.Contains(data, []byte("HELLO")) {
		a.env.Events.HandleEvent(&tlsmon.AnalyzerConfirmation{Meta: tlsmon.Meta{Ts: ts, Conn: a.env.Conn}, Analyzer: "TEST"})
	}
}
func (a *recAnalyzer) Gap(ts int64, isOrig bool, n uint64) { a.gaps += n }
func (a *recAnalyzer) DeliverPacket(ts int64, isOrig bool, b []byte) {
	a.pkts++
	a.stream[d(isOrig)].Write(b)
}
func (a *recAnalyzer) EndOfData(ts int64, isOrig bool) { a.eof[d(isOrig)] = true }
func (a *recAnalyzer) Done(ts int64)                   { a.done = true }

type harness struct {
	e       *Engine
	made    []*recAnalyzer
	removed []*tlsmon.ConnectionStateRemove
	weirds  []string
}

func newHarness(spec analyzer.Spec, lim Limits) *harness {
	h := &harness{}
	spec.New = func(env *analyzer.Env) analyzer.Analyzer {
		a := &recAnalyzer{env: env}
		h.made = append(h.made, a)
		return a
	}
	h.e = New(Options{Analyzers: []analyzer.Spec{spec}, Limits: lim, Handler: tlsmon.HandlerFunc(func(ev tlsmon.Event) {
		switch x := ev.(type) {
		case *tlsmon.ConnectionStateRemove:
			c := *x
			h.removed = append(h.removed, &c)
		case *tlsmon.Weird:
			h.weirds = append(h.weirds, x.WeirdName)
		}
	})})
	return h
}

var cli, srv = netip.MustParseAddr("10.1.1.1").As16(), netip.MustParseAddr("10.2.2.2").As16()

func (h *harness) tcp(ts int64, fromCli bool, flags uint8, seq, ack uint32, payload string) {
	p := &packet.Packet{Ts: ts, IPVersion: 4, Proto: 6, Flags: flags, Seq: seq, Ack: ack, Window: 1000,
		Payload: []byte(payload), PayloadLen: len(payload), IPLen: 40 + len(payload)}
	if fromCli {
		p.Src, p.Dst, p.SrcPort, p.DstPort = cli, srv, 40000, 9999
	} else {
		p.Src, p.Dst, p.SrcPort, p.DstPort = srv, cli, 9999, 40000
	}
	h.e.Packet(p)
}

const (
	fS  = packet.SYN
	fSA = packet.SYN | packet.ACK
	fA  = packet.ACK
	fPA = packet.PSH | packet.ACK
	fFA = packet.FIN | packet.ACK
)

func (h *harness) handshake() {
	h.tcp(1, true, fS, 100, 0, "")
	h.tcp(2, false, fSA, 500, 101, "")
	h.tcp(3, true, fA, 101, 501, "")
}

func TestAttachByPortReassembles(t *testing.T) {
	h := newHarness(analyzer.Spec{Name: "TEST", TCPPorts: []uint16{9999}}, Limits{})
	h.handshake()
	h.tcp(4, true, fPA, 107, 501, "world")  // out of order
	h.tcp(5, true, fPA, 101, 501, "HELLO ") // fills the hole
	h.tcp(6, true, fPA, 101, 501, "HELLO ") // retransmission
	h.tcp(7, false, fPA, 501, 112, "reply") // server data
	h.tcp(8, true, fFA, 112, 506, "")
	h.tcp(9, false, fFA, 506, 113, "")
	h.tcp(10, true, fA, 113, 507, "")
	h.e.Flush()
	if len(h.made) != 1 {
		t.Fatalf("%d analyzers attached, want 1", len(h.made))
	}
	a := h.made[0]
	if got := a.stream[0].String(); got != "HELLO world" {
		t.Fatalf("orig stream %q", got)
	}
	if got := a.stream[1].String(); got != "reply" {
		t.Fatalf("resp stream %q", got)
	}
	if !a.eof[0] || !a.eof[1] || !a.done {
		t.Fatalf("eof %v done %v", a.eof, a.done)
	}
	if len(h.removed) != 1 {
		t.Fatalf("%d removals", len(h.removed))
	}
	st := h.removed[0].Stats
	if st.State != "SF" || st.OrigBytes != 11 || st.RespBytes != 5 || st.MissedBytes != 0 {
		t.Fatalf("stats %+v", st)
	}
	if len(st.Service) != 1 || st.Service[0] != "test" {
		t.Fatalf("service %v", st.Service)
	}
}

func TestAttachByContentReplays(t *testing.T) {
	spec := analyzer.Spec{Name: "TEST", Match: func(isOrig bool, b []byte) bool {
		return isOrig && bytes.HasPrefix(b, []byte("HEL")) && len(b) >= 5
	}}
	h := newHarness(spec, Limits{})
	h.handshake()
	h.tcp(4, true, fPA, 101, 501, "HE")
	h.tcp(5, false, fPA, 501, 103, "srv")
	h.tcp(6, true, fPA, 103, 504, "LLO!")
	h.tcp(7, true, fPA, 107, 504, "more")
	if len(h.made) != 1 {
		t.Fatalf("%d analyzers, want 1 (content match)", len(h.made))
	}
	a := h.made[0]
	if a.stream[0].String() != "HELLO!more" || a.stream[1].String() != "srv" {
		t.Fatalf("replayed %q / %q", a.stream[0].String(), a.stream[1].String())
	}
}

func TestNoMatchNoAnalyzer(t *testing.T) {
	spec := analyzer.Spec{Name: "TEST", Match: func(isOrig bool, b []byte) bool { return false }}
	h := newHarness(spec, Limits{})
	h.handshake()
	h.tcp(4, true, fPA, 101, 501, strings.Repeat("x", 2000))
	h.e.Flush()
	if len(h.made) != 0 {
		t.Fatal("analyzer attached without a match")
	}
}

func TestGapCountedInMissedBytes(t *testing.T) {
	h := newHarness(analyzer.Spec{Name: "TEST", TCPPorts: []uint16{9999}}, Limits{})
	h.handshake()
	h.tcp(4, true, fPA, 101, 501, "abc")
	h.tcp(5, true, fPA, 114, 501, "xyz") // 10 bytes missing
	h.tcp(6, false, fA, 501, 117, "")    // server acks past the hole
	h.e.Flush()
	a := h.made[0]
	if a.gaps != 10 || a.stream[0].String() != "abcxyz" {
		t.Fatalf("gaps %d stream %q", a.gaps, a.stream[0].String())
	}
	if st := h.removed[0].Stats; st.MissedBytes != 10 || !strings.Contains(st.History, "g") && !strings.Contains(st.History, "G") {
		t.Fatalf("stats %+v", st)
	}
}

func TestReassemblyCapIsWeirdNotFatal(t *testing.T) {
	h := newHarness(analyzer.Spec{Name: "TEST", TCPPorts: []uint16{9999}}, Limits{ReassemblyPerConnection: 100})
	h.handshake()
	for i := 0; i < 5; i++ {
		h.tcp(int64(4+i), true, fPA, uint32(1000+i*60), 501, strings.Repeat("y", 50))
	}
	h.e.Flush()
	s := h.e.Stats()
	if s.CapHits["reassembly_conn"] == 0 {
		t.Fatalf("cap not counted: %s", s)
	}
	found := false
	for _, w := range h.weirds {
		found = found || w == "reassembly_per_connection_cap"
	}
	if !found {
		t.Fatalf("no weird for the cap: %v", h.weirds)
	}
	if !strings.Contains(s.String(), "reassembly_conn:") {
		t.Fatalf("summary lacks the cap: %s", s)
	}
}

func TestUDPContentMatch(t *testing.T) {
	spec := analyzer.Spec{Name: "TEST", Match: func(isOrig bool, b []byte) bool { return bytes.HasPrefix(b, []byte{0x16, 0xfe}) }}
	h := newHarness(spec, Limits{})
	for i, pl := range []string{"noise", "\x16\xfehello", "after"} {
		p := &packet.Packet{Ts: int64(i + 1), IPVersion: 4, Proto: 17, Src: cli, Dst: srv, SrcPort: 40000, DstPort: 7777,
			Payload: []byte(pl), PayloadLen: len(pl), IPLen: 28 + len(pl), UDPLen: uint16(8 + len(pl))}
		h.e.Packet(p)
	}
	h.e.Flush()
	if len(h.made) != 1 || h.made[0].pkts != 3 {
		t.Fatalf("analyzers %d", len(h.made))
	}
	if h.removed[0].Stats.State != "S0" || h.removed[0].Stats.History != "D" {
		t.Fatalf("stats %+v", h.removed[0].Stats)
	}
}
