package zeeklog_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/tlsmon/tlsmon"
	"github.com/tlsmon/tlsmon/capture"
	"github.com/tlsmon/tlsmon/engine"
	"github.com/tlsmon/tlsmon/zeeklog"
)

// The session handed to NewSSLSessions' function is the ssl.log row of the connection,
// field by field, on the sample capture's generated TLS traffic (TLS 1.2 and 1.3, a
// HelloRetryRequest; internal/testgen's SampleConfigs).
func TestSSLSessionsAreTheRows(t *testing.T) {
	r, err := capture.Open(filepath.Join("..", "testdata", "sample.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var buf bytes.Buffer
	sslLog := zeeklog.NewSSLLog(zeeklog.NewJSONWriter(&buf, zeeklog.SSLColumns))
	var sessions []*zeeklog.SSLSession
	sess := zeeklog.NewSSLSessions(func(s *zeeklog.SSLSession) { sessions = append(sessions, s) })
	if err := engine.New(engine.Options{Handler: tlsmon.Handlers{sslLog, sess}}).Run(r); err != nil {
		t.Fatal(err)
	}
	if err := sslLog.Close(0); err != nil {
		t.Fatal(err)
	}
	if err := sess.Close(0); err != nil {
		t.Fatal(err)
	}
	var rows []map[string]any
	dec := json.NewDecoder(&buf)
	for dec.More() {
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			t.Fatal(err)
		}
		rows = append(rows, m)
	}
	if len(rows) == 0 || len(rows) != len(sessions) {
		t.Fatalf("%d ssl.log rows, %d sessions", len(rows), len(sessions))
	}
	for i, row := range rows {
		if got := sessionRow(sessions[i]); !reflect.DeepEqual(got, row) {
			t.Errorf("session %d:\n got %v\nwant %v", i, got, row)
		}
	}
}

// sessionRow renders a session as the JSON ssl.log row (unset fields absent).
func sessionRow(s *zeeklog.SSLSession) map[string]any {
	m := map[string]any{
		"ts": float64(s.Ts) / 1e6, "uid": s.UID, "id.orig_h": s.ID.OrigH.String(), "id.orig_p": float64(s.ID.OrigP),
		"id.resp_h": s.ID.RespH.String(), "id.resp_p": float64(s.ID.RespP), "resumed": s.Resumed,
		"established": s.Established, "ssl_history": s.History,
	}
	for k, v := range map[string]string{"version": s.Version, "cipher": s.Cipher, "curve": s.Curve,
		"server_name": s.ServerName, "last_alert": s.LastAlert, "next_protocol": s.NextProtocol} {
		if v != "" {
			m[k] = v
		}
	}
	fps := func(v []string) []any {
		out := []any{}
		for _, s := range v {
			out = append(out, s)
		}
		return out
	}
	if s.CertChainFps != nil {
		m["cert_chain_fps"] = fps(s.CertChainFps)
		m["client_cert_chain_fps"] = fps(s.ClientCertChainFps)
	}
	if s.SNIMatchesCertSet {
		m["sni_matches_cert"] = s.SNIMatchesCert
	}
	return m
}

// Print each TLS session's outcome once, without folding events: the server name, the
// version, the cipher and whether the handshake completed.
func ExampleNewSSLSessions() {
	r, err := capture.Open("../testdata/sample.pcap")
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()
	sessions := zeeklog.NewSSLSessions(func(s *zeeklog.SSLSession) {
		fmt.Println(s.ID.RespH, s.ServerName, s.Version, s.Cipher, s.Established, len(s.CertChainFps))
	})
	if err := engine.New(engine.Options{Handler: sessions}).Run(r); err != nil {
		log.Fatal(err)
	}
	// Output:
	// 10.0.0.2 www.example.com TLSv12 TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 true 2
	// 10.0.0.2 api.example.com TLSv13 TLS_AES_128_GCM_SHA256 true 0
	// 10.0.0.2 rsa.example.com TLSv12 TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256 true 2
	// 10.0.0.2 retry.example.com TLSv13 TLS_AES_128_GCM_SHA256 true 0
}
