package detect

import (
	"bytes"
	"testing"

	"github.com/tlsmon/tlsmon"
	"github.com/tlsmon/tlsmon/analyzer"
)

type gapRec struct {
	rec
	gaps []uint64
}

func (r *gapRec) Gap(ts int64, isOrig bool, n uint64) { r.gaps = append(r.gaps, n) }

// Zeek's PIA forgets a gap that comes before any stream byte (an analyzer attached later
// never learns of it), records one that comes while it buffers (the replay reproduces it),
// and goes on matching after a gap with the bytes that follow it.
func TestGapRule(t *testing.T) {
	spec := func() []analyzer.Spec {
		return []analyzer.Spec{{Name: "C", Match: func(isOrig bool, b []byte) bool {
			return !isOrig && bytes.HasPrefix(b, []byte("abcd"))
		}, New: func(*analyzer.Env) analyzer.Analyzer { return &gapRec{} }}}
	}
	for _, tc := range []struct {
		name  string
		steps func(r *Registry, c *Conn) []*Slot
		gaps  []uint64
		data  string
	}{
		{"gap before any data is forgotten", func(r *Registry, c *Conn) []*Slot {
			c.Gap(true, 100)
			r.Stream(c, true, []byte("xy"), env)
			return r.Stream(c, false, []byte("abcd"), env)
		}, nil, "xyabcd"},
		{"gap while buffering is replayed", func(r *Registry, c *Conn) []*Slot {
			r.Stream(c, true, []byte("xy"), env)
			c.Gap(true, 7)
			return r.Stream(c, false, []byte("abcd"), env)
		}, []uint64{7}, "xyabcd"},
		{"matching goes on across a gap", func(r *Registry, c *Conn) []*Slot {
			r.Stream(c, false, []byte("ab"), env)
			c.Gap(false, 5)
			return r.Stream(c, false, []byte("cd"), env)
		}, []uint64{5}, "abcd"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := NewRegistry(spec())
			var c Conn
			r.Start(&c, &tlsmon.ConnID{Proto: tlsmon.ProtoTCP}, env)
			m := tc.steps(r, &c)
			if len(m) != 1 {
				t.Fatalf("matched %d analyzers, want 1", len(m))
			}
			c.ReplayStream(m[0], 1)
			r.Settle(&c)
			a := m[0].A.(*gapRec)
			if a.got.String() != tc.data || len(a.gaps) != len(tc.gaps) || (len(a.gaps) > 0 && a.gaps[0] != tc.gaps[0]) {
				t.Fatalf("replay data %q gaps %v; want %q %v", a.got.String(), a.gaps, tc.data, tc.gaps)
			}
		})
	}
}
