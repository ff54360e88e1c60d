package postgresql

import (
	"testing"

	"github.com/tlsmon/tlsmon/starttls/internal/sttest"
)

func TestSSLRequest(t *testing.T) {
	steps := []sttest.Step{
		{Orig: true, Data: sslRequest},
		{Orig: false, Data: []byte("S")},
		{Orig: true, Data: sttest.ClientHello()},
	}
	rec := sttest.Run(t, 5432, New, steps)
	if rec.Count("ssl_client_hello") != 1 || rec.Confirms[0] != "PostgreSQL" {
		t.Fatalf("events %v confirms %v", rec.Names, rec.Confirms)
	}
	steps[1].Data = []byte("N")
	if rec := sttest.Run(t, 5432, New, steps); rec.Count("ssl_client_hello") != 0 {
		t.Fatalf("hand-off after N: %v", rec.Names)
	}
	// The client's hello sent before the answer is held, then delivered with the next chunk.
	held := []sttest.Step{{Orig: true, Data: sslRequest}, {Orig: true, Data: sttest.ClientHello()},
		{Orig: false, Data: []byte("S")}, {Orig: true, Data: []byte{0x15, 0x03, 0x03, 0x00, 0x02, 0x01, 0x00}}}
	if rec := sttest.Run(t, 5432, New, held); rec.Count("ssl_client_hello") != 1 {
		t.Fatalf("held client bytes lost: %v", rec.Names)
	}
}

func TestMatch(t *testing.T) {
	if !Match(true, sslRequest) || Match(false, sslRequest) || Match(true, sslRequest[:7]) {
		t.Fatal("Match disagrees with dpd_postgresql_client_sslrequest")
	}
}
