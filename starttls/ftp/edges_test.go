package ftp

import (
	"testing"

	"github.com/tlsmon/tlsmon/starttls/internal/sttest"
)

// TestPartialAndEOF: Zeek's FTP analyzer parses partial connections (no check for them),
// and a command line left unterminated at the client's EOF is still parsed.
func TestPartialAndEOF(t *testing.T) {
	env, rec := sttest.NewEnv(21)
	env.Partial = func() bool { return true }
	a := New(env)
	a.DeliverStream(1, true, []byte("\x00\x01\x02\n\nSIZE /some/file"))
	if len(rec.Confirms) != 0 {
		t.Fatalf("confirmed before the line ended: %v", rec.Confirms)
	}
	a.EndOfData(2, true)
	if len(rec.Confirms) != 1 || rec.Confirms[0] != "FTP" {
		t.Fatalf("confirms %v (events %v)", rec.Confirms, rec.Names)
	}
	a.Done(3)
}
