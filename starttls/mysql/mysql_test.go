package mysql

import (
	"testing"

	"github.com/tlsmon/tlsmon/starttls/internal/sttest"
)

func packet(seq byte, body []byte) []byte {
	return append([]byte{byte(len(body)), byte(len(body) >> 8), byte(len(body) >> 16), seq}, body...)
}

func TestSSLRequest(t *testing.T) {
	greeting := packet(0, append([]byte{10}, []byte("8.0.0\x00rest-of-greeting")...))
	sslReq := packet(1, append([]byte{0x00, 0x08, 0x00, 0x00}, make([]byte, 28)...))
	steps := []sttest.Step{
		{Orig: false, Data: greeting[:5]}, {Orig: false, Data: greeting[5:]},
		{Orig: true, Data: append(sslReq, sttest.ClientHello()...)},
	}
	rec := sttest.Run(t, 3306, New, steps)
	if rec.Count("ssl_client_hello") != 1 || rec.Confirms[0] != "MySQL" {
		t.Fatalf("events %v confirms %v", rec.Names, rec.Confirms)
	}
	steps[2].Data = packet(1, append([]byte{0x00, 0x00, 0x00, 0x00}, make([]byte, 28)...))
	if rec := sttest.Run(t, 3306, New, steps); rec.Count("ssl_client_hello") != 0 || !rec.Detached {
		t.Fatalf("hand-off without CLIENT_SSL: %v", rec.Names)
	}
}
