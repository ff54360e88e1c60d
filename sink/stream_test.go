package sink

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tlsmon/tlsmon"
	"github.com/tlsmon/tlsmon/zeeklog"
)

func TestKeyColumn(t *testing.T) {
	for _, spec := range zeeklog.Logs() {
		i := keyColumn(spec.Columns)
		want := "uid"
		if spec.Path == "x509" {
			want = "fingerprint"
		}
		if i < 0 || spec.Columns[i].Name != want {
			t.Errorf("%s: key column %d, want %s", spec.Path, i, want)
		}
	}
	if keyColumn([]zeeklog.Column{{Name: "ts", Type: "time"}}) != -1 {
		t.Error("a log without uid or fingerprint has a key column")
	}
}

// collect is a Dest that keeps copies of the rows.
type collect struct {
	rows   []Row
	closed bool
}

func (c *collect) Put(r Row) error {
	r.JSON = bytes.Clone(r.JSON)
	c.rows = append(c.rows, r)
	return nil
}
func (c *collect) Close() error { c.closed = true; return nil }

func TestRowWriter(t *testing.T) {
	cols := []zeeklog.Column{{Name: "ts", Type: "time"}, {Name: "uid", Type: "string"}, {Name: "n", Type: "count"}}
	spec := zeeklog.LogSpec{Path: "demo", Columns: cols}
	var file bytes.Buffer
	fw := zeeklog.NewJSONWriter(&file, cols)
	var c collect
	w := Writers(&c)(spec)
	rows := [][]zeeklog.Value{
		{zeeklog.Time(1_700_000_000_123_456), zeeklog.String("CabcDEF"), zeeklog.Count(7)},
		{zeeklog.Time(1_700_000_001_000_000), zeeklog.Unset(), zeeklog.Count(8)},
	}
	for _, r := range rows {
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
		if err := fw.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	lines := strings.Split(strings.TrimSuffix(file.String(), "\n"), "\n")
	if len(c.rows) != 2 || len(lines) != 2 {
		t.Fatalf("%d rows put, %d lines in the file", len(c.rows), len(lines))
	}
	for i, r := range c.rows {
		if string(r.JSON) != lines[i] || r.Path != "demo" {
			t.Errorf("row %d: %s %q, want demo %q", i, r.Path, r.JSON, lines[i])
		}
	}
	if c.rows[0].Key != "CabcDEF" || c.rows[1].Key != "" {
		t.Errorf("keys %q %q, want CabcDEF and none", c.rows[0].Key, c.rows[1].Key)
	}
	if err := w.Write(rows[0][:2]); !errors.Is(err, zeeklog.ErrColumns) {
		t.Errorf("short row: %v, want ErrColumns", err)
	}
}

func TestStream(t *testing.T) {
	var out bytes.Buffer
	clock := &Clock{}
	s := NewStream(&out, clock)
	clock.HandleEvent(&tlsmon.Weird{Meta: tlsmon.Meta{Ts: 1_700_000_000_500_000}})
	clock.HandleEvent(&tlsmon.Weird{Meta: tlsmon.Meta{Ts: 1_600_000_000_000_000}}) // older: time does not go back
	for _, r := range []Row{
		{Path: "ssl", Key: "C1", JSON: []byte(`{"ts":1700000000.1,"uid":"C1"}`)},
		{Path: "weird", JSON: []byte(`{}`)},
	} {
		if err := s.Put(r); err != nil {
			t.Fatal(err)
		}
	}
	if out.Len() != 0 {
		t.Error("stream wrote before Close: not buffered")
	}
	// A row a second after the last flush flushes the buffer.
	s.wall = func() time.Time { return time.Now().Add(time.Second) }
	if err := s.Put(Row{Path: "conn", JSON: []byte(`{"uid":"C2"}`)}); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(out.String(), "\n"); n != 3 {
		t.Errorf("%d lines out after a second, want the 3 rows", n)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	want := `{"_path":"ssl","_write_ts":1700000000.5,"ts":1700000000.1,"uid":"C1"}` + "\n" +
		`{"_path":"weird","_write_ts":1700000000.5}` + "\n" +
		`{"_path":"conn","_write_ts":1700000000.5,"uid":"C2"}` + "\n"
	if out.String() != want {
		t.Errorf("stream:\n%s\nwant:\n%s", out.String(), want)
	}
	for _, l := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		if !json.Valid([]byte(l)) {
			t.Errorf("invalid JSON line %q", l)
		}
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestStreamError(t *testing.T) {
	s := NewStream(failWriter{}, &Clock{})
	s.Put(Row{Path: "ssl", JSON: []byte(`{"a":1}`)})
	if err := s.Close(); err == nil {
		t.Fatal("Close hid the write error")
	}
	if err := s.Put(Row{Path: "ssl", JSON: []byte(`{"a":1}`)}); err == nil {
		t.Fatal("Put after a failed flush succeeded")
	}
}
