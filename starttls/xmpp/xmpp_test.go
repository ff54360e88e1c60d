package xmpp

import (
	"testing"

	"github.com/tlsmon/tlsmon/starttls/internal/sttest"
)

func TestStartTLS(t *testing.T) {
	steps := []sttest.Step{
		{Orig: true, Data: []byte("<?xml version='1.0'?><stream:stream to='example.com' xmlns='jabber:client'>")},
		{Orig: false, Data: []byte("<stream:stream from='example.com'><stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/></stream:features>")},
		{Orig: true, Data: []byte("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")},
		{Orig: false, Data: []byte("<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")},
		{Orig: true, Data: sttest.ClientHello()},
	}
	rec := sttest.Run(t, 5222, New, steps)
	if rec.Count("ssl_client_hello") != 1 || rec.Confirms[0] != "XMPP" {
		t.Fatalf("events %v confirms %v", rec.Names, rec.Confirms)
	}
	steps[2].Data = []byte("<presence/>")
	if rec := sttest.Run(t, 5222, New, steps); rec.Count("ssl_client_hello") != 0 || !rec.Detached {
		t.Fatalf("hand-off past the StartTLS phase: %v", rec.Names)
	}
}
