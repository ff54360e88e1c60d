package mysql

import (
	"testing"

	"github.com/tlsmon/tlsmon/starttls/internal/sttest"
)

// TestConfirmAfterWholeResponse: Zeek confirms MySQL once the client's handshake response
// parsed whole, not on its first bytes.
func TestConfirmAfterWholeResponse(t *testing.T) {
	greeting := packet(0, append([]byte{10}, []byte("8.0.0\x00rest-of-greeting")...))
	fixed := append([]byte{0x08, 0x00, 0x00, 0x00}, make([]byte, 28)...) // CLIENT_CONNECT_WITH_DB
	for _, c := range []struct {
		name string
		body []byte
		want int
	}{
		{"fixed part only", fixed[:20], 0},
		{"no user name", fixed, 0},
		{"no database", append(append([]byte(nil), fixed...), "root\x00\x03pwd"...), 0},
		{"whole", append(append([]byte(nil), fixed...), "root\x00\x03pwdshop\x00"...), 1},
	} {
		steps := []sttest.Step{{Orig: false, Data: greeting}, {Orig: true, Data: packet(1, c.body)}}
		if rec := sttest.Run(t, 3306, New, steps); len(rec.Confirms) != c.want {
			t.Errorf("%s: confirms %v, want %d", c.name, rec.Confirms, c.want)
		}
	}
}
