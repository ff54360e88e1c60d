package irc

import (
	"testing"

	"github.com/tlsmon/tlsmon/starttls/internal/sttest"
)

func TestStartTLS(t *testing.T) {
	steps := []sttest.Step{
		{Orig: true, Data: []byte("STARTTLS\r\n")},
		{Orig: false, Data: []byte(":irc.example 670 nick :STARTTLS successful\r\n")},
		{Orig: true, Data: sttest.ClientHello()},
	}
	rec := sttest.Run(t, 6667, New, steps)
	if rec.Count("ssl_client_hello") != 1 || rec.Confirms[0] != "IRC" {
		t.Fatalf("events %v confirms %v", rec.Names, rec.Confirms)
	}
	steps[1].Data = []byte(":irc.example 691 nick :STARTTLS failed\r\n")
	if rec := sttest.Run(t, 6667, New, steps); rec.Count("ssl_client_hello") != 0 {
		t.Fatalf("hand-off after 691: %v", rec.Names)
	}
	steps[1].Data = []byte(":irc.example 67x nick\r\n")
	if rec := sttest.Run(t, 6667, New, steps); rec.Count("analyzer_violation_info") != 1 {
		t.Fatalf("bad reply number not a violation: %v", rec.Names)
	}
}
