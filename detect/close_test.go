package detect

import (
	"testing"

	"github.com/tlsmon/tlsmon"
	"github.com/tlsmon/tlsmon/analyzer"
)

// Close releases a connection's slots; the next connections start from clean slots, three
// or more of them included.
func TestCloseRecyclesSlots(t *testing.T) {
	var specs []analyzer.Spec
	for _, n := range []string{"A", "B", "C"} {
		specs = append(specs, analyzer.Spec{Name: n, TCPPorts: []uint16{443},
			New: func(*analyzer.Env) analyzer.Analyzer { return &rec{} }})
	}
	r := NewRegistry(specs)
	for round := 0; round < 4; round++ {
		var c Conn
		r.Start(&c, &tlsmon.ConnID{Proto: tlsmon.ProtoTCP, RespP: 443}, env)
		slots := c.Slots()
		if len(slots) != 3 {
			t.Fatalf("round %d: %d slots", round, len(slots))
		}
		for i, s := range slots {
			if s.Name() != specs[i].Name || s.A == nil || s.Detached || s.Ended {
				t.Fatalf("round %d: slot %d is %+v", round, i, *s)
			}
		}
		slots[0].Detach()
		for _, s := range slots {
			s.Ended = true
		}
		r.Close(&c)
		if c.Slots() != nil {
			t.Fatalf("round %d: slots after Close", round)
		}
	}
}
