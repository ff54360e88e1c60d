package imap

import (
	"testing"

	"github.com/tlsmon/tlsmon/starttls/internal/sttest"
)

func TestStartTLS(t *testing.T) {
	steps := []sttest.Step{
		{Orig: false, Data: []byte("* OK [CAPABILITY IMAP4rev1 STARTTLS] ready\r\n")},
		{Orig: true, Data: []byte("a1 CAPABILITY\r\n")},
		{Orig: false, Data: []byte("* CAPABILITY IMAP4rev1 STARTTLS\r\na1 OK done\r\n")},
		{Orig: true, Data: []byte("a2 STARTTLS\r\n")},
		{Orig: false, Data: []byte("a2 OK Begin TLS\r\n")},
		{Orig: true, Data: sttest.ClientHello()},
	}
	rec := sttest.Run(t, 143, New, steps)
	if rec.Count("ssl_client_hello") != 1 || rec.Confirms[0] != "IMAP" {
		t.Fatalf("events %v confirms %v", rec.Names, rec.Confirms)
	}
	steps[4].Data = []byte("a1 OK wrong tag\r\n")
	if rec := sttest.Run(t, 143, New, steps); rec.Count("ssl_client_hello") != 0 {
		t.Fatalf("hand-off on another tag: %v", rec.Names)
	}
	steps[4].Data = []byte("a2 OK no newline")
	if rec := sttest.Run(t, 143, New, steps); rec.Count("analyzer_violation_info") != 1 {
		t.Fatalf("truncated token not a violation: %v", rec.Names)
	}
}
