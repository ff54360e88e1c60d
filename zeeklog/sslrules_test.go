package zeeklog

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	tlsmon "github.com/tlsmon/tlsmon"
)

// sslRow runs events built by feed through an SSLLog and returns its single row.
func sslRow(t *testing.T, feed func(h tlsmon.Handler, m tlsmon.Meta)) map[string]any {
	t.Helper()
	var buf bytes.Buffer
	l := NewSSLLog(NewJSONWriter(&buf, SSLColumns))
	c := testConn()
	m := tlsmon.Meta{Ts: 2_000_000, Conn: c}
	feed(l, m)
	l.HandleEvent(&tlsmon.ConnectionStateRemove{Meta: m})
	if err := l.Close(0); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 1 {
		t.Fatalf("%d rows: %q", len(lines), buf.String())
	}
	var row map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &row); err != nil {
		t.Fatal(err)
	}
	return row
}

func hs(h tlsmon.Handler, m tlsmon.Meta, client bool, typ uint64) {
	h.HandleEvent(&tlsmon.SSLHandshakeMessage{Meta: m, IsClient: client, MsgType: typ})
}

func TestSSLHistory(t *testing.T) {
	hrr := append([]byte(nil), hrrRandom...)
	for _, tc := range []struct {
		name string
		feed func(h tlsmon.Handler, m tlsmon.Meta)
		want string
	}{
		{"tls12 full handshake", func(h tlsmon.Handler, m tlsmon.Meta) {
			hs(h, m, true, 1)
			for _, typ := range []uint64{2, 11, 12, 14} {
				hs(h, m, false, typ)
			}
			hs(h, m, true, 16)
			h.HandleEvent(&tlsmon.SSLChangeCipherSpec{Meta: m, IsClient: true})
			hs(h, m, true, 20)
			h.HandleEvent(&tlsmon.SSLChangeCipherSpec{Meta: m})
			hs(h, m, false, 20)
		}, "CsxknGIFif"},
		{"client certificate, verify, request", func(h tlsmon.Handler, m tlsmon.Meta) {
			hs(h, m, false, 13)
			hs(h, m, true, 11)
			hs(h, m, true, 15)
		}, "rXY"},
		{"hello retry request", func(h tlsmon.Handler, m tlsmon.Meta) {
			hs(h, m, true, 1)
			h.HandleEvent(&tlsmon.SSLServerHello{Meta: m, Version: 0x0303, ServerRandom: hrr})
			hs(h, m, false, 2)
			hs(h, m, true, 1)
			h.HandleEvent(&tlsmon.SSLServerHello{Meta: m, Version: 0x0303, ServerRandom: make([]byte, 32)})
			hs(h, m, false, 2)
		}, "CjCs"},
		{"sslv2", func(h tlsmon.Handler, m tlsmon.Meta) {
			h.HandleEvent(&tlsmon.SSLClientHello{Meta: m, Version: 2, RecordVersion: 0})
			h.HandleEvent(&tlsmon.SSLServerHello{Meta: m, Version: 2})
		}, "Cs"},
		{"v3 client hello adds nothing by itself", func(h tlsmon.Handler, m tlsmon.Meta) {
			h.HandleEvent(&tlsmon.SSLClientHello{Meta: m, Version: 0x0303, RecordVersion: 0x0301})
		}, ""},
		{"flip, alerts, heartbeats, odd messages", func(h tlsmon.Handler, m tlsmon.Meta) {
			h.HandleEvent(&tlsmon.SSLConnectionFlipped{Meta: m})
			h.HandleEvent(&tlsmon.SSLAlert{Meta: m, IsClient: true, Desc: 40})
			h.HandleEvent(&tlsmon.SSLAlert{Meta: m, Desc: 0})
			h.HandleEvent(&tlsmon.SSLHeartbeat{Meta: m, IsClient: true})
			h.HandleEvent(&tlsmon.SSLHeartbeat{Meta: m})
			for _, typ := range []uint64{0, 3, 4, 5, 6, 8, 21, 22, 23, 24, 254, 7, 200} {
				hs(h, m, false, typ)
			}
		}, "^LlBbhvtejowuapmzz"},
	} {
		row := sslRow(t, tc.feed)
		got, _ := row["ssl_history"].(string)
		if got != tc.want {
			t.Errorf("%s: ssl_history %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestSSLHistoryCapRaisesWeirdOnce(t *testing.T) {
	var buf bytes.Buffer
	var weirds []tlsmon.Weird
	l := NewSSLLog(NewJSONWriter(&buf, SSLColumns))
	l.WeirdEvents = tlsmon.HandlerFunc(func(e tlsmon.Event) { weirds = append(weirds, *e.(*tlsmon.Weird)) })
	m := tlsmon.Meta{Ts: 5, Conn: testConn()}
	for i := 0; i < MaxSSLHistory+50; i++ {
		hs(l, m, i%2 == 0, 1)
	}
	l.HandleEvent(&tlsmon.SSLConnectionFlipped{Meta: m}) // '^' is appended past the cap, as Zeek does
	l.Close(0)
	if len(weirds) != 1 || weirds[0].WeirdName != "SSL_max_ssl_history_length_reached" ||
		weirds[0].Addl != "100" || weirds[0].Source != "SSL" || weirds[0].Conn != m.Conn {
		t.Fatalf("weirds %+v", weirds)
	}
	var row map[string]any
	json.Unmarshal(buf.Bytes(), &row)
	h := row["ssl_history"].(string)
	if len(h) != MaxSSLHistory+1 || !strings.HasSuffix(h, "c^") || !strings.HasPrefix(h, "CcC") {
		t.Errorf("history %q", h)
	}
}

func TestResumed(t *testing.T) {
	sid := bytes.Repeat([]byte{0xAB}, 32)
	other := bytes.Repeat([]byte{0xCD}, 32)
	zero := make([]byte, 32)
	hello := func(h tlsmon.Handler, m tlsmon.Meta, csid, ssid []byte, version uint64) {
		h.HandleEvent(&tlsmon.SSLClientHello{Meta: m, Version: 0x0303, RecordVersion: 0x0301, SessionID: csid})
		h.HandleEvent(&tlsmon.SSLServerHello{Meta: m, Version: version, SessionID: ssid})
	}
	for _, tc := range []struct {
		name string
		feed func(h tlsmon.Handler, m tlsmon.Meta)
		want bool
	}{
		{"same session id, TLS 1.2", func(h tlsmon.Handler, m tlsmon.Meta) { hello(h, m, sid, sid, 0x0303) }, true},
		{"other session id", func(h tlsmon.Handler, m tlsmon.Meta) { hello(h, m, sid, other, 0x0303) }, false},
		{"all-zero session id is no id", func(h tlsmon.Handler, m tlsmon.Meta) { hello(h, m, zero, zero, 0x0303) }, false},
		{"short session id", func(h tlsmon.Handler, m tlsmon.Meta) { hello(h, m, []byte{1, 2}, []byte{1, 2}, 0x0301) }, true},
		{"TLS 1.3 draft version", func(h tlsmon.Handler, m tlsmon.Meta) { hello(h, m, sid, sid, 0x7F12) }, false},
		{"TLS 1.3 by supported_versions echoes the id", func(h tlsmon.Handler, m tlsmon.Meta) {
			h.HandleEvent(&tlsmon.SSLClientHello{Meta: m, Version: 0x0303, RecordVersion: 0x0301, SessionID: sid})
			h.HandleEvent(&tlsmon.SSLExtensionSupportedVersions{Meta: m, Versions: []uint64{0x0304}})
			h.HandleEvent(&tlsmon.SSLServerHello{Meta: m, Version: 0x0303, SessionID: sid})
		}, false},
		{"ticket without session id, no key exchange", func(h tlsmon.Handler, m tlsmon.Meta) {
			h.HandleEvent(&tlsmon.SSLExtension{Meta: m, IsClient: true, Code: 35, Val: []byte{1}})
			hello(h, m, nil, other, 0x0303)
			h.HandleEvent(&tlsmon.SSLChangeCipherSpec{Meta: m, IsClient: true})
		}, true},
		{"ticket with a session id", func(h tlsmon.Handler, m tlsmon.Meta) {
			h.HandleEvent(&tlsmon.SSLExtension{Meta: m, IsClient: true, Code: 35, Val: []byte{1}})
			hello(h, m, sid, other, 0x0303)
			h.HandleEvent(&tlsmon.SSLChangeCipherSpec{Meta: m, IsClient: true})
		}, false},
		{"empty ticket", func(h tlsmon.Handler, m tlsmon.Meta) {
			h.HandleEvent(&tlsmon.SSLExtension{Meta: m, IsClient: true, Code: 35})
			hello(h, m, nil, other, 0x0303)
			h.HandleEvent(&tlsmon.SSLChangeCipherSpec{Meta: m, IsClient: true})
		}, false},
		{"ticket, then a client key exchange", func(h tlsmon.Handler, m tlsmon.Meta) {
			h.HandleEvent(&tlsmon.SSLExtension{Meta: m, IsClient: true, Code: 35, Val: []byte{1}})
			hello(h, m, nil, other, 0x0303)
			hs(h, m, true, 16)
			h.HandleEvent(&tlsmon.SSLChangeCipherSpec{Meta: m, IsClient: true})
		}, false},
		{"PSK offered and accepted", func(h tlsmon.Handler, m tlsmon.Meta) {
			h.HandleEvent(&tlsmon.SSLExtension{Meta: m, IsClient: true, Code: 41})
			h.HandleEvent(&tlsmon.SSLExtension{Meta: m, Code: 41})
		}, true},
		{"PSK from the server only", func(h tlsmon.Handler, m tlsmon.Meta) {
			h.HandleEvent(&tlsmon.SSLExtension{Meta: m, Code: 41})
		}, false},
	} {
		if got := sslRow(t, tc.feed)["resumed"]; got != tc.want {
			t.Errorf("%s: resumed %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestSSLScriptWeirds(t *testing.T) {
	var weirds []string
	var buf bytes.Buffer
	l := NewSSLLog(NewJSONWriter(&buf, SSLColumns))
	l.WeirdEvents = tlsmon.HandlerFunc(func(e tlsmon.Event) {
		w := e.(*tlsmon.Weird)
		weirds = append(weirds, w.WeirdName+"|"+w.Addl+"|"+w.Source)
	})
	m := tlsmon.Meta{Ts: 5, Conn: testConn()}
	l.HandleEvent(&tlsmon.SSLExtensionServerName{Meta: m, IsClient: true, Names: [][]byte{[]byte("a.example"), []byte("b.example")}})
	l.HandleEvent(&tlsmon.SSLExtensionServerName{Meta: m, Names: [][]byte{[]byte("x"), []byte("y")}}) // server side: nothing
	// application data before the version is known, then after it, then once established
	l.HandleEvent(&tlsmon.SSLPlaintextData{Meta: m, IsClient: true, ContentType: 23})
	l.HandleEvent(&tlsmon.SSLServerHello{Meta: m, Version: 0x0303})
	l.HandleEvent(&tlsmon.SSLPlaintextData{Meta: m, IsClient: true, ContentType: 22})
	l.HandleEvent(&tlsmon.SSLPlaintextData{Meta: m, IsClient: true, ContentType: 23})
	l.HandleEvent(&tlsmon.SSLEstablished{Meta: m})
	l.HandleEvent(&tlsmon.SSLPlaintextData{Meta: m, IsClient: true, ContentType: 23})
	l.Close(0)
	want := []string{"SSL_many_server_names|[a.example, b.example]|", "ssl_early_application_data||"}
	if strings.Join(weirds, "\n") != strings.Join(want, "\n") {
		t.Errorf("weirds\n%s\nwant\n%s", strings.Join(weirds, "\n"), strings.Join(want, "\n"))
	}
}
