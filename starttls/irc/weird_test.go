package irc

import (
	"strings"
	"testing"

	"github.com/tlsmon/tlsmon"
	"github.com/tlsmon/tlsmon/starttls/internal/sttest"
)

// TestIRCWeirds: the IRC analyzer's weirds once it confirmed (a line over 512 bytes, a
// command over 20 characters), and the content line cut at 1000 bytes.
func TestIRCWeirds(t *testing.T) {
	env, _ := sttest.NewEnv(6667)
	var weirds []string
	env.Events = tlsmon.HandlerFunc(func(e tlsmon.Event) {
		if w, ok := e.(*tlsmon.Weird); ok {
			weirds = append(weirds, w.WeirdName)
		}
	})
	a := New(env)
	a.DeliverStream(1, true, []byte("NICK foo\nUSER foo\n"))
	a.DeliverStream(2, true, []byte(strings.Repeat("x", 600)+"\n"))
	a.DeliverStream(3, true, []byte(strings.Repeat("y", 1200)))
	a.DeliverStream(4, true, []byte("\nABCDEFGHIJKLMNOPQRSTUVWXYZ arg\n"))
	// the 1200 y: a 999-byte line, then one of the last 199 bytes, a command too long
	want := "irc_line_size_exceeded contentline_size_exceeded irc_line_size_exceeded irc_invalid_command irc_invalid_command"
	if got := strings.Join(weirds, " "); got != want {
		t.Fatalf("weirds %q, want %q", got, want)
	}
}
