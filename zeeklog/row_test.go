package zeeklog

import (
	"bytes"
	"math/rand/v2"
	"net/netip"
	"strings"
	"testing"

	tlsmon "github.com/tlsmon/tlsmon"
)

// TestTime6MatchesFloat checks that the integer formatting of times and intervals gives
// the bytes of the floating-point one (Zeek's doubles printed with six decimals), at the
// edges of the range where it is used, beyond it, and on random values.
func TestTime6MatchesFloat(t *testing.T) {
	lim := int64(exactSecLimit * 1e6)
	us := []int64{0, 1, 999999, 1000000, 1000001, 500000, 1700000000123456, 1700000000999999,
		lim - 1, lim, lim + 1, lim - 500000, 2 * lim, -1, -999999, -1000001, 253402300799000000, 1 << 62}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 200000 {
		us = append(us, rng.Int64N(lim+lim/4), rng.Int64N(1e6)+(rng.Int64N(1<<31))*1e6, rng.Int64N(1<<43)*1e6)
	}
	for _, u := range us {
		want := appendFixed6(nil, zeekSeconds(u))
		if got := appendTime6(nil, u); !bytes.Equal(got, want) {
			t.Fatalf("time %d: %s, want %s", u, got, want)
		}
	}
	for i := 0; i+1 < len(us); i += 2 {
		from, to := min(us[i], us[i+1]), max(us[i], us[i+1])
		for _, p := range [][2]int64{{from, to}, {to, from}, {from, from + 1}, {from, from + rng.Int64N(1e9)}} {
			want := appendFixed6(nil, IntervalBetween(p[0], p[1]).f)
			if got := appendInterval6(nil, p[0], p[1]); !bytes.Equal(got, want) {
				t.Fatalf("interval %d..%d: %s, want %s", p[0], p[1], got, want)
			}
		}
	}
}

// valuesOnly hides the TSV writer from the builders, so that they write Values.
type valuesOnly struct{ Writer }

// TestRowPathsAgree feeds the same events to builders writing straight into the TSV
// writer's buffer and to builders writing Values through Writer.Write: the logs must be
// the same bytes, with fields that need escaping, markers, a row starting with '#',
// unset and empty fields and vectors.
func TestRowPathsAgree(t *testing.T) {
	var events []tlsmon.Event
	leaf := testCert(t, "www.example.com", []string{"www.example.com"}, nil)
	conns := []*tlsmon.Conn{
		{UID: "#C1", ID: tlsmon.ConnID{OrigH: netip.MustParseAddr("10.0.0.1"), OrigP: 1, RespH: netip.MustParseAddr("::ffff:1.2.3.4"), RespP: 443, Proto: tlsmon.ProtoTCP}, StartTs: 1700000000000001},
		{UID: "-", ID: tlsmon.ConnID{OrigH: netip.MustParseAddr("2001:db8::1"), OrigP: 2, RespH: netip.MustParseAddr("fe80::1"), RespP: 853, Proto: tlsmon.ProtoUDP}, StartTs: -5},
		{UID: "", ID: tlsmon.ConnID{Proto: tlsmon.ProtoICMP}, StartTs: 1 << 60},
	}
	names := [][]byte{[]byte("a\tb\\c,d\xff\x01é"), []byte("(empty)"), []byte("-")}
	for i, c := range conns {
		m := tlsmon.Meta{Ts: c.StartTs + 7, Conn: c}
		events = append(events,
			&tlsmon.SSLClientHello{Meta: m, Version: 0x0303, SessionID: []byte{1, 2, 3}},
			&tlsmon.SSLExtensionServerName{Meta: m, IsClient: true, Names: [][]byte{names[i]}},
			&tlsmon.SSLExtensionApplicationLayerProtocolNegotiation{Meta: m, Protocols: [][]byte{names[(i+1)%3]}},
			&tlsmon.SSLServerHello{Meta: m, Version: uint64(0x0301 + i), Cipher: uint64(0xc02f + i), SessionID: []byte{1, 2, 3}},
			&tlsmon.SSLECDHServerParams{Meta: m, Curve: uint64(23 + 1000*i)},
			&tlsmon.SSLAlert{Meta: m, Desc: uint64(40 + 200*i)},
			&tlsmon.AnalyzerConfirmation{Meta: m, Analyzer: "SSL"},
		)
		if i != 2 {
			events = append(events, &tlsmon.Certificate{Meta: m, DER: leaf}, &tlsmon.Certificate{Meta: m, Index: 1, DER: []byte("junk")})
		}
		if i == 1 {
			events = append(events, &tlsmon.SSLHandshakeMessage{Meta: m, MsgType: 99}, &tlsmon.SSLEstablished{Meta: m})
		}
		events = append(events,
			&tlsmon.AnalyzerViolation{Meta: m, Analyzer: "SSL", Reason: "bad\trecord", Data: names[i]},
			&tlsmon.ConnectionStateRemove{Meta: tlsmon.Meta{Ts: m.Ts + 9, Conn: c}, Stats: tlsmon.ConnectionStats{
				Duration: int64(i) * 1234567, OrigPkts: 3, State: []string{"SF", "", "OTH"}[i], History: []string{"ShADadFf", "", "-"}[i],
				Service: [][]string{{"SSL"}, nil, {"SSL", "Ünï"}}[i], TunnelParents: [][]string{nil, {"Ca", "C,b"}, {}}[i],
			}},
		)
	}
	direct := bothRowPaths(t, events)
	for path, want := range map[string]string{
		"ssl":      "\n1700000000.000008\t#C1\t10.0.0.1\t1\t1.2.3.4\t443\tTLSv10\tTLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256\tsecp256r1\ta\\x09b\\\\c,d\\xff\\x01\\xc3\\xa9\tT\thandshake_failure\t\\x28empty)\tF\tCl\t",
		"conn":     "\t-\t-\t-\tSF\tT\tF\t0\tShADadFf\t3\t0\t0\t0\t-\t6\n",
		"analyzer": "\tbad\\x09record\ta\\x09b\\\\c,d\\xff\\x01\\xc3\\xa9\n",
	} {
		if !bytes.Contains(direct[path].Bytes(), []byte(want)) {
			t.Errorf("%s.log has no %q:\n%s", path, want, direct[path])
		}
	}

	// a row whose first field starts with '#' must not look like a header line
	var b bytes.Buffer
	r := newRowBuf(NewTSVWriter(&b, "x", []Column{{"a", "string"}, {"b", "count"}}, 1), 2)
	r.begin()
	r.str("#a")
	r.count(7)
	if err := r.end(); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasSuffix(b.Bytes(), []byte("\n\\x23a\t7\n")) {
		t.Errorf("row starting with '#': %q", b.Bytes())
	}
}

// bothRowPaths writes the logs of events with the direct and the Values row paths, fails
// t if they differ, and returns the logs.
func bothRowPaths(t *testing.T, events []tlsmon.Event) map[string]*bytes.Buffer {
	logs := func(generic bool) map[string]*bytes.Buffer {
		out := map[string]*bytes.Buffer{}
		set := NewSet(Logs(), func(s LogSpec) Writer {
			out[s.Path] = &bytes.Buffer{}
			w := NewTSVWriter(out[s.Path], s.Path, s.Columns, 1)
			if generic {
				return valuesOnly{w}
			}
			return w
		})
		for _, e := range events {
			set.HandleEvent(e)
		}
		if err := set.Close(2); err != nil {
			t.Fatal(err)
		}
		return out
	}
	direct, generic := logs(false), logs(true)
	for path, want := range generic {
		if got := direct[path]; !bytes.Equal(got.Bytes(), want.Bytes()) {
			t.Errorf("%s.log differs:\n%s\nwant:\n%s", path, got, want)
		}
	}
	return direct
}

// FuzzRowPaths checks that the direct TSV rows of ssl.log, conn.log and analyzer.log are
// the bytes the Values path gives, for arbitrary strings, times and durations.
func FuzzRowPaths(f *testing.F) {
	f.Add("CHhAvVGS1DHFjwGM9", []byte("www.example.com"), "SSL", "ShADadFf", int64(1700000000123456), int64(1234567))
	f.Add("-", []byte("a\tb\\c,\xff"), "Ünï,X", "", int64(-1), int64(1<<62))
	f.Fuzz(func(t *testing.T, uid string, name []byte, service, history string, ts, dur int64) {
		c := &tlsmon.Conn{UID: uid, ID: tlsmon.ConnID{OrigH: netip.MustParseAddr("192.168.1.2"), OrigP: 5,
			RespH: netip.MustParseAddr("2001:db8::2"), RespP: 443, Proto: tlsmon.ProtoTCP}, StartTs: ts}
		m := tlsmon.Meta{Ts: ts, Conn: c}
		bothRowPaths(t, []tlsmon.Event{
			&tlsmon.SSLExtensionServerName{Meta: m, IsClient: true, Names: [][]byte{name}},
			&tlsmon.SSLExtensionApplicationLayerProtocolNegotiation{Meta: m, Protocols: [][]byte{name}},
			&tlsmon.AnalyzerConfirmation{Meta: m, Analyzer: "SSL"},
			&tlsmon.Certificate{Meta: m, DER: name},
			&tlsmon.AnalyzerViolation{Meta: m, Analyzer: "SSL", Reason: service, Data: name},
			&tlsmon.ConnectionStateRemove{Meta: m, Stats: tlsmon.ConnectionStats{Duration: dur, State: history,
				History: history, Service: strings.Split(service, ","), TunnelParents: strings.Split(uid, ",")}},
		})
	})
}

// TestSetRouting checks that handing each event only to the builders that consume it
// gives the logs that handing every event to every builder gives.
func TestSetRouting(t *testing.T) {
	events := benchWave(t, 8)
	c := events[0].EventMeta().Conn
	events = append(events[:200:200],
		&tlsmon.Weird{Meta: tlsmon.Meta{Ts: 5, Conn: c}, WeirdName: "bad_TCP_checksum"},
		&tlsmon.SSLConnectionFlipped{Meta: tlsmon.Meta{Ts: 6, Conn: c}},
		&tlsmon.SSLAlert{Meta: tlsmon.Meta{Ts: 6, Conn: c}, Desc: 40},
		&tlsmon.SSLHeartbeat{Meta: tlsmon.Meta{Ts: 6, Conn: c}},
		&tlsmon.AnalyzerViolation{Meta: tlsmon.Meta{Ts: 7, Conn: c}, Analyzer: "SSL", Reason: "x"},
		&tlsmon.Weird{Meta: tlsmon.Meta{Ts: 8}, WeirdName: "no_conn"},
	)
	events = append(events, benchWave(t, 8)[200:]...)
	logs := func(everyone bool) map[string]*bytes.Buffer {
		out := map[string]*bytes.Buffer{}
		set := NewSet(Logs(), func(s LogSpec) Writer {
			out[s.Path] = &bytes.Buffer{}
			return NewTSVWriter(out[s.Path], s.Path, s.Columns, 1)
		})
		if everyone {
			for c := range set.byClass {
				set.byClass[c] = nil
				for _, b := range set.builders {
					set.byClass[c] = append(set.byClass[c], b)
				}
			}
		}
		for _, e := range events {
			set.HandleEvent(e)
		}
		if err := set.Close(2); err != nil {
			t.Fatal(err)
		}
		return out
	}
	routed, all := logs(false), logs(true)
	for path, want := range all {
		if got := routed[path]; !bytes.Equal(got.Bytes(), want.Bytes()) {
			t.Errorf("%s.log differs:\n%s\nwant:\n%s", path, got, want)
		}
		if want.Len() == 0 {
			t.Errorf("%s.log is empty: the test does not exercise it", path)
		}
	}
}
