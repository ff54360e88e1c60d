package pop3

import (
	"testing"

	"github.com/tlsmon/tlsmon/starttls/internal/sttest"
)

func TestSTLS(t *testing.T) {
	steps := []sttest.Step{
		{Orig: false, Data: []byte("+OK POP3 ready\r\n")},
		{Orig: true, Data: []byte("CAPA\r\n")},
		{Orig: false, Data: []byte("+OK\r\nSTLS\r\nUSER\r\n.\r\n")},
		{Orig: true, Data: []byte("STLS\r\n")},
		{Orig: false, Data: []byte("+OK Begin TLS\r\n")},
		{Orig: true, Data: sttest.ClientHello()},
	}
	rec := sttest.Run(t, 110, New, steps)
	if rec.Count("ssl_client_hello") != 1 || rec.Confirms[0] != "POP3" {
		t.Fatalf("events %v confirms %v", rec.Names, rec.Confirms)
	}
	steps[4].Data = []byte("-ERR no\r\n")
	if rec := sttest.Run(t, 110, New, steps); rec.Count("ssl_client_hello") != 0 {
		t.Fatalf("hand-off after -ERR: %v", rec.Names)
	}
}

func TestMatch(t *testing.T) {
	if !Match(false, []byte("+OK hi")) || Match(true, []byte("+OK hi")) || Match(false, []byte("220 x")) {
		t.Fatal("Match disagrees with dpd_pop3_server")
	}
	if !clientMatch([]byte("  user bob")) || clientMatch([]byte("USERS")) || !clientMatch([]byte("stls")) {
		t.Fatal("clientMatch disagrees with dpd_pop3_client")
	}
}
