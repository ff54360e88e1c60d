package ssl

import (
	"testing"

	"github.com/tlsmon/tlsmon/analyzer"
)

func TestCapHugeHandshakeMessage(t *testing.T) {
	a, r := newTestAnalyzer(analyzer.Options{})
	// a handshake message claiming 16 MiB - 1, then data that never completes it
	a.DeliverStream(1, true, record(ctHandshake, versionTLS12, []byte{hsCertificate, 0xff, 0xff, 0xff, 0, 0}))
	for i := 0; i < 300; i++ {
		a.DeliverStream(1, true, record(ctHandshake, versionTLS12, make([]byte, 16000)))
	}
	if !r.has("weird SSL_handshake_message_too_large 16777215") {
		t.Fatalf("no weird: %q", r.lines[:min(5, len(r.lines))])
	}
	if n := len(a.session().hs.dir[0].buf); n != 0 {
		t.Errorf("buffered %d bytes", n)
	}
	// split header: the cap is also checked when the header arrives in pieces
	a, r = newTestAnalyzer(analyzer.Options{})
	a.DeliverStream(1, true, record(ctHandshake, versionTLS12, []byte{hsCertificate, 0x20}))
	a.DeliverStream(1, true, record(ctHandshake, versionTLS12, []byte{0, 0}))
	if !r.has("weird SSL_handshake_message_too_large 2097152") {
		t.Errorf("no weird for a split header: %q", r.lines)
	}
}

func TestCapTinyRecords(t *testing.T) {
	a, r := newTestAnalyzer(analyzer.Options{})
	// a message spread over one-byte records
	msg := hsMsg(hsCertificate, make([]byte, DefaultMaxHandshakeFragments+100))
	for _, b := range msg {
		a.DeliverStream(1, true, record(ctHandshake, versionTLS12, []byte{b}))
	}
	if !r.has("weird SSL_handshake_too_fragmented") {
		t.Errorf("no fragmentation weird")
	}
	if r.has("ssl_handshake_message") {
		t.Errorf("over-fragmented message was parsed")
	}
	// the stream stays in sync: the next message parses
	a.DeliverStream(2, true, record(ctHandshake, versionTLS12, hsMsg(hsServerHelloDone, nil)))
	if !r.has(`ssl_handshake_message {"is_client":true,"msg_type":14,"length":0}`) {
		t.Errorf("lost sync after skipping")
	}
	// endless empty records
	a, r = newTestAnalyzer(analyzer.Options{})
	empty := record(ctHandshake, versionTLS12, nil)
	for i := 0; i < MaxEmptyRecords+5; i++ {
		a.DeliverStream(1, true, empty)
	}
	if !r.has("weird SSL_excessive_empty_records") {
		t.Errorf("no empty-record weird")
	}
}

func TestCapAlertsTLS13(t *testing.T) {
	a, r := newTestAnalyzer(analyzer.Options{})
	a.session().hs.chosenVersion = versionTLS13
	a.session().recordLayerVersion = versionTLS12
	a.DeliverStream(1, true, record(ctAlert, versionTLS12, []byte{2, 40, 2, 41, 2, 42}))
	n := 0
	for _, name := range r.names() {
		if name == "ssl_alert" {
			n++
		}
	}
	if n != 1 || !r.has("weird SSL_excessive_alerts_in_record 3") {
		t.Errorf("alerts %d: %q", n, r.lines)
	}
}
