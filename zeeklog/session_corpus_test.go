package zeeklog

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"reflect"
	"testing"

	tlsmon "github.com/tlsmon/tlsmon"
)

// On Zeek's own events of every capture of the corpus, each SSLSession holds the values of
// its connection's ssl.log row (both folded by the one builder).
func TestSSLSessionsOnCorpus(t *testing.T) {
	dir := conformanceDir(t)
	n := 0
	for _, name := range corpusNames(t, dir, "tcp", "udp", "starttls") {
		exp := filepath.Join(dir, "expected", name)
		conns := map[string]*tlsmon.Conn{}
		events := decodeEvents(t, filepath.Join(exp, "events.jsonl"), conns)
		events = injectViolations(t, filepath.Join(exp, "analyzer.log"), conns, events)
		var buf bytes.Buffer
		l := NewSSLLog(NewJSONWriter(&buf, SSLColumns))
		var sessions []*SSLSession
		s := NewSSLSessions(func(x *SSLSession) { sessions = append(sessions, x) })
		for _, e := range events {
			l.HandleEvent(e)
			s.HandleEvent(e)
		}
		l.Close(0)
		s.Close(0)
		dec := json.NewDecoder(&buf)
		i := 0
		for ; dec.More(); i++ {
			var row map[string]any
			if err := dec.Decode(&row); err != nil {
				t.Fatal(err)
			}
			if i >= len(sessions) {
				t.Fatalf("%s: more rows than sessions", name)
			}
			if got := sessionJSON(t, sessions[i]); !reflect.DeepEqual(got, row) {
				t.Errorf("%s: session %d:\n got %v\nwant %v", name, i, got, row)
			}
			n++
		}
		if i != len(sessions) {
			t.Errorf("%s: %d rows, %d sessions", name, i, len(sessions))
		}
	}
	if n == 0 {
		t.Fatal("no session compared")
	}
}

// sessionJSON writes a session as a JSON ssl.log row through the JSON writer itself.
func sessionJSON(t *testing.T, s *SSLSession) map[string]any {
	opt := func(v string) Value {
		if v == "" {
			return Unset()
		}
		return String(v)
	}
	vals := []Value{Time(s.Ts), String(s.UID), Addr(s.ID.OrigH), Port(s.ID.OrigP),
		Addr(s.ID.RespH), Port(s.ID.RespP), opt(s.Version), opt(s.Cipher), opt(s.Curve),
		opt(s.ServerName), Bool(s.Resumed), opt(s.LastAlert), opt(s.NextProtocol), Bool(s.Established),
		String(s.History), Unset(), Unset(), Unset()}
	if s.CertChainFps != nil {
		vals[15], vals[16] = Strings(s.CertChainFps), Strings(s.ClientCertChainFps)
		if s.SNIMatchesCertSet {
			vals[17] = Bool(s.SNIMatchesCert)
		}
	}
	var buf bytes.Buffer
	w := NewJSONWriter(&buf, SSLColumns)
	if err := w.Write(vals); err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(buf.Bytes(), &m); err != nil {
		t.Fatal(err)
	}
	return m
}
