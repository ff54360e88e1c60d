package ldap

import (
	"testing"

	"github.com/tlsmon/tlsmon/starttls/internal/sttest"
)

func tlv(tag byte, content []byte) []byte {
	return append([]byte{tag, byte(len(content))}, content...)
}

func message(id byte, op []byte) []byte {
	return tlv(0x30, append(tlv(0x02, []byte{id}), op...))
}

func TestStartTLS(t *testing.T) {
	req := message(1, tlv(0x77, tlv(0x80, []byte(startTLSOID))))
	resp := message(1, tlv(0x78, append(append(tlv(0x0a, []byte{0}), tlv(0x04, nil)...), tlv(0x04, nil)...)))
	steps := []sttest.Step{
		{Orig: true, Data: req[:3]}, {Orig: true, Data: req[3:]},
		{Orig: false, Data: resp},
		{Orig: true, Data: sttest.ClientHello()},
	}
	rec := sttest.Run(t, 389, New, steps)
	if rec.Count("ssl_client_hello") != 1 || rec.Confirms[0] != "LDAP_TCP" {
		t.Fatalf("events %v confirms %v", rec.Names, rec.Confirms)
	}
	steps[2].Data = message(1, tlv(0x78, append(append(tlv(0x0a, []byte{2}), tlv(0x04, nil)...), tlv(0x04, nil)...)))
	if rec := sttest.Run(t, 389, New, steps); rec.Count("ssl_client_hello") != 0 {
		t.Fatalf("hand-off after a failed StartTLS: %v", rec.Names)
	}
	if rec := sttest.Run(t, 389, New, []sttest.Step{{Orig: true, Data: []byte("GET /")}}); !rec.Detached {
		t.Fatalf("non-BER stream kept: %v", rec.Names)
	}
}
