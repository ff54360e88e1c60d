package ssl

import (
	"strings"
	"testing"

	"github.com/tlsmon/tlsmon/analyzer"
)

// tls12Flight is a minimal TLS 1.2 exchange: hellos, CCS and encrypted records each way.
func tls12Flight() (client, server [][]byte) {
	client = [][]byte{
		record(ctHandshake, versionTLS10, hsMsg(hsClientHello, clientHelloBody(versionTLS12, seqRandom(1), nil, []uint16{0x2f}, nil))),
		record(ctHandshake, versionTLS12, hsMsg(hsClientKeyExchange, prefixed16([]byte{1, 2, 3}))),
		record(ctChangeCipherSpec, versionTLS12, []byte{1}),
		record(ctHandshake, versionTLS12, make([]byte, 40)),
		record(ctApplicationData, versionTLS12, make([]byte, 100)),
	}
	server = [][]byte{
		append(record(ctHandshake, versionTLS12, hsMsg(hsServerHello, serverHelloBody(versionTLS12, seqRandom(3), nil, 0x2f, nil))),
			record(ctHandshake, versionTLS12, hsMsg(hsServerHelloDone, nil))...),
		append(record(ctChangeCipherSpec, versionTLS12, []byte{1}), record(ctHandshake, versionTLS12, make([]byte, 40))...),
		record(ctApplicationData, versionTLS12, make([]byte, 200)),
	}
	return client, server
}

func runFlight(opts analyzer.Options, split int) *recorder {
	a, r := newTestAnalyzer(opts)
	c, s := tls12Flight()
	send := func(isOrig bool, b []byte) {
		if split <= 0 {
			a.DeliverStream(1, isOrig, b)
			return
		}
		for len(b) > 0 {
			n := min(split, len(b))
			a.DeliverStream(1, isOrig, b[:n])
			b = b[n:]
		}
	}
	send(true, c[0])
	send(false, s[0])
	send(true, c[1])
	send(true, c[2])
	send(true, c[3])
	send(false, s[1])
	send(true, c[4])
	send(false, s[2])
	return r
}

func TestRecordLayerTLS12(t *testing.T) {
	r := runFlight(analyzer.Options{AnalyzeEncrypted: true}, 0)
	got := strings.Join(r.names(), ",")
	want := strings.Join([]string{
		"confirm", "ssl_client_hello", "ssl_handshake_message", "ssl_plaintext_data",
		"ssl_server_hello", "ssl_handshake_message", "ssl_plaintext_data", "ssl_handshake_message", "ssl_plaintext_data",
		"ssl_rsa_client_pms", "ssl_handshake_message", "ssl_plaintext_data",
		"ssl_change_cipher_spec", "ssl_plaintext_data", "ssl_encrypted_data",
		"ssl_change_cipher_spec", "ssl_plaintext_data", "ssl_established", "ssl_encrypted_data",
		"ssl_encrypted_data", "ssl_encrypted_data",
	}, ",")
	if got != want {
		t.Errorf("events\n got %s\nwant %s", got, want)
	}
	if r.detached != 0 {
		t.Errorf("detached with AnalyzeEncrypted")
	}
}

// Records split at any byte boundary give the same events.
func TestRecordLayerSplits(t *testing.T) {
	whole := runFlight(analyzer.Options{AnalyzeEncrypted: true}, 0)
	for split := 1; split < 80; split++ {
		r := runFlight(analyzer.Options{AnalyzeEncrypted: true}, split)
		if strings.Join(r.lines, "\n") != strings.Join(whole.lines, "\n") {
			t.Fatalf("split %d differs:\n%s\nvs\n%s", split, strings.Join(r.lines, "\n"), strings.Join(whole.lines, "\n"))
		}
	}
}

func TestDefaultModeDetachesAfterEstablished(t *testing.T) {
	r := runFlight(analyzer.Options{}, 0)
	if r.detached != 1 {
		t.Fatalf("detached %d times, want 1", r.detached)
	}
	n := r.names()
	if n[len(n)-1] != "ssl_encrypted_data" || n[len(n)-2] != "ssl_established" {
		t.Errorf("events after establishment: %v", n)
	}
}

func TestVersionViolations(t *testing.T) {
	tests := []struct {
		name   string
		isOrig bool
		data   []byte
		reason string
	}{
		{"tls-version", true, []byte{22, 3, 9, 0, 1, 0}, "Invalid version in TLS connection. Version: 777"},
		{"tls-type", true, []byte{40, 3, 1, 0, 1, 0}, "Invalid type in TLS connection. Version: 769, Type: 40"},
		{"v2-headers", true, []byte{0x80, 5, 9, 0, 2, 0}, "Invalid headers in SSL connection. Head1: 5, head2: 9, head3: 0"},
		{"v2-client-version", true, []byte{0x80, 5, 1, 7, 7, 0}, "Invalid version in SSL client hello. Version: 1799"},
		{"http", true, []byte("GET / HTTP/1.1\r\n"), "Invalid version in TLS connection. Version: 17748"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, r := newTestAnalyzer(analyzer.Options{})
			a.DeliverStream(1, tc.isOrig, tc.data)
			if len(r.lines) != 1 || r.lines[0] != "violation "+tc.reason {
				t.Errorf("got %q", r.lines)
			}
			if r.detached != 1 {
				t.Errorf("not detached")
			}
			a.DeliverStream(2, tc.isOrig, record(ctHandshake, versionTLS12, hsMsg(hsServerHelloDone, nil)))
			if len(r.lines) != 1 {
				t.Errorf("events after the violation: %q", r.lines)
			}
		})
	}
	// A late record with a bad version (the server answered in HTTP).
	a, r := newTestAnalyzer(analyzer.Options{})
	c, _ := tls12Flight()
	a.DeliverStream(1, true, c[0])
	a.DeliverStream(2, false, []byte("HTTP/1.1 400 Bad Request\r\n"))
	if !r.has("violation Invalid version late in TLS connection. Packet reported version: 21588") {
		t.Errorf("late violation missing: %q", r.lines)
	}
}

func TestUnknownRecordTypeStillReportsRecord(t *testing.T) {
	a, r := newTestAnalyzer(analyzer.Options{})
	c, _ := tls12Flight()
	a.DeliverStream(1, true, c[0])
	r.lines = nil
	a.DeliverStream(2, true, record(25, versionTLS12, []byte{1, 2}))
	want := []string{"violation unknown SSL record type (25) from originator",
		`ssl_plaintext_data {"is_client":true,"record_version":771,"content_type":25,"length":2}`}
	if strings.Join(r.lines, "\n") != strings.Join(want, "\n") {
		t.Errorf("got %q", r.lines)
	}
	if r.detached != 1 {
		t.Errorf("want detach after violation")
	}
}

func TestAlertsAndHeartbeat(t *testing.T) {
	a, r := newTestAnalyzer(analyzer.Options{AnalyzeEncrypted: true})
	c, _ := tls12Flight()
	a.DeliverStream(1, true, c[0])
	r.lines = nil
	alerts := make([]byte, 0, 40)
	for i := range 20 {
		alerts = append(alerts, 1, byte(i))
	}
	a.DeliverStream(2, true, record(ctAlert, versionTLS12, alerts))
	n := 0
	for _, l := range r.lines {
		if strings.HasPrefix(l, "ssl_alert ") {
			n++
		}
	}
	if n != MaxAlertsPerRecord || !r.has("weird SSL_excessive_alerts_in_record 20") {
		t.Errorf("alerts %d, events %q", n, r.lines)
	}
	r.lines = nil
	a.DeliverStream(3, true, record(ctHeartbeat, versionTLS12, []byte{1, 0x40, 0, 'x'}))
	if r.lines[0] != `ssl_heartbeat {"is_client":true,"length":4,"heartbeat_type":1,"payload_length":16384,"payload":"78"}` {
		t.Errorf("heartbeat: %q", r.lines)
	}
}

func TestTLS13EncryptedHandshake(t *testing.T) {
	a, r := newTestAnalyzer(analyzer.Options{AnalyzeEncrypted: true})
	a.DeliverStream(1, true, record(ctHandshake, versionTLS10, hsMsg(hsClientHello,
		clientHelloBody(versionTLS12, seqRandom(1), nil, []uint16{0x1301}, []ext{{43, prefixed8(u16s(0x0304))}}))))
	a.DeliverStream(2, false, append(append(
		record(ctHandshake, versionTLS12, hsMsg(hsServerHello, serverHelloBody(versionTLS12, seqRandom(2), nil, 0x1301, []ext{{43, u16s(0x0304)}}))),
		record(ctChangeCipherSpec, versionTLS12, []byte{1})...),
		record(ctApplicationData, versionTLS12, make([]byte, 50))...))
	r.lines = nil
	a.DeliverStream(3, true, record(ctApplicationData, versionTLS12, make([]byte, 30)))
	want := []string{
		`ssl_probable_encrypted_handshake_message {"is_client":true,"length":30}`,
		"ssl_established {}",
		`ssl_encrypted_data {"is_client":true,"record_version":771,"content_type":23,"length":30}`,
	}
	if strings.Join(r.lines, "\n") != strings.Join(want, "\n") {
		t.Errorf("got %q", r.lines)
	}
}

func TestSSLv2(t *testing.T) {
	a, r := newTestAnalyzer(analyzer.Options{AnalyzeEncrypted: true})
	// CLIENT-HELLO, version 2, one cipher, no session id, 16-byte challenge
	ch := []byte{0, 3, 0, 0, 0, 16, 0x01, 0x00, 0x80}
	ch = append(ch, make([]byte, 16)...)
	hdr := []byte{0x80 | byte((len(ch)+3)>>8), byte(len(ch) + 3), 1, 0, 2}
	a.DeliverStream(1, true, append(hdr, ch...))
	sh := []byte{0, 2, 0, 4, 0, 3, 0, 16, 'c', 'e', 'r', 't', 0x01, 0x00, 0x80}
	sh = append(sh, make([]byte, 16)...)
	a.DeliverStream(2, false, append([]byte{0x80 | byte((len(sh)+3)>>8), byte(len(sh) + 3), 4, 0, 1}, sh...))
	mk := []byte{0x80, 0, 0, 0, 0, 0, 0}
	a.DeliverStream(3, true, append([]byte{0x80, byte(len(mk) + 3), 2, 1, 0}, mk...))
	a.DeliverStream(4, false, []byte{0x80, 5, 7, 1, 2, 3, 4})
	got := strings.Join(r.names(), ",")
	want := "confirm,ssl_client_hello,ssl_plaintext_data,ssl_server_hello,cert,ssl_plaintext_data,ssl_established,ssl_plaintext_data,ssl_established,ssl_encrypted_data"
	if got != want {
		t.Errorf("got  %s\nwant %s\n%s", got, want, strings.Join(r.lines, "\n"))
	}
	if !r.has(`ssl_client_hello {"version":2,"record_version":0,"possible_ts":0.000000`) ||
		!r.has(`ssl_encrypted_data {"is_client":false,"record_version":0,"content_type":307,"length":2}`) {
		t.Errorf("v2 values:\n%s", strings.Join(r.lines, "\n"))
	}
}

func TestGapStopsAnalysis(t *testing.T) {
	a, r := newTestAnalyzer(analyzer.Options{})
	c, s := tls12Flight()
	a.DeliverStream(1, true, c[0])
	a.Gap(2, true, 10)
	n := len(r.lines)
	a.DeliverStream(3, false, s[0])
	if len(r.lines) != n {
		t.Errorf("events after a gap: %q", r.lines[n:])
	}
}

func TestMatch(t *testing.T) {
	c, s := tls12Flight()
	if !Match(true, c[0]) || Match(false, c[0]) {
		t.Error("client hello")
	}
	if !Match(false, s[0]) || Match(true, s[0]) {
		t.Error("server hello")
	}
	alert := append(record(ctAlert, versionTLS12, []byte{1, 0}), s[0]...)
	if !Match(false, alert) {
		t.Error("server hello after an alert")
	}
	for n := range 11 {
		if Match(true, c[0][:n]) {
			t.Errorf("matched %d bytes", n)
		}
	}
	if Match(true, []byte("GET / HTTP/1.1\r\nHost: x\r\n")) {
		t.Error("http matched")
	}
}
