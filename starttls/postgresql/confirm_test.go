package postgresql

import (
	"encoding/binary"
	"testing"

	"github.com/tlsmon/tlsmon/starttls/internal/sttest"
)

func startup(params string) []byte {
	b := make([]byte, 8, 8+len(params)+1)
	binary.BigEndian.PutUint32(b, uint32(8+len(params)+1))
	binary.BigEndian.PutUint32(b[4:], 3<<16)
	return append(append(b, params...), 0)
}

// TestConfirmAfterStartupMessage: Zeek confirms PostgreSQL once a whole, well-formed
// StartupMessage parsed, not on its 8-byte header.
func TestConfirmAfterStartupMessage(t *testing.T) {
	msg := startup("user\x00alice\x00database\x00shop\x00")
	for _, c := range []struct {
		name  string
		steps []sttest.Step
		want  int
	}{
		{"header only", []sttest.Step{{Orig: true, Data: msg[:8]}}, 0},
		{"cut", []sttest.Step{{Orig: true, Data: msg[:20]}}, 0},
		{"whole, in pieces", []sttest.Step{{Orig: true, Data: msg[:10]}, {Orig: true, Data: msg[10:]}}, 1},
		{"bad parameter", []sttest.Step{{Orig: true, Data: startup("us er\x00alice\x00")}}, 0},
	} {
		if rec := sttest.Run(t, 5432, New, c.steps); len(rec.Confirms) != c.want {
			t.Errorf("%s: confirms %v, want %d", c.name, rec.Confirms, c.want)
		}
	}
}
