package main

import (
	"bytes"
	"encoding/json"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tlsmon/tlsmon"
)

func TestLazyFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "x.log")
	f := newLazyFile(p)
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(p); err == nil {
		t.Fatal("file created without a write")
	}
	f = newLazyFile(p)
	if _, err := f.Write([]byte("a\n")); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write([]byte("b\n")); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(p); string(b) != "a\nb\n" {
		t.Errorf("content %q", b)
	}
	if _, err := f.Write([]byte("c")); err == nil {
		t.Error("write after Close succeeded")
	}
	bad := newLazyFile(filepath.Join(t.TempDir(), "no", "such", "dir", "x.log"))
	if _, err := bad.Write([]byte("x")); err == nil {
		t.Error("write into a missing directory succeeded")
	}
	if err := bad.Close(); err == nil {
		t.Error("Close hides the creation error")
	}
}

type failWriter struct{ n int }

func (w *failWriter) Write(p []byte) (int, error) {
	w.n++
	return 0, os.ErrPermission
}

func TestEventFile(t *testing.T) {
	conn := &tlsmon.Conn{UID: "Cabc", ID: tlsmon.ConnID{
		OrigH: netip.MustParseAddr("192.0.2.1"), RespH: netip.MustParseAddr("2001:db8::1"),
		OrigP: 51234, RespP: 443, Proto: tlsmon.ProtoTCP}}
	var buf bytes.Buffer
	f := newEventFile(&buf, false)
	f.HandleEvent(&tlsmon.NewConnection{Meta: tlsmon.Meta{Ts: 1, Conn: conn}}) // not an SSL event
	f.HandleEvent(&tlsmon.SSLExtension{Meta: tlsmon.Meta{Ts: 1_400_000_000_000_001, Conn: conn},
		IsClient: true, Code: 0, Val: []byte("a\x00\"")})
	f.HandleEvent(&tlsmon.SSLExtension{Meta: tlsmon.Meta{Ts: 1_400_000_000_500_000, Conn: conn}, Code: 65281})
	if err := f.Err(); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d lines, want 2 (SSL events only):\n%s", len(lines), buf.String())
	}
	var e struct {
		Ts    json.Number
		Event string
		UID   string
		ID    struct {
			OrigH string `json:"orig_h"`
			RespP int    `json:"resp_p"`
			Proto string
		}
		Args struct {
			IsClient bool `json:"is_client"`
			Code     int
			Val      string
		}
	}
	d := json.NewDecoder(strings.NewReader(lines[0]))
	d.UseNumber()
	if err := d.Decode(&e); err != nil {
		t.Fatal(err)
	}
	if e.Ts != "1400000000.000001" || e.Event != "ssl_extension" || e.ID.OrigH != "192.0.2.1" || e.ID.RespP != 443 ||
		e.ID.Proto != "tcp" || !e.Args.IsClient || e.Args.Val != "610022" || e.UID != "Cabc" {
		t.Errorf("line 1 decoded to %+v: %s", e, lines[0])
	}
	if !strings.Contains(lines[1], `"code":65281`) {
		t.Errorf("line 2: %s", lines[1])
	}

	fw := &failWriter{}
	f = newEventFile(fw, false)
	for range 3 {
		f.HandleEvent(&tlsmon.SSLExtension{Meta: tlsmon.Meta{Conn: conn}})
	}
	if err := f.Err(); err == nil {
		t.Error("write error not reported")
	}
	if fw.n != 1 {
		t.Errorf("%d writes after the first error, want none", fw.n-1)
	}
}

func TestEventFileNoAlloc(t *testing.T) {
	conn := &tlsmon.Conn{ID: tlsmon.ConnID{OrigH: netip.MustParseAddr("192.0.2.1"),
		RespH: netip.MustParseAddr("192.0.2.2"), Proto: tlsmon.ProtoUDP}}
	f := newEventFile(discard{}, false)
	ev := &tlsmon.SSLExtension{Meta: tlsmon.Meta{Ts: 5, Conn: conn}, Val: []byte("0123456789")}
	if n := testing.AllocsPerRun(1000, func() { f.HandleEvent(ev) }); n != 0 {
		t.Errorf("%v allocations per event", n)
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
