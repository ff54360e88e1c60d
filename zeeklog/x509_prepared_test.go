package zeeklog

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	tlsmon "github.com/tlsmon/tlsmon"
)

func TestX509PrepEncoding(t *testing.T) {
	var sum [32]byte
	for i := range sum {
		sum[i] = byte(i + 1)
	}
	long := strings.Repeat("w", 256)
	for _, tc := range []struct {
		name   string
		p      x509Prep
		weirds []string
		noEnc  bool // appendX509Prep refuses it
	}{
		{name: "not parsed", p: x509Prep{sum: sum}},
		{name: "parsed, no row", p: x509Prep{sum: sum, parsed: true}},
		{name: "weirds, no row", p: x509Prep{sum: sum, parsed: true}, weirds: []string{"x509_utc_format", "x509_gen_time_length"}},
		{name: "row", p: x509Prep{sum: sum, parsed: true, hasRow: true, row: []byte("1.0\tabc\n")}},
		{name: "row, truncations, weirds", p: x509Prep{sum: sum, parsed: true, hasRow: true, truncs: 3, row: []byte("{\"ts\":1}\n")},
			weirds: []string{"x509_utc_length"}},
		{name: "unknown weird name", p: x509Prep{sum: sum, parsed: true}, weirds: []string{"a_new_one"}},
		{name: "name too long", p: x509Prep{sum: sum, parsed: true}, weirds: []string{long}, noEnc: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			prefix := []byte("kept")
			b, ok := appendX509Prep(prefix, &tc.p, tc.weirds)
			if ok == tc.noEnc {
				t.Fatalf("encoded %v, want %v", ok, !tc.noEnc)
			}
			if !ok {
				if string(b) != "kept" {
					t.Fatalf("refused encoding changed b: %q", b)
				}
				return
			}
			if string(b[:4]) != "kept" {
				t.Fatalf("prefix lost: %q", b)
			}
			p, ok := decodeX509Prep(b[4:])
			if !ok {
				t.Fatalf("decode failed: %x", b[4:])
			}
			if p.sum != tc.p.sum || p.parsed != tc.p.parsed || p.hasRow != tc.p.hasRow || p.truncs != tc.p.truncs ||
				!bytes.Equal(p.row, tc.p.row) || p.nweird != len(tc.weirds) {
				t.Fatalf("decoded %+v, want %+v", p, tc.p)
			}
			w := p.weirds
			for _, name := range tc.weirds {
				if got := weirdName(w[1 : 1+w[0]]); got != name {
					t.Fatalf("weird %q, want %q", got, name)
				}
				w = w[1+w[0]:]
			}
			// every proper prefix is rejected: the counts, lengths and the row's final
			// newline tell a cut encoding
			for i := range len(b) - 4 {
				if _, ok := decodeX509Prep(b[4 : 4+i]); ok {
					t.Fatalf("prefix of %d bytes accepted", i)
				}
			}
		})
	}
	for _, tc := range []struct {
		name string
		b    []byte
	}{
		{"empty", nil},
		{"fingerprint only", sum[:]},
		{"unknown flag", append(sum[:], 4, 0)},
		{"row without parse", append(sum[:], x509PrepRow, 0, 0, '\n')},
		{"weird past the end", append(sum[:], x509PrepParsed, 1, 5, 'a')},
		{"weirds of an unparsed certificate", append(sum[:], 0, 1, 1, 'a')},
		{"trailing bytes", append(sum[:], x509PrepParsed, 0, 'x')},
		{"row without newline", append(sum[:], x509PrepParsed|x509PrepRow, 0, 0, 'x')},
		{"empty row", append(sum[:], x509PrepParsed|x509PrepRow, 0, 0)},
	} {
		if _, ok := decodeX509Prep(tc.b); ok {
			t.Errorf("%s: accepted %x", tc.name, tc.b)
		}
	}
}

// TestX509PreparedMatchesOne: x509.log and its weirds built from shards' prepared data
// (two shards, each with its own guess of what is logged) equal one X509Log's, TSV and
// JSON, including the guesses that are wrong: a certificate re-logged after a day that
// one shard saw within the day (no row prepared: the merger formats it) and certificates
// another shard logged first (rows prepared and not written).
func TestX509PreparedMatchesOne(t *testing.T) {
	good := testCert(t, "www.example.com", []string{"www.example.com"}, nil)
	i := bytes.IndexByte(good, 0x17) // the notBefore UTCTime
	if i < 0 || good[i+1] != 13 || good[i+14] != 'Z' {
		t.Fatal("UTCTime not found")
	}
	badTime := bytes.Clone(good)
	badTime[i+14] = '0' // x509_utc_format
	many := make([]string, 600)
	for i := range many {
		many[i] = fmt.Sprintf("h%d.example.com", i)
	}
	trunc := testCert(t, "many.example.com", many, nil) // log_container_field_truncated
	garbage := []byte{0x30, 0x03, 0x02, 0x01, 0x00}
	const h = 3600 * 1_000_000 // an hour, µs
	type step struct {
		shard  int
		ts     int64
		der    []byte
		index  int
		client bool
	}
	steps := []step{
		{0, 1 * h, good, 0, false},
		{1, 2 * h, good, 0, false},   // shard 1 guesses "logged": prepared, not written
		{1, 2 * h, good, 1, false},   // another key (not the host certificate): logged
		{1, 25 * h, good, 0, false},  // globally a day after 1h: logged; shard 1 saw it at 2h: fallback
		{0, 26 * h, good, 0, false},  // shard 0 saw it at 1h: prepared, not written
		{0, 3 * h, badTime, 0, true}, // time weird, client certificate
		{1, 4 * h, badTime, 0, true}, // its weird again, not logged
		{0, 5 * h, trunc, 0, false},
		{1, 6 * h, trunc, 0, false},
		{1, 40 * h, trunc, 0, false},
		{0, 7 * h, garbage, 0, false},
		{1, 8 * h, garbage, 0, false},
	}
	for _, json := range []bool{false, true} {
		t.Run(fmt.Sprintf("json=%v", json), func(t *testing.T) {
			newWriter := func(b *bytes.Buffer) Writer {
				if json {
					return NewJSONWriter(b, X509Columns)
				}
				return NewTSVWriter(b, "x509", X509Columns, 1)
			}
			var wantLog, gotLog bytes.Buffer
			var wantWeirds, gotWeirds []string
			record := func(ws *[]string) tlsmon.Handler {
				return tlsmon.HandlerFunc(func(e tlsmon.Event) {
					w := e.(*tlsmon.Weird)
					*ws = append(*ws, fmt.Sprintf("%d %s %s", w.Ts, w.WeirdName, w.Addl))
				})
			}
			one := NewX509Log(newWriter(&wantLog))
			one.Weirds = record(&wantWeirds)
			merged := NewX509Log(newWriter(&gotLog))
			merged.Weirds = record(&gotWeirds)
			var preps [2]*X509Prep
			for s := range preps {
				set := NewSet(nil, nil)
				preps[s] = set.NewX509Prep(X509Columns, json, true, len(preps))
			}
			var buf []byte
			for _, st := range steps {
				ev := &tlsmon.Certificate{Meta: tlsmon.Meta{Ts: st.ts}, DER: st.der, Index: st.index, IsClient: st.client}
				one.HandleEvent(ev)
				buf = preps[st.shard].Prepare(buf[:0], ev)
				cp := *ev
				if !merged.HandlePrepared(&cp, buf) {
					t.Fatalf("prepared data of %+v not accepted", st)
				}
			}
			if gotLog.String() != wantLog.String() {
				t.Errorf("x509.log:\n%s\nwant:\n%s", gotLog.String(), wantLog.String())
			}
			if strings.Join(gotWeirds, "\n") != strings.Join(wantWeirds, "\n") {
				t.Errorf("weirds:\n%s\nwant:\n%s", strings.Join(gotWeirds, "\n"), strings.Join(wantWeirds, "\n"))
			}
			if merged.Unparsable != one.Unparsable || one.Unparsable != 2 {
				t.Errorf("unparsable %d, want %d (2)", merged.Unparsable, one.Unparsable)
			}
			if merged.fallbacks != 1 {
				t.Errorf("%d rows formatted by the merger, want 1 (the re-log shard 1 did not expect)", merged.fallbacks)
			}
			if n := preps[0].prepared + preps[1].prepared; n != 9 {
				t.Errorf("%d rows prepared, want 9", n)
			}
			if len(wantWeirds) < 4 || wantLog.Len() == 0 {
				t.Fatalf("test too weak: weirds %v", wantWeirds)
			}
		})
	}
}
