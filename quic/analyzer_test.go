package quic

import (
	"bytes"
	"strings"
	"testing"

	"github.com/tlsmon/tlsmon"
	"github.com/tlsmon/tlsmon/analyzer"
)

// fakeSSL records what the QUIC analyzer hands to its SSL analyzer.
type fakeSSL struct {
	data [2][]byte
	done bool
}

func (f *fakeSSL) DeliverStream(_ int64, isOrig bool, b []byte) {
	i := dirIndex(isOrig)
	f.data[i] = append(f.data[i], b...)
}
func (f *fakeSSL) Gap(int64, bool, uint64)           {}
func (f *fakeSSL) DeliverPacket(int64, bool, []byte) {}
func (f *fakeSSL) EndOfData(int64, bool)             {}
func (f *fakeSSL) Done(int64)                        { f.done = true }

type harness struct {
	a        *Analyzer
	children []*fakeSSL
	events   []tlsmon.Event
	detached int
}

func newHarness(cfg Config) *harness {
	h := &harness{}
	cfg.NewSSL = func(*analyzer.Env) analyzer.Analyzer {
		f := &fakeSSL{}
		h.children = append(h.children, f)
		return f
	}
	env := &analyzer.Env{
		Conn:   &tlsmon.Conn{},
		Events: tlsmon.HandlerFunc(func(e tlsmon.Event) { h.events = append(h.events, e) }),
		Detach: func() { h.detached++ },
	}
	h.a = NewConfig(env, cfg)
	return h
}

func (h *harness) count(name string) int {
	n := 0
	for _, e := range h.events {
		if e.Name() == name {
			n++
		}
	}
	return n
}

var (
	dcidA = []byte{0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8}
	dcidB = []byte{0xb1, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7, 0xb8}
	scidC = []byte{0xc1, 0xc2, 0xc3, 0xc4}
	scidS = []byte{0x51, 0x52}
)

func clientInitial(t testing.TB, keyDCID, dcid []byte, pn uint32, frames []byte) []byte {
	return sealInitial(t, Version1, keyDCID, dcid, scidC, nil, true, pn, 2, padTo(frames, 1160))
}

func serverInitial(t testing.TB, keyDCID []byte, pn uint32, frames []byte) []byte {
	return sealInitial(t, Version1, keyDCID, scidC, scidS, nil, false, pn, 1, padTo(frames, 40))
}

func TestAnalyzerFragmentedClientHello(t *testing.T) {
	h := newHarness(Config{})
	ch := message(1500)
	h.a.DeliverPacket(1, true, clientInitial(t, dcidA, dcidA, 1, cryptoFrame(700, ch[700:])))
	if len(h.children) != 1 || len(h.children[0].data[0]) != 0 {
		t.Fatal("data forwarded before the hole was filled")
	}
	h.a.DeliverPacket(2, true, clientInitial(t, dcidA, dcidA, 2, cryptoFrame(0, ch[:700])))
	if got := h.children[0].data[0]; !bytes.Equal(got, record(ch)) {
		t.Fatalf("forwarded %d bytes, want the %d-byte record", len(got), len(ch)+5)
	}
	if h.count("analyzer_confirmation_info") != 1 || h.count("analyzer_violation_info") != 0 {
		t.Fatalf("events %v", h.events)
	}
	// The client's message is complete: a later Initial is not even decrypted, so a
	// garbage one raises nothing.
	junk := clientInitial(t, dcidB, dcidA, 3, []byte{0x30})
	h.a.DeliverPacket(3, true, junk)
	if h.count("analyzer_violation_info") != 0 {
		t.Fatal("a client Initial was decrypted after the ClientHello was complete")
	}
	sh := message(90)
	h.a.DeliverPacket(4, false, serverInitial(t, dcidA, 0, append([]byte{frameACK, 1, 0, 0, 1}, cryptoFrame(0, sh)...)))
	if got := h.children[0].data[1]; !bytes.Equal(got, record(sh)) {
		t.Fatalf("server: forwarded %x", got)
	}
	h.a.Done(5)
	if !h.children[0].done {
		t.Fatal("SSL analyzer not closed")
	}
}

func TestAnalyzerServerFirstIgnored(t *testing.T) {
	h := newHarness(Config{})
	h.a.DeliverPacket(1, false, serverInitial(t, dcidA, 0, cryptoFrame(0, message(50))))
	if len(h.events) != 0 || len(h.children[0].data[1]) != 0 {
		t.Fatal("server Initial decrypted before any client Initial")
	}
}

func TestAnalyzerRetry(t *testing.T) {
	h := newHarness(Config{})
	ch := message(200)
	h.a.DeliverPacket(1, true, clientInitial(t, dcidA, dcidA, 0, cryptoFrame(0, ch)))
	retry := []byte{0xf0, 0, 0, 0, 1, byte(len(scidC))}
	retry = append(retry, scidC...)
	retry = append(retry, byte(len(scidS)))
	retry = append(retry, scidS...)
	retry = append(retry, bytes.Repeat([]byte{0x77}, 30)...) // token + integrity tag
	h.a.DeliverPacket(2, false, retry)
	if !h.children[0].done {
		t.Fatal("Retry did not close the SSL analyzer")
	}
	// The second client Initial uses the new DCID for its keys.
	h.a.DeliverPacket(3, true, clientInitial(t, dcidB, dcidB, 1, cryptoFrame(0, ch)))
	if len(h.children) != 2 || !bytes.Equal(h.children[1].data[0], record(ch)) {
		t.Fatalf("no new SSL analyzer with the second ClientHello (%d children)", len(h.children))
	}
	sh := message(90)
	h.a.DeliverPacket(4, false, serverInitial(t, dcidB, 0, cryptoFrame(0, sh)))
	if !bytes.Equal(h.children[1].data[1], record(sh)) {
		t.Fatal("server Initial not decrypted with the post-Retry DCID")
	}
	if h.count("analyzer_violation_info") != 0 || h.count("analyzer_confirmation_info") != 1 {
		t.Fatalf("events %v", h.events)
	}
}

func TestAnalyzerViolations(t *testing.T) {
	good := func(t *testing.T) []byte { return clientInitial(t, dcidA, dcidA, 0, cryptoFrame(0, message(20))) }
	cases := map[string]func(t *testing.T) []byte{
		"wrong keys": func(t *testing.T) []byte { return clientInitial(t, dcidB, dcidA, 0, cryptoFrame(0, message(20))) },
		"unknown version": func(t *testing.T) []byte {
			return []byte{0xc0, 0x0a, 0x0a, 0x0a, 0x0a, 0, 0, 0, 0}
		},
		"truncated": func(t *testing.T) []byte { return good(t)[:100] },
		"unknown frame": func(t *testing.T) []byte {
			return clientInitial(t, dcidA, dcidA, 0, []byte{0x08, 0, 0})
		},
		"too much crypto": func(t *testing.T) []byte {
			return clientInitial(t, dcidA, dcidA, 0, cryptoFrame(0, append(message(20), 1)))
		},
		"short length": func(t *testing.T) []byte {
			return []byte{0xc0, 0, 0, 0, 1, 0, 0, 0, 5, 1, 2, 3, 4, 5}
		},
	}
	for name, mk := range cases {
		t.Run(name, func(t *testing.T) {
			h := newHarness(Config{})
			h.a.DeliverPacket(1, true, mk(t))
			if h.count("analyzer_violation_info") != 1 || h.detached != 1 {
				t.Fatalf("violations %d, detached %d", h.count("analyzer_violation_info"), h.detached)
			}
			n := len(h.events)
			h.a.DeliverPacket(2, true, good(t))
			if len(h.events) != n {
				t.Fatal("analysis continued after a violation")
			}
		})
	}
}

func TestAnalyzerIgnoresNonQUIC(t *testing.T) {
	h := newHarness(Config{})
	for _, d := range [][]byte{
		{0x16, 0xfe, 0xfd, 0, 0},       // DTLS handshake record: fixed bit clear
		{0x40, 1, 2, 3},                // short header
		bytes.Repeat([]byte{0x00}, 50), // zeros
	} {
		h.a.DeliverPacket(1, true, d)
	}
	// Only the weird of Zeek's script for a first short-header packet without a QUIC
	// session: no confirmation, no violation.
	if len(h.events) != 1 {
		t.Fatalf("events %v", h.events)
	}
	if w, ok := h.events[0].(*tlsmon.Weird); !ok || w.WeirdName != WeirdSpuriousShortHeader || w.Addl != "1" {
		t.Fatalf("event %#v", h.events[0])
	}
}

func TestAnalyzerBufferCap(t *testing.T) {
	h := newHarness(Config{MaxBuffered: 1000})
	for i := range 5 {
		h.a.DeliverPacket(int64(i), true, clientInitial(t, dcidA, dcidA, uint32(i), cryptoFrame(uint64(100+i*600), make([]byte, 600))))
	}
	if h.count("weird") != 1 {
		t.Fatalf("%d weirds, want 1", h.count("weird"))
	}
	if held := heldBytes(h.a); held > 1000 {
		t.Fatalf("held %d bytes over the 1000-byte cap", held)
	}
}

func TestAnalyzerNoAllocs(t *testing.T) {
	h := newHarness(Config{})
	pkt := clientInitial(t, dcidA, dcidA, 0, []byte{framePing})
	h.a.DeliverPacket(1, true, pkt)
	allocs := testing.AllocsPerRun(200, func() { h.a.DeliverPacket(2, true, pkt) })
	if allocs != 0 {
		t.Fatalf("%.1f allocations per decrypted Initial", allocs)
	}
}

// TestAnalyzerStateLazy: datagrams without a long-header packet leave the analyzer a shell
// (no handshake state, no SSL analyzer) that still counts what Zeek's weirds need; the
// first long-header packet makes the state, a violation drops it.
func TestAnalyzerStateLazy(t *testing.T) {
	h := newHarness(Config{})
	for range 9 {
		h.a.DeliverPacket(1, true, []byte{0x40, 1, 2, 3})        // short header
		h.a.DeliverPacket(1, false, []byte{0x16, 0xfe, 0xfd, 0}) // fixed bit clear
	}
	if h.a.state != nil || len(h.children) != 0 {
		t.Fatalf("state %v, %d SSL analyzers before any long header", h.a.state != nil, len(h.children))
	}
	var addl []string
	for _, e := range h.events {
		if w, ok := e.(*tlsmon.Weird); ok && w.WeirdName == WeirdSpuriousShortHeader {
			addl = append(addl, w.Addl)
		}
	}
	if len(addl) != len(h.events) || strings.Join(addl, ",") != "1,2,4,8" {
		t.Fatalf("short-header weirds %v of %d events", addl, len(h.events))
	}
	h.a.DeliverPacket(2, true, clientInitial(t, dcidA, dcidA, 0, []byte{framePing}))
	if h.a.state == nil || len(h.children) != 1 || h.count("analyzer_confirmation_info") != 1 {
		t.Fatalf("after an Initial: state %v, %d SSL analyzers, events %v", h.a.state != nil, len(h.children), h.events)
	}
	h.a.DeliverPacket(3, true, []byte{0xc0, 0, 0, 0, 1}) // truncated long header: a violation
	if h.count("analyzer_violation_info") != 1 || h.a.state != nil || !h.children[0].done {
		t.Fatalf("after a violation: state %v, SSL analyzer done %v", h.a.state != nil, h.children[0].done)
	}
}
