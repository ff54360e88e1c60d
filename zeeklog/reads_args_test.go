package zeeklog

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	tlsmon "github.com/tlsmon/tlsmon"
)

// TestEventArgsLeftOut feeds the default logs, for every value of ssl_extension's code
// and of ssl_plaintext_data's content type that sslLogReadsArgs leaves out, a connection
// whose handshake has that event in both directions at the points where ssl.log reads the
// declared values (after each hello, before a client ChangeCipherSpec, before the
// handshake ends). Every such connection's rows must be those of a connection without
// the events: it fails if the type switch reads a value the declaration leaves out.
func TestEventArgsLeftOut(t *testing.T) {
	ext, ct := (*tlsmon.SSLExtension)(nil).Name(), (*tlsmon.SSLPlaintextData)(nil).Name()
	for _, tc := range []argsCase{
		{ext, 1 << 16, func(m tlsmon.Meta, client bool, v uint64) tlsmon.Event {
			return &tlsmon.SSLExtension{Meta: m, IsClient: client, Code: v, Val: []byte{0, 1}}
		}},
		{ct, 1024, func(m tlsmon.Meta, client bool, v uint64) tlsmon.Event {
			return &tlsmon.SSLPlaintextData{Meta: m, IsClient: client, RecordVersion: 0x0303, ContentType: v, Length: 40}
		}},
	} {
		read, ok := sslLogReadsArgs[tc.name]
		if !ok {
			t.Fatalf("%s: not narrowed", tc.name)
		}
		base, baseConns := tc.rows(t, func(feed func(uint64, bool)) { feed(0, false) })
		got, conns := tc.rows(t, func(feed func(uint64, bool)) {
			for v := range uint64(tc.n) {
				if !slices.Contains(read, v) {
					feed(v, true)
				}
			}
		})
		if baseConns != 1 || len(base["ssl"]) != 1 {
			t.Fatalf("%s: %d ssl.log rows without the events", tc.name, len(base["ssl"]))
		}
		for p, rows := range got {
			if len(rows) != conns*len(base[p]) {
				t.Errorf("%s: %d %s.log rows for %d connections, %d without the events", tc.name, len(rows), p, conns, len(base[p]))
				continue
			}
			for i, r := range rows {
				if want := base[p][i%len(base[p])]; r != want {
					t.Errorf("%s: a value left out changes %s.log:\n%s\n--- without:\n%s", tc.name, p, r, want)
					break
				}
			}
		}
	}
}

type argsCase struct {
	name string
	n    int // the values 0..n-1
	ev   func(m tlsmon.Meta, client bool, v uint64) tlsmon.Event
}

// rows runs the default logs over the connections each calls feed for (the value, whether
// to add the events), returning each log's rows and the number of connections.
func (tc argsCase) rows(t *testing.T, each func(feed func(v uint64, with bool))) (map[string][]string, int) {
	t.Helper()
	bufs := map[string]*bytes.Buffer{}
	set := NewSet(Logs(), func(s LogSpec) Writer {
		bufs[s.Path] = new(bytes.Buffer)
		return NewTSVWriter(bufs[s.Path], s.Path, s.Columns, 1)
	})
	conns := 0
	each(func(v uint64, with bool) {
		conns++
		m := tlsmon.Meta{Ts: 2_000_000, Conn: testConn()}
		both := func() {
			if with {
				set.HandleEvent(tc.ev(m, true, v))
				set.HandleEvent(tc.ev(m, false, v))
			}
		}
		set.HandleEvent(&tlsmon.SSLClientHello{Meta: m, Version: 0x0303, RecordVersion: 0x0301})
		both()
		set.HandleEvent(&tlsmon.SSLServerHello{Meta: m, Version: 0x0303, Cipher: 0xC02F})
		both()
		set.HandleEvent(&tlsmon.SSLHandshakeMessage{Meta: m, IsClient: true, MsgType: 1})
		both()
		set.HandleEvent(&tlsmon.SSLChangeCipherSpec{Meta: m, IsClient: true})
		set.HandleEvent(&tlsmon.ConnectionStateRemove{Meta: m})
	})
	if err := set.Close(3_000_000); err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for p, b := range bufs {
		for _, l := range strings.Split(b.String(), "\n") {
			if l != "" && !strings.HasPrefix(l, "#") {
				out[p] = append(out[p], l)
			}
		}
	}
	return out, conns
}
