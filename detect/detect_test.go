package detect

import (
	"bytes"
	"strings"
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
	if len(c.Slots()) != 1 || c.Slots()[0].Name() != "P" {
		t.Fatalf("port attach: %v", c.Slots())
	}
	if m := r.Stream(&c, true, []byte("abcd"), env); len(m) != 0 {
		t.Fatal("matched the wrong direction")
	}
	if m := r.Stream(&c, false, []byte("ab"), env); len(m) != 0 {
		t.Fatal("matched too early")
	}
	m := r.Stream(&c, false, []byte("cdef"), env)
	if len(m) != 1 || m[0].Name() != "C" {
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

// A spec's signature applies to the transports it has ports for (both if none), unless
// MatchProto names one; a UDP flow whose transport's signatures all belong to analyzers
// attached by port buffers nothing.
func TestTransportSignatures(t *testing.T) {
	always := func(bool, []byte) bool { return true }
	newRec := func(*analyzer.Env) analyzer.Analyzer { return &rec{} }
	r := NewRegistry([]analyzer.Spec{
		{Name: "T", TCPPorts: []uint16{443}, Match: always, New: newRec},
		{Name: "U", UDPPorts: []uint16{443}, Match: always, New: newRec},
		{Name: "P", Match: always, MatchProto: tlsmon.ProtoTCP, New: newRec},
		{Name: "B", Match: always, New: newRec},
	})
	names := func(m []*Slot) string {
		var s []string
		for _, sl := range m {
			s = append(s, sl.Name())
		}
		return strings.Join(s, ",")
	}
	var c Conn
	r.Start(&c, &tlsmon.ConnID{Proto: tlsmon.ProtoUDP, RespP: 443}, env)
	if m := r.Packet(&c, true, []byte("x"), env); names(m) != "B" || c.Buffered() != 1 {
		t.Fatalf("UDP to 443: matched %q, buffered %d", names(m), c.Buffered())
	}
	for _, tc := range []struct {
		proto tlsmon.Proto
		want  string
	}{{tlsmon.ProtoUDP, "U,B"}, {tlsmon.ProtoTCP, "T,P,B"}} {
		var c Conn
		r.Start(&c, &tlsmon.ConnID{Proto: tc.proto, RespP: 53}, env)
		if m := r.offer(nil, &c, true, []byte("x"), env, tc.proto == tlsmon.ProtoTCP); names(m) != tc.want {
			t.Errorf("proto %d: matched %q, want %q", tc.proto, names(m), tc.want)
		}
	}
	r = NewRegistry([]analyzer.Spec{
		{Name: "T", TCPPorts: []uint16{443}, Match: always, New: newRec},
		{Name: "U", UDPPorts: []uint16{443}, Match: always, New: newRec},
	})
	c = Conn{}
	r.Start(&c, &tlsmon.ConnID{Proto: tlsmon.ProtoUDP, RespP: 443}, env)
	if !c.Stopped() {
		t.Fatal("UDP to 443: content matching runs though its only signature's analyzer is attached")
	}
	if m := r.Packet(&c, true, []byte("x"), env); len(m) != 0 || c.Buffered() != 0 || c.m != nil {
		t.Fatalf("UDP to 443: matched %q, buffered %d", names(m), c.Buffered())
	}
}

// A direction's buffer holds what it received (doubling as it grows), never more than
// BufferSize.
func TestBufferGrows(t *testing.T) {
	r := NewRegistry([]analyzer.Spec{{Name: "C", Match: func(bool, []byte) bool { return false },
		New: func(*analyzer.Env) analyzer.Analyzer { return &rec{} }}})
	var c Conn
	r.Start(&c, &tlsmon.ConnID{Proto: tlsmon.ProtoUDP}, env)
	for i, want := range []struct{ n, cap int }{{10, 10}, {30, 40}, {5, 80}, {600, 645}, {600, BufferSize}} {
		r.Packet(&c, true, make([]byte, want.n), env)
		if c.m == nil || cap(c.m.dir[0]) != want.cap || c.m.dir[1] != nil {
			t.Fatalf("step %d: buffer cap %d, want %d", i, cap(c.m.dir[0]), want.cap)
		}
		if i == 4 {
			if len(c.m.dir[0]) != BufferSize {
				t.Fatalf("buffered %d", len(c.m.dir[0]))
			}
			break
		}
		r.Settle(&c)
	}
}

// An analyzer that detached is ended by EndDetached and no longer referenced.
func TestEndedAnalyzerReleased(t *testing.T) {
	r := NewRegistry([]analyzer.Spec{{Name: "P", UDPPorts: []uint16{443},
		New: func(*analyzer.Env) analyzer.Analyzer { return &rec{} }}})
	var c Conn
	r.Start(&c, &tlsmon.ConnID{Proto: tlsmon.ProtoUDP, RespP: 443}, env)
	s := c.Slots()[0]
	s.Detach()
	c.EndDetached(1)
	if !s.Ended || s.A != nil {
		t.Fatalf("ended %v, analyzer %v", s.Ended, s.A)
	}
	r.Done(&c, 2)
}
