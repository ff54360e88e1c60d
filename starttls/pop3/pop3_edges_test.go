package pop3

import (
	"testing"

	"github.com/tlsmon/tlsmon/starttls/internal/sttest"
)

// TestNoWeirdBeforeClientSignature: Zeek attaches POP3 only once dpd_pop3_client matched
// too, so an odd server line before that raises nothing.
func TestNoWeirdBeforeClientSignature(t *testing.T) {
	steps := []sttest.Step{
		{Orig: false, Data: []byte("+OK ready\r\n")},
		{Orig: true, Data: []byte("LIST\r\n")},
		{Orig: false, Data: []byte("GARBAGE here\r\n")},
	}
	rec := sttest.Run(t, 110, New, steps)
	if rec.Count("weird") != 0 || rec.Count("analyzer_violation_info") != 0 {
		t.Fatalf("events %v", rec.Names)
	}
}
