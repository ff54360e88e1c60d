package zeeklog

import (
	"bytes"
	"strings"
	"testing"

	tlsmon "github.com/tlsmon/tlsmon"
)

// countingExt counts the SSL events of each connection and writes the count in its column,
// with an unset second column: what an extension sees when its row is written.
type countingExt struct {
	n         map[*tlsmon.Conn]uint64
	forgotten []*tlsmon.Conn
}

func (x *countingExt) HandleEvent(e tlsmon.Event) {
	if c := e.EventMeta().Conn; c != nil {
		x.n[c]++
	}
}

func (x *countingExt) Columns() []Column {
	return []Column{{"events_seen", "count"}, {"nothing", "string"}}
}

func (x *countingExt) AppendValues(dst []Value, c *tlsmon.Conn) []Value {
	return append(dst, Count(x.n[c]), Unset())
}

func (x *countingExt) Forget(c *tlsmon.Conn) {
	delete(x.n, c)
	x.forgotten = append(x.forgotten, c)
}

func TestColumnExtensions(t *testing.T) {
	for _, json := range []bool{false, true} {
		ssl, conn := &countingExt{n: map[*tlsmon.Conn]uint64{}}, &countingExt{n: map[*tlsmon.Conn]uint64{}}
		ext := Extensions{SSL: []ColumnExtension{ssl}, Conn: []ColumnExtension{conn}}
		bufs := map[string]*bytes.Buffer{}
		set := NewSet(LogsWith(ext), func(spec LogSpec) Writer {
			b := &bytes.Buffer{}
			bufs[spec.Path] = b
			if json {
				return NewJSONWriter(b, spec.Columns)
			}
			return NewTSVWriter(b, spec.Path, spec.Columns, 1)
		})
		c := testConn()
		m := tlsmon.Meta{Ts: 2_000_000, Conn: c}
		set.HandleEvent(&tlsmon.SSLClientHello{Meta: m, Version: 0x0303})
		set.HandleEvent(&tlsmon.SSLServerHello{Meta: m, Version: 0x0303, Cipher: 0xC02F})
		set.HandleEvent(&tlsmon.SSLEstablished{Meta: m}) // writes the row: the extension saw 3 events
		set.HandleEvent(&tlsmon.ConnectionStateRemove{Meta: m})
		if err := set.Close(0); err != nil {
			t.Fatal(err)
		}
		sslOut, connOut := bufs["ssl"].String(), bufs["conn"].String()
		if json {
			// unset fields are left out of JSON rows: the extension's count ends the row
			if !strings.HasSuffix(sslOut, `,"events_seen":3}`+"\n") || !strings.HasSuffix(connOut, `"ip_proto":6,"events_seen":4}`+"\n") {
				t.Errorf("json rows %q %q", sslOut, connOut)
			}
		} else {
			if !strings.Contains(sslOut, "\tsni_matches_cert\tevents_seen\tnothing\n") ||
				!strings.Contains(sslOut, "\tcount\tstring\n") || !strings.Contains(sslOut, "\t3\t-\n") {
				t.Errorf("tsv ssl log %q", sslOut)
			}
			if !strings.Contains(connOut, "\tip_proto\tevents_seen\tnothing\n") || !strings.Contains(connOut, "\t4\t-\n") {
				t.Errorf("tsv conn log %q", connOut)
			}
		}
		if len(ssl.forgotten) != 1 || ssl.forgotten[0] != c || len(conn.forgotten) != 1 {
			t.Errorf("forgotten: ssl %v conn %v", ssl.forgotten, conn.forgotten)
		}
	}
}

// PlainString skips the escaping scan, not the markers: an empty or marker-like string is
// written as String writes it.
func TestPlainStringTSV(t *testing.T) {
	for _, s := range []string{"t13d1516h2_8daaf6152771_e5627efa2ab1", "", "-", "(empty)", "771,4865-4866,0-23"} {
		got := string(appendTSVValue(nil, PlainString(s)))
		want := string(appendTSVValue(nil, String(s)))
		if got != want {
			t.Errorf("PlainString(%q) = %q, String gives %q", s, got, want)
		}
	}
}
