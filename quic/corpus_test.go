package quic

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/netip"
	"path/filepath"
	"testing"

	"github.com/tlsmon/tlsmon/internal/corpus"

	"github.com/tlsmon/tlsmon"
	"github.com/tlsmon/tlsmon/analyzer"
	"github.com/tlsmon/tlsmon/capture"
	"github.com/tlsmon/tlsmon/packet"
)

// conformanceDir locates the conformance corpus (see internal/corpus).
func conformanceDir(t *testing.T) string { return corpus.Dir(t) }

// quicCaptures lists the captures of kind quic in INDEX.tsv (name, file).
func quicCaptures(t *testing.T, dir string) [][2]string {
	var out [][2]string
	for _, c := range corpus.Index(t, dir, "quic") {
		out = append(out, [2]string{c.Name, c.File})
	}
	if len(out) == 0 {
		t.Fatal("no quic capture in INDEX.tsv")
	}
	return out
}

type expectedLine struct {
	ID struct {
		OrigH string `json:"orig_h"`
		OrigP uint16 `json:"orig_p"`
		RespH string `json:"resp_h"`
		RespP uint16 `json:"resp_p"`
		Proto string `json:"proto"`
	} `json:"id"`
}

// runCapture plays the UDP datagrams of a capture to one QUIC analyzer per connection of
// the expected events (oriented as Zeek oriented them), standing in for the engine, and
// returns the canonical event lines in order. Like Zeek's network_time, the time given to
// the analyzer never goes back and is at least 1 s.
func runCapture(t *testing.T, path string, conns map[tlsmon.ConnID]bool) []string {
	t.Helper()
	r, err := capture.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	dec := packet.NewDecoder(packet.Config{})
	var lines []string
	h := tlsmon.HandlerFunc(func(e tlsmon.Event) {
		if se, ok := e.(tlsmon.SSLEvent); ok {
			lines = append(lines, string(tlsmon.AppendCanonical(nil, se)))
		}
	})
	type state struct {
		a    *Analyzer
		conn *tlsmon.Conn
	}
	live := map[tlsmon.ConnID]*state{}
	var now int64 = 1_000_000
	var f capture.Frame
	var p packet.Packet
	for {
		if err := r.Next(&f); err != nil {
			if !errors.Is(err, io.EOF) {
				t.Fatal(err)
			}
			break
		}
		if st, _ := dec.DecodeLen(f.LinkType, f.Ts, f.Data, f.WireLen, &p); st != packet.OK || p.Proto != 17 {
			continue
		}
		now = max(now, p.Ts)
		src := netip.AddrFrom16(p.Src).Unmap()
		dst := netip.AddrFrom16(p.Dst).Unmap()
		id := tlsmon.ConnID{OrigH: src, OrigP: p.SrcPort, RespH: dst, RespP: p.DstPort, Proto: tlsmon.ProtoUDP}
		isOrig := true
		if !conns[id] {
			id = tlsmon.ConnID{OrigH: dst, OrigP: p.DstPort, RespH: src, RespP: p.SrcPort, Proto: tlsmon.ProtoUDP}
			isOrig = false
			if !conns[id] {
				continue
			}
		}
		s := live[id]
		if s == nil {
			s = &state{conn: &tlsmon.Conn{ID: id}}
			env := &analyzer.Env{Conn: s.conn, Events: h, Detach: func() {}}
			s.a = NewConfig(env, Config{})
			live[id] = s
		}
		s.a.DeliverPacket(now, isOrig, p.Payload)
	}
	for _, s := range live {
		s.a.Done(now)
	}
	return lines
}

func TestCorpus(t *testing.T) {
	dir := conformanceDir(t)
	for _, c := range quicCaptures(t, dir) {
		name, file := c[0], c[1]
		t.Run(name, func(t *testing.T) {
			want := readLines(t, filepath.Join(dir, "expected", name, "events.jsonl"))
			conns := map[tlsmon.ConnID]bool{}
			for _, l := range want {
				var e expectedLine
				if err := json.Unmarshal([]byte(l), &e); err != nil {
					t.Fatal(err)
				}
				conns[tlsmon.ConnID{OrigH: netip.MustParseAddr(e.ID.OrigH), OrigP: e.ID.OrigP,
					RespH: netip.MustParseAddr(e.ID.RespH), RespP: e.ID.RespP, Proto: tlsmon.ProtoUDP}] = true
			}
			got := runCapture(t, filepath.Join(dir, "pcaps", file), conns)
			if len(got) != len(want) {
				t.Errorf("%d events, want %d", len(got), len(want))
			}
			for i := range min(len(got), len(want)) {
				if !sameJSON(got[i], want[i]) {
					t.Fatalf("event %d:\n got %s\nwant %s", i, got[i], want[i])
				}
			}
		})
	}
}

func readLines(t *testing.T, path string) []string { return corpus.Lines(t, path) }

func sameJSON(a, b string) bool {
	if a == b {
		return true
	}
	var x, y any
	if json.Unmarshal([]byte(a), &x) != nil || json.Unmarshal([]byte(b), &y) != nil {
		return false
	}
	xa, _ := json.Marshal(x)
	ya, _ := json.Marshal(y)
	return bytes.Equal(xa, ya)
}
