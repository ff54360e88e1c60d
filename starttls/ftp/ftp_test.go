package ftp

import (
	"encoding/base64"
	"testing"

	"github.com/tlsmon/tlsmon/starttls/internal/sttest"
)

func TestAuthTLS(t *testing.T) {
	steps := []sttest.Step{
		{Orig: false, Data: []byte("220 FTP ready\r\n")},
		{Orig: true, Data: []byte("AUTH TLS\r\n")},
		{Orig: false, Data: []byte("234 Proceed\r\n")},
		{Orig: true, Data: sttest.ClientHello()},
	}
	rec := sttest.Run(t, 21, New, steps)
	if rec.Count("ssl_client_hello") != 1 || rec.Confirms[0] != "FTP" {
		t.Fatalf("events %v confirms %v", rec.Names, rec.Confirms)
	}
	steps[1].Data = []byte("AUTH SSL\r\n")
	if rec := sttest.Run(t, 21, New, steps); rec.Count("ssl_client_hello") != 0 {
		t.Fatalf("hand-off after AUTH SSL: %v", rec.Names)
	}
}

func TestGSSAPIADAT(t *testing.T) {
	tok := base64.StdEncoding.EncodeToString(sttest.ClientHello())
	steps := []sttest.Step{
		{Orig: false, Data: []byte("220 GridFTP ready\r\n")},
		{Orig: true, Data: []byte("AUTH GSSAPI\r\n")},
		{Orig: false, Data: []byte("334 Using authentication type GSSAPI\r\n")},
		{Orig: true, Data: []byte("ADAT " + tok + "\r\n")},
	}
	rec := sttest.Run(t, 2811, New, steps)
	if rec.Count("ssl_client_hello") != 1 {
		t.Fatalf("ADAT token not decoded to the SSL analyzer: %v", rec.Names)
	}
	steps[3].Data = []byte("ADAT " + tok[:8] + " " + tok[8:] + "\r\n")
	rec = sttest.Run(t, 2811, New, steps)
	if rec.Count("ssl_client_hello") != 0 || rec.Count("weird") != 2 {
		t.Fatalf("badly encoded first token: %v", rec.Names)
	}
}

func TestDecodeBase64(t *testing.T) {
	for _, c := range []struct {
		in, out string
		ok      bool
	}{
		{"aGVsbG8=", "hello", true},
		{"aGVsbG8", "hello", true}, // incomplete group padded
		{"aGV sbG8=", "", false},
		{"aGVsbG8=aGVs", "", false}, // groups after padding
	} {
		got, _, ok := decodeBase64(nil, []byte(c.in))
		if ok != c.ok || (ok && string(got) != c.out) {
			t.Errorf("%q: got %q %v", c.in, got, ok)
		}
	}
}
