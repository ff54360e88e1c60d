package ssl

import (
	"encoding/hex"
	"fmt"
	"strings"
	"testing"

	"github.com/tlsmon/tlsmon/analyzer"
)

func feedClientHello(t *testing.T, exts []ext) *recorder {
	t.Helper()
	a, r := newTestAnalyzer(analyzer.Options{})
	body := clientHelloBody(versionTLS12, seqRandom(1), nil, []uint16{0xc02f, 0x002f}, exts)
	a.DeliverStream(1_000_000, true, record(ctHandshake, versionTLS10, hsMsg(hsClientHello, body)))
	return r
}

func feedServerHello(t *testing.T, exts []ext) *recorder {
	t.Helper()
	a, r := newTestAnalyzer(analyzer.Options{})
	a.DeliverStream(1, true, record(ctHandshake, versionTLS10, hsMsg(hsClientHello,
		clientHelloBody(versionTLS12, seqRandom(1), nil, []uint16{0x1301}, nil))))
	r.lines = nil
	a.DeliverStream(2, false, record(ctHandshake, versionTLS12, hsMsg(hsServerHello,
		serverHelloBody(versionTLS12, seqRandom(9), []byte{7}, 0x1301, exts))))
	return r
}

func TestClientHelloEventsAndOrder(t *testing.T) {
	sni := prefixed16(append([]byte{0}, prefixed16([]byte("example.com"))...))
	groups := prefixed16(u16s(29, 23))
	r := feedClientHello(t, []ext{{0, sni}, {10, groups}, {0xff01, []byte{0}}})
	random := seqRandom(1)
	want := []string{
		`ssl_extension_server_name {"is_client":true,"names":["` + hex.EncodeToString([]byte("example.com")) + `"]}`,
		`ssl_extension {"is_client":true,"code":0,"val":"` + hex.EncodeToString(sni) + `"}`,
		`ssl_extension_elliptic_curves {"is_client":true,"curves":[29,23]}`,
		`ssl_extension {"is_client":true,"code":10,"val":"` + hex.EncodeToString(groups) + `"}`,
		`ssl_extension {"is_client":true,"code":65281,"val":"00"}`,
		"confirm",
		fmt.Sprintf(`ssl_client_hello {"version":771,"record_version":769,"possible_ts":%d.000000,"client_random":"%s","session_id":"%s","ciphers":[49199,47],"comp_methods":[0]}`,
			uint32(random[0])<<24|uint32(random[1])<<16|uint32(random[2])<<8|uint32(random[3]),
			hex.EncodeToString(random[4:]), strings.Repeat("00", 32)),
	}
	if len(r.lines) < len(want)+2 {
		t.Fatalf("got %d events, want %d:\n%s", len(r.lines), len(want)+2, strings.Join(r.lines, "\n"))
	}
	for i, w := range want {
		if r.lines[i] != w {
			t.Errorf("event %d:\n got %s\nwant %s", i, r.lines[i], w)
		}
	}
	if !strings.HasPrefix(r.lines[len(want)], `ssl_handshake_message {"is_client":true,"msg_type":1,`) {
		t.Errorf("want ssl_handshake_message after the hello, got %s", r.lines[len(want)])
	}
	if !strings.HasPrefix(r.lines[len(want)+1], `ssl_plaintext_data {"is_client":true,"record_version":769,"content_type":22,`) {
		t.Errorf("want ssl_plaintext_data last, got %s", r.lines[len(want)+1])
	}
}

func TestExtensionParsers(t *testing.T) {
	var identity []byte
	identity = append(identity, prefixed16([]byte("abc"))...)
	identity = append(identity, 0, 0, 0, 7)
	psk := append(prefixed16(identity), prefixed16(prefixed8([]byte("xyz")))...)
	ech := append([]byte{0, 0, 1, 0, 1, 5}, prefixed16([]byte("ab"))...)
	ech = append(ech, prefixed16([]byte{1, 2, 3})...)
	keyShare := prefixed16(append(u16s(29), prefixed16(make([]byte, 32))...))

	tests := []struct {
		name   string
		server bool
		e      ext
		want   string // a line the events must contain; "" for none
		bad    bool   // malformed: a violation and no hello event
	}{
		{"alpn", false, ext{16, prefixed16(append(prefixed8([]byte("h2")), prefixed8([]byte("http/1.1"))...))},
			`ssl_extension_application_layer_protocol_negotiation {"is_client":true,"protocols":["6832","687474702f312e31"]}`, false},
		{"alpn-overlong-name", false, ext{16, prefixed16([]byte{5, 'h'})}, "", true},
		{"curves", false, ext{10, prefixed16(u16s(29, 23, 24))}, `ssl_extension_elliptic_curves {"is_client":true,"curves":[29,23,24]}`, false},
		{"curves-short", false, ext{10, []byte{0, 6, 0, 29}}, "", true},
		{"point-formats", false, ext{11, prefixed8([]byte{0, 1})}, `ssl_extension_ec_point_formats {"is_client":true,"point_formats":[0,1]}`, false},
		{"point-formats-short", false, ext{11, []byte{3, 0}}, "", true},
		{"sigalgs", false, ext{13, prefixed16(u16s(0x0401, 0x0503))},
			`ssl_extension_signature_algorithm {"is_client":true,"signature_algorithms":[{"HashAlgorithm":4,"SignatureAlgorithm":1},{"HashAlgorithm":5,"SignatureAlgorithm":3}]}`, false},
		{"sigalgs-odd", false, ext{13, prefixed16([]byte{4, 1, 5})}, "", true},
		{"sigalgs-cert", false, ext{50, prefixed16(u16s(0x0804))}, `ssl_extension_signature_algorithms_cert {"is_client":true,"signature_schemes":[2052]}`, false},
		{"key-share", false, ext{51, keyShare}, `ssl_extension_key_share {"is_client":true,"curves":[29]}`, false},
		{"key-share-old", false, ext{40, keyShare}, `ssl_extension_key_share {"is_client":true,"curves":[29]}`, false},
		{"key-share-truncated", false, ext{51, prefixed16([]byte{0, 29, 0, 32, 1})}, "", true},
		{"versions", false, ext{43, prefixed8(u16s(0x0304, 0x0303))}, `ssl_extension_supported_versions {"is_client":true,"versions":[772,771]}`, false},
		{"psk-modes", false, ext{45, prefixed8([]byte{1})}, `ssl_extension_psk_key_exchange_modes {"is_client":true,"modes":[1]}`, false},
		{"psk", false, ext{41, psk},
			`ssl_extension_pre_shared_key_client_hello {"is_client":true,"identities":[{"identity":"616263","obfuscated_ticket_age":7}],"binders":["78797a"]}`, false},
		{"psk-no-binders", false, ext{41, prefixed16(identity)}, "", true},
		{"cid", false, ext{54, prefixed8([]byte{1, 2})}, `ssl_extension_connection_id {"is_client":true,"cid":"0102"}`, false},
		{"ech", false, ext{65037, ech},
			`ssl_extension_encrypted_client_hello {"is_client":true,"kdf_id":1,"aead_id":1,"config_id":5,"enc":"6162","payload_length":3}`, false},
		{"ech-truncated", false, ext{65037, ech[:len(ech)-1]}, "", true},
		{"ech-inner", false, ext{65037, []byte{1}}, "weird ssl_unexpected_inner_encrypted_client_hello", false},
		{"sni-unknown-type", false, ext{0, prefixed16([]byte{7, 0, 1, 'x'})}, `ssl_extension_server_name {"is_client":true,"names":[]}`, false},
		{"sni-overlong", false, ext{0, prefixed16([]byte{0, 0, 9, 'x'})}, "", true},
		{"empty-ext-no-specific-event", false, ext{0, nil}, `ssl_extension {"is_client":true,"code":0,"val":""}`, false},
		{"server-version", true, ext{43, u16s(0x0304)}, `ssl_extension_supported_versions {"is_client":false,"versions":[772]}`, false},
		{"server-key-share", true, ext{51, append(u16s(23), prefixed16([]byte{4, 1})...)}, `ssl_extension_key_share {"is_client":false,"curves":[23]}`, false},
		{"hrr-key-share", true, ext{51, u16s(24)}, `ssl_extension_key_share {"is_client":false,"curves":[24]}`, false},
		{"server-psk", true, ext{41, u16s(3)}, `ssl_extension_pre_shared_key_server_hello {"is_client":false,"selected_identity":3}`, false},
		{"sct", true, ext{18, prefixed16(prefixed16(sctBody()))},
			`ssl_extension_signed_certificate_timestamp {"is_client":false,"version":0,"logid":"` + strings.Repeat("11", 32) +
				`","timestamp":1234,"signature_and_hashalgorithm":{"HashAlgorithm":4,"SignatureAlgorithm":3},"signature":"aabb"}`, false},
		{"sct-truncated", true, ext{18, prefixed16(prefixed16(sctBody()[:40]))}, "", true},
		{"unknown-empty", false, ext{0xff01, nil}, `ssl_extension {"is_client":true,"code":65281,"val":""}`, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var r *recorder
			if tc.server {
				r = feedServerHello(t, []ext{tc.e})
			} else {
				r = feedClientHello(t, []ext{tc.e})
			}
			hello := "ssl_client_hello"
			if tc.server {
				hello = "ssl_server_hello"
			}
			if tc.want != "" && !r.has(tc.want) {
				t.Errorf("missing %s in:\n%s", tc.want, strings.Join(r.lines, "\n"))
			}
			if tc.bad != r.has("violation Binpac exception") {
				t.Errorf("violation = %v, want %v:\n%s", !tc.bad, tc.bad, strings.Join(r.lines, "\n"))
			}
			if tc.bad == r.has(hello) {
				t.Errorf("%s present = %v, want %v", hello, !tc.bad, !tc.bad)
			}
		})
	}
}

func sctBody() []byte {
	var b []byte
	b = append(b, 0)
	for range 32 {
		b = append(b, 0x11)
	}
	b = append(b, 0, 0, 0, 0, 0, 0, 0x04, 0xd2) // timestamp 1234
	b = append(b, 0, 0)                         // no extensions
	b = append(b, 4, 3)
	b = append(b, prefixed16([]byte{0xaa, 0xbb})...)
	return b
}

// Every truncation of every message must be handled without panicking; a truncated hello
// raises no hello event.
func TestTruncatedMessages(t *testing.T) {
	msgs := map[uint8][]byte{
		hsClientHello:        clientHelloBody(versionTLS12, seqRandom(1), []byte{1, 2}, []uint16{1, 2}, []ext{{0, prefixed16(append([]byte{0}, prefixed16([]byte("a.b"))...))}}),
		hsServerHello:        serverHelloBody(versionTLS12, seqRandom(2), []byte{1}, 0xc02f, []ext{{11, prefixed8([]byte{0})}}),
		hsCertificate:        certMsg([][]byte{[]byte("cert-one"), []byte("cert-two")}),
		hsServerKeyExchange:  append(append([]byte{3, 0, 23}, prefixed8([]byte{4, 1, 2})...), append([]byte{4, 1}, prefixed16([]byte{9, 9})...)...),
		hsCertificateRequest: append(append(prefixed8([]byte{1, 64}), prefixed16(u16s(0x0401))...), prefixed16(prefixed16([]byte("CA")))...),
		hsSessionTicket:      append([]byte{0, 0, 1, 0}, prefixed16([]byte("ticket"))...),
		hsCertificateStatus:  append([]byte{1, 0, 0, 3}, []byte("ocs")...),
	}
	for typ, body := range msgs {
		for n := 0; n < len(body); n++ {
			h := NewHandshake(testConn, &recorder{}, "SSL", Callbacks{})
			h.chosenCipher = 0xc02f
			h.chosenVersion = versionTLS12
			h.Message(1, typ == hsClientHello, typ, body[:n], n)
		}
	}
}

func certMsg(certs [][]byte) []byte {
	var list []byte
	for _, c := range certs {
		list = append(list, byte(len(c)>>16), byte(len(c)>>8), byte(len(c)))
		list = append(list, c...)
	}
	return append([]byte{byte(len(list) >> 16), byte(len(list) >> 8), byte(len(list))}, list...)
}

func TestCertificateRequestAndKeyExchange(t *testing.T) {
	r := &recorder{}
	h := NewHandshake(testConn, r, "SSL", Callbacks{})
	h.chosenVersion = versionTLS12
	h.chosenCipher = 0xc02f // ECDHE-RSA
	body := append(append([]byte{3, 0, 23}, prefixed8([]byte{4, 1, 2})...), append([]byte{4, 1}, prefixed16([]byte{9, 9})...)...)
	h.Message(1, false, hsServerKeyExchange, body, len(body))
	req := append(append(prefixed8([]byte{1, 64}), prefixed16(u16s(0x0401))...), prefixed16(prefixed16([]byte("CA")))...)
	h.Message(1, false, hsCertificateRequest, req, len(req))
	cke := prefixed8([]byte{4, 5, 6})
	h.Message(1, true, hsClientKeyExchange, cke, len(cke))
	h.Message(1, false, hsCertificate, certMsg([][]byte{[]byte("leaf"), nil, []byte("ca")}), 0)
	want := []string{
		`ssl_ecdh_server_params {"curve":23,"point":"040102"}`,
		`ssl_server_signature {"signature_and_hashalgorithm":{"HashAlgorithm":4,"SignatureAlgorithm":1},"signature":"0909"}`,
		`ssl_handshake_message {"is_client":false,"msg_type":12,"length":` + fmt.Sprint(len(body)) + `}`,
		`ssl_certificate_request {"is_client":false,"certificate_types":[1,64],"supported_signature_algorithms":[{"HashAlgorithm":4,"SignatureAlgorithm":1}],"certificate_authorities":["4341"]}`,
		`ssl_handshake_message {"is_client":false,"msg_type":13,"length":` + fmt.Sprint(len(req)) + `}`,
		`ssl_ecdh_client_params {"point":"03040506"}`,
		`ssl_handshake_message {"is_client":true,"msg_type":16,"length":4}`,
		"cert 0 false 4",
		"weird zero_length_certificate ",
		"cert 2 false 2",
	}
	if strings.Join(r.lines[:len(want)], "\n") != strings.Join(want, "\n") {
		t.Errorf("got:\n%s\nwant:\n%s", strings.Join(r.lines, "\n"), strings.Join(want, "\n"))
	}
	// Before TLS 1.2 the signature has no algorithm: Zeek reports 256/256.
	r.lines = nil
	h.chosenVersion = versionTLS10
	body = append(append([]byte{3, 0, 23}, prefixed8([]byte{4})...), prefixed16([]byte{7})...)
	h.Message(1, false, hsServerKeyExchange, body, len(body))
	if !r.has(`ssl_server_signature {"signature_and_hashalgorithm":{"HashAlgorithm":256,"SignatureAlgorithm":256},"signature":"07"}`) {
		t.Errorf("TLS 1.0 signature: %v", r.lines)
	}
}

func TestFlippedConnection(t *testing.T) {
	a, r := newTestAnalyzer(analyzer.Options{})
	// the responder sends the client hello
	a.DeliverStream(1, false, record(ctHandshake, versionTLS10, hsMsg(hsClientHello,
		clientHelloBody(versionTLS12, seqRandom(1), nil, []uint16{0x2f}, nil))))
	if r.lines[0] != "ssl_connection_flipped {}" {
		t.Fatalf("first event %q", r.lines[0])
	}
	if !r.has(`ssl_handshake_message {"is_client":true,"msg_type":1`) || !r.has(`ssl_plaintext_data {"is_client":true`) {
		t.Errorf("is_client not corrected:\n%s", strings.Join(r.lines, "\n"))
	}
}

// TestExtensionParsersUnread runs TestExtensionParsers' malformed and well-formed lists
// of the extensions whose events may be left out (Config.Events reads none of them): the
// parser skips building those events' lists, and must still find the same errors (a
// violation, and no hello event) as when it builds them.
func TestExtensionParsersUnread(t *testing.T) {
	tests := []struct {
		name string
		e    ext
		bad  bool
	}{
		{"curves", ext{10, prefixed16(u16s(29, 23, 24))}, false},
		{"curves-odd-length", ext{10, append(prefixed16(u16s(29, 23)), 1)}, false},
		{"curves-count-odd", ext{10, []byte{0, 5, 0, 29, 0, 23, 0}}, false},
		{"curves-short", ext{10, []byte{0, 6, 0, 29}}, true},
		{"curves-one-short", ext{10, []byte{0, 4, 0, 29, 0}}, true},
		{"curves-no-length", ext{10, []byte{0}}, true},
		{"curves-empty-list", ext{10, []byte{0, 0}}, false},
	}
	feed := func(events func(string) bool, e ext) *recorder {
		r := &recorder{}
		env := &analyzer.Env{Conn: testConn, Events: r, Detach: func() {}}
		a := SpecShared(NewShared(Config{Events: events})).New(env)
		body := clientHelloBody(versionTLS12, seqRandom(1), nil, []uint16{0xc02f, 0x002f}, []ext{e})
		a.DeliverStream(1_000_000, true, record(ctHandshake, versionTLS10, hsMsg(hsClientHello, body)))
		return r
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			all := feed(nil, tc.e)
			none := feed(func(string) bool { return false }, tc.e)
			for _, r := range []*recorder{all, none} {
				if tc.bad != r.has("violation Binpac exception") || tc.bad == r.has("ssl_client_hello") {
					t.Errorf("malformed = %v, events:\n%s", tc.bad, strings.Join(r.lines, "\n"))
				}
			}
			if none.has("ssl_extension_elliptic_curves") {
				t.Errorf("ssl_extension_elliptic_curves raised though not read")
			}
		})
	}
}
