package detect

import (
	"bytes"
	"testing"

	"github.com/tlsmon/tlsmon"
	"github.com/tlsmon/tlsmon/analyzer"
)

type rec struct{ got bytes.Buffer }

func (r *rec) DeliverStream(ts int64, isOrig bool, d []byte) { r.got.Write(d) }
func (r *rec) Gap(ts int64, isOrig bool, n uint64)           {}
func (r *rec) DeliverPacket(ts int64, isOrig bool, d []byte) { r.got.Write(d) }
func (r *rec) EndOfData(ts int64, isOrig bool)               {}
func (r *rec) Done(ts int64)                                 {}

var env = EnvFunc(func(spec *analyzer.Spec, s *Slot) *analyzer.Env { return &analyzer.Env{Detach: s.Detach} })

func TestPortAndContent(t *testing.T) {
	specs := []analyzer.Spec{
		{Name: "P", TCPPorts: []uint16{443}, New: func(*analyzer.Env) analyzer.Analyzer { return &rec{} }},
		{Name: "C", Match: func(isOrig bool, b []byte) bool { return !isOrig && bytes.HasPrefix(b, []byte("abcd")) },
			New: func(*analyzer.Env) analyzer.Analyzer { return &rec{} }},
	}
	r := NewRegistry(specs)
	var c Conn
	r.Start(&c, &tlsmon.ConnID{Proto: tlsmon.ProtoTCP, RespP: 443}, env)
	if len(c.Slots()) != 1 || c.Slots()[0].Name != "P" {
		t.Fatalf("port attach: %v", c.Slots())
	}
	if m := r.Stream(&c, true, []byte("abcd"), env); len(m) != 0 {
		t.Fatal("matched the wrong direction")
	}
	if m := r.Stream(&c, false, []byte("ab"), env); len(m) != 0 {
		t.Fatal("matched too early")
	}
	m := r.Stream(&c, false, []byte("cdef"), env)
	if len(m) != 1 || m[0].Name != "C" {
		t.Fatalf("content attach: %v", m)
	}
	c.ReplayStream(m[0], 1)
	r.Settle(&c)
	if got := m[0].A.(*rec).got.String(); got != "abcdabcdef" {
		t.Fatalf("replay %q", got)
	}
	if !c.Stopped() || c.Buffered() != 0 {
		t.Fatal("matching should stop once every content spec is attached")
	}
}

func TestBufferCap(t *testing.T) {
	r := NewRegistry([]analyzer.Spec{{Name: "C", Match: func(bool, []byte) bool { return false },
		New: func(*analyzer.Env) analyzer.Analyzer { return &rec{} }}})
	var c Conn
	r.Start(&c, &tlsmon.ConnID{Proto: tlsmon.ProtoTCP}, env)
	for i := 0; i < 10; i++ {
		r.Stream(&c, true, make([]byte, 300), env)
		r.Settle(&c)
	}
	if !c.Stopped() || !c.Overflowed() || c.Buffered() != 0 {
		t.Fatalf("stopped %v overflow %v buffered %d", c.Stopped(), c.Overflowed(), c.Buffered())
	}
}

// Match sees one direction's bytes in order even when the directions interleave, and a
// replay reproduces the arrival order of both.
func TestInterleavedDirections(t *testing.T) {
	var seen []string
	specs := []analyzer.Spec{{Name: "C", Match: func(isOrig bool, b []byte) bool {
		seen = append(seen, string(b))
		return !isOrig && bytes.Equal(b, []byte("abcd"))
	}, New: func(*analyzer.Env) analyzer.Analyzer { return &rec{} }}}
	r := NewRegistry(specs)
	var c Conn
	r.Start(&c, &tlsmon.ConnID{Proto: tlsmon.ProtoTCP}, env)
	for _, step := range []struct {
		orig bool
		data string
	}{{true, "xx"}, {false, "ab"}, {true, "yy"}, {false, "cd"}} {
		m := r.Stream(&c, step.orig, []byte(step.data), env)
		for _, s := range m {
			c.ReplayStream(s, 1)
		}
		r.Settle(&c)
		if len(m) == 1 {
			if got := m[0].A.(*rec).got.String(); got != "xxabyycd" {
				t.Fatalf("replay %q", got)
			}
		}
	}
	want := []string{"xx", "ab", "xxyy", "abcd"}
	if len(seen) != len(want) {
		t.Fatalf("Match saw %q", seen)
	}
	for i := range want {
		if seen[i] != want[i] {
			t.Fatalf("Match saw %q, want %q", seen, want)
		}
	}
	if len(c.Slots()) != 1 || !c.Stopped() {
		t.Fatalf("slots %d stopped %v", len(c.Slots()), c.Stopped())
	}
}
