package zeeklog

import (
	"bytes"
	"crypto/sha256"
	"io"
	"net/netip"
	"strings"
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

// A shard's set hands over the DER of its cache entry (CertificateStable), the same slice
// for every sighting, with the fingerprint; the merger's x509.log keeps that slice as its
// entry's (HandleStableCertificate) and writes the rows HandleEvent writes.
func TestCertificateStable(t *testing.T) {
	der := testCert(t, "cn.example", []string{"*.example.com"}, nil)
	shard := NewSet(Logs()[1:2], func(spec LogSpec) Writer { return NewJSONWriter(io.Discard, spec.Columns) })
	var want, got bytes.Buffer
	direct := NewX509Log(NewJSONWriter(&want, X509Columns))
	merged := NewX509Log(NewJSONWriter(&got, X509Columns))
	buf := make([]byte, len(der))
	ev := &tlsmon.Certificate{}
	var first []byte
	for i, ts := range []int64{1_000_000, 2_000_000, 3_000_000 + 24*3600*1_000_000} {
		buf = append(buf[:0], der...) // the pipeline reuses the event and its buffer
		*ev = tlsmon.Certificate{Meta: tlsmon.Meta{Ts: ts, Conn: testConn()}, DER: buf}
		sum, stable := shard.CertificateStable(ev)
		shard.HandleEvent(ev)
		if !bytes.Equal(stable, der) || sum != sha256.Sum256(der) {
			t.Fatalf("sighting %d: DER or fingerprint differs", i)
		}
		if i == 0 {
			first = stable
		} else if &stable[0] != &first[0] {
			t.Errorf("sighting %d: another copy of the DER", i)
		}
		if &stable[0] == &buf[0] {
			t.Fatal("the event's own buffer handed over")
		}
		direct.HandleEvent(ev)
		cp := *ev
		cp.DER = stable
		merged.HandleStableCertificate(&cp, &sum)
	}
	if e := merged.certs.lookup(&tlsmon.Certificate{DER: der}); &e.der[0] != &first[0] {
		t.Error("x509.log's cache copied the stable DER")
	}
	direct.Close(0)
	merged.Close(0)
	if want.String() != got.String() || strings.Count(got.String(), "\n") != 2 {
		t.Errorf("rows differ:\n%s\nwant\n%s", got.String(), want.String())
	}
}
