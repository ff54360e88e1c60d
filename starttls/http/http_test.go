package http

import (
	"testing"

	"github.com/tlsmon/tlsmon/starttls/internal/sttest"
)

func TestConnect(t *testing.T) {
	steps := []sttest.Step{
		{Orig: true, Data: []byte("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com\r\n\r\n")},
		{Orig: false, Data: []byte("HTTP/1.1 200 Connection established\r\nX: y\r\n\r\n")},
		{Orig: true, Data: sttest.ClientHello()},
	}
	rec := sttest.Run(t, 8080, New, steps)
	if rec.Count("ssl_client_hello") != 1 || rec.Confirms[0] != "HTTP" {
		t.Fatalf("events %v confirms %v", rec.Names, rec.Confirms)
	}
	steps[1].Data = []byte("HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n")
	if rec := sttest.Run(t, 8080, New, steps); rec.Count("ssl_client_hello") != 0 {
		t.Fatalf("tunnel after 407: %v", rec.Names)
	}
}

func frame(payload []byte, mask bool) []byte {
	f := []byte{0x82, byte(len(payload))}
	if len(payload) >= 126 {
		f = []byte{0x82, 126, byte(len(payload) >> 8), byte(len(payload))}
	}
	if !mask {
		return append(f, payload...)
	}
	f[1] |= 0x80
	key := []byte{1, 2, 3, 4}
	f = append(f, key...)
	for i, c := range payload {
		f = append(f, c^key[i%4])
	}
	return f
}

func TestWebSocket(t *testing.T) {
	hello := frame(sttest.ClientHello(), true)
	steps := []sttest.Step{
		{Orig: true, Data: []byte("GET /tunnel HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")},
		{Orig: false, Data: []byte("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")},
		{Orig: true, Data: hello[:7]}, {Orig: true, Data: hello[7:]},
	}
	rec := sttest.Run(t, 8888, New, steps)
	if rec.Count("ssl_client_hello") != 1 {
		t.Fatalf("TLS in WebSocket frames not found: %v", rec.Names)
	}
	if n := len(rec.Confirms); n != 3 || rec.Confirms[0] != "HTTP" || rec.Confirms[1] != "SSL" || rec.Confirms[2] != "WebSocket" {
		t.Fatalf("confirmations %v", rec.Confirms)
	}
	steps[1].Data = []byte("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: keep-alive, Upgrade\r\n\r\n")
	if rec := sttest.Run(t, 8888, New, steps); rec.Count("ssl_client_hello") != 0 {
		t.Fatalf("upgrade without a leading upgrade token: %v", rec.Names)
	}
}
