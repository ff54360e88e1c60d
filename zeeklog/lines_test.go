package zeeklog

import (
	"bytes"
	"net/netip"
	"testing"

	tlsmon "github.com/tlsmon/tlsmon"
)

// Rows written by a NewRowWriter and then by a log's writer with WriteLine give the bytes
// the log's writer gives alone, in TSV (header, '#'-escaped row, #close) and JSON, through
// the generic Write path (weird.log) and the TSV fast path (x509.log's rowBuf).
func TestRowWriterLines(t *testing.T) {
	conn := &tlsmon.Conn{UID: "Cabc", ID: tlsmon.ConnID{OrigH: netip.MustParseAddr("10.0.0.1"), RespH: netip.MustParseAddr("10.0.0.2"), OrigP: 1, RespP: 443}}
	weirds := []*tlsmon.Weird{
		{Meta: tlsmon.Meta{Ts: 1_000_000, Conn: conn}, WeirdName: "one", Addl: "a\tb"},
		{Meta: tlsmon.Meta{Ts: 2_000_000}, WeirdName: "#two", Source: "tlsmon"},
	}
	for _, json := range []bool{false, true} {
		open := func(w *bytes.Buffer) Writer {
			if json {
				return NewJSONWriter(w, WeirdColumns)
			}
			return NewTSVWriter(w, "weird", WeirdColumns, 1)
		}
		var direct, lines, rows bytes.Buffer
		l := NewWeirdLog(open(&direct))
		r := NewWeirdLog(NewRowWriter(&rows, "weird", WeirdColumns, json))
		for _, ev := range weirds {
			l.HandleEvent(ev)
			r.HandleEvent(ev)
		}
		l.Close(5)
		r.Close(5)
		lw := open(&lines).(LineWriter)
		for line := range bytes.Lines(rows.Bytes()) {
			if err := lw.WriteLine(line); err != nil {
				t.Fatal(err)
			}
		}
		lw.Close(5)
		if !bytes.Equal(direct.Bytes(), lines.Bytes()) {
			t.Errorf("json %v: direct\n%s\nthrough lines\n%s", json, direct.Bytes(), lines.Bytes())
		}
		if bytes.Contains(rows.Bytes(), []byte("#close")) || bytes.Contains(rows.Bytes(), []byte("#fields")) {
			t.Errorf("json %v: the row writer wrote a header or #close:\n%s", json, rows.Bytes())
		}
	}
	// TSV rows through rowBuf's fast path (a *tsvWriter with rowsOnly)
	cols := []Column{{"name", "string"}, {"ts", "time"}}
	write := func(w Writer) {
		row := newRowBuf(w, len(cols))
		if row.tsv == nil {
			t.Fatal("not rowBuf's TSV path")
		}
		for _, s := range []string{"#a", "b"} {
			row.begin()
			row.str(s)
			row.time(1_500_000)
			row.end()
		}
	}
	var direct, lines, rows bytes.Buffer
	d := NewTSVWriter(&direct, "x", cols, 1)
	write(d)
	d.Close(5)
	write(NewRowWriter(&rows, "x", cols, false))
	lw := NewTSVWriter(&lines, "x", cols, 1).(LineWriter)
	for line := range bytes.Lines(rows.Bytes()) {
		lw.WriteLine(line)
	}
	lw.Close(5)
	if !bytes.Equal(direct.Bytes(), lines.Bytes()) || !bytes.Contains(rows.Bytes(), []byte(`\x23a`)) {
		t.Errorf("rowBuf: direct\n%s\nthrough lines\n%s", direct.Bytes(), lines.Bytes())
	}
}
