package socks

import (
	"testing"

	"github.com/tlsmon/tlsmon/starttls/internal/sttest"
)

func TestSOCKS5(t *testing.T) {
	steps := []sttest.Step{
		{Orig: true, Data: []byte{5, 1, 0}},
		{Orig: false, Data: []byte{5, 0}},
		{Orig: true, Data: []byte{5, 1, 0, 1, 10, 0, 0, 1, 1, 187}},
		{Orig: false, Data: []byte{5, 0, 0, 1, 10, 0, 0, 1, 1, 187}},
		{Orig: true, Data: sttest.ClientHello()},
	}
	rec := sttest.Run(t, 1080, New, steps)
	if rec.Count("ssl_client_hello") != 1 || rec.Confirms[0] != "SOCKS" {
		t.Fatalf("events %v confirms %v", rec.Names, rec.Confirms)
	}
	steps[4].Data = []byte("GET / HTTP/1.1\r\n\r\n")
	if rec := sttest.Run(t, 1080, New, steps); rec.Count("ssl_client_hello") != 0 {
		t.Fatalf("TLS seen in a plain tunnel: %v", rec.Names)
	}
}
