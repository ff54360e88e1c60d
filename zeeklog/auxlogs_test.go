package zeeklog

import (
	"bytes"
	"net/netip"
	"strings"
	"testing"

	tlsmon "github.com/tlsmon/tlsmon"
)

func weirdRows(t *testing.T, events []tlsmon.Event) []string {
	t.Helper()
	var buf bytes.Buffer
	l := NewWeirdLog(NewTSVWriter(&buf, "weird", WeirdColumns, 1))
	for _, e := range events {
		l.HandleEvent(e)
	}
	if err := l.Close(1); err != nil {
		t.Fatal(err)
	}
	var rows []string
	for _, line := range strings.Split(buf.String(), "\n") {
		if line != "" && line[0] != '#' {
			rows = append(rows, line)
		}
	}
	return rows
}

func TestWeirdLogRows(t *testing.T) {
	c := testConn()
	rows := weirdRows(t, []tlsmon.Event{
		&tlsmon.Weird{Meta: tlsmon.Meta{Ts: 1_500_000, Conn: c}, WeirdName: "SSL_many_server_names", Addl: "[a, b]"},
		&tlsmon.Weird{Meta: tlsmon.Meta{Ts: 1_600_000}, WeirdName: "log_container_field_truncated", Addl: "X509::LOG"},
		&tlsmon.Weird{Meta: tlsmon.Meta{Ts: 1_700_000, Conn: c}, WeirdName: "truncated_header", Source: "TCP"},
	})
	want := []string{
		"1.500000\tCx\t10.0.0.1\t1234\t8.8.8.8\t443\tSSL_many_server_names\t[a, b]\tF\tzeek\t-",
		"1.600000\t-\t-\t-\t-\t-\tlog_container_field_truncated\tX509::LOG\tF\tzeek\t-",
		"1.700000\tCx\t10.0.0.1\t1234\t8.8.8.8\t443\ttruncated_header\t-\tF\tzeek\tTCP",
	}
	if strings.Join(rows, "\n") != strings.Join(want, "\n") {
		t.Errorf("rows\n%s\nwant\n%s", strings.Join(rows, "\n"), strings.Join(want, "\n"))
	}
}

func TestWeirdLogDeduplication(t *testing.T) {
	c1 := testConn()
	c2 := testConn()
	c2.UID, c2.ID.OrigP = "Cy", 4321
	c3 := testConn() // same originator as c1 and c2, other connection
	c3.UID, c3.ID.OrigP = "Cz", 999
	other := testConn()
	other.UID, other.ID.OrigH = "Co", netip.MustParseAddr("10.9.9.9")
	w := func(ts int64, c *tlsmon.Conn, name string) tlsmon.Event {
		return &tlsmon.Weird{Meta: tlsmon.Meta{Ts: ts, Conn: c}, WeirdName: name}
	}
	const min = 60_000_000
	rows := weirdRows(t, []tlsmon.Event{
		w(1, c1, "data_before_established"),      // logged
		w(2, c1, "data_before_established"),      // same connection within 10 min: dropped
		w(3, c2, "data_before_established"),      // other connection: logged
		w(11*min, c1, "data_before_established"), // 10 min later: logged again
		w(4, c1, "SYN_with_data"),                // per originator: logged
		w(5, c3, "SYN_with_data"),                // same originator: dropped
		w(6, other, "SYN_with_data"),             // other originator: logged
		w(7, c1, "spontaneous_FIN"),              // ignored by Zeek
		w(8, c1, "bad_TCP_checksum"),             // per originator, repeats not ignored...
		w(9, c1, "bad_TCP_checksum"),             // ...but did_log still drops it
		w(10, nil, "truncated_IP"),               // no connection: logged
		w(11, nil, "truncated_IP"),               // dropped (same name, no identifier)
		w(12, c1, "SYN_after_partial"),           // a notice action: notice=T
	})
	var got []string
	for _, r := range rows {
		f := strings.Split(r, "\t")
		got = append(got, f[1]+" "+f[6]+" "+f[8])
	}
	want := []string{
		"Cx data_before_established F", "Cy data_before_established F", "Cx SYN_with_data F",
		"Co SYN_with_data F", "Cx bad_TCP_checksum F", "- truncated_IP F", "Cx SYN_after_partial T",
		"Cx data_before_established F",
	}
	// rows come in event order; the 11-minute one was fed fourth
	want = []string{want[0], want[1], want[7], want[2], want[3], want[4], want[5], want[6]}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("rows\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestWeirdLogMemoryIsBounded(t *testing.T) {
	var buf bytes.Buffer
	l := NewWeirdLog(NewJSONWriter(&buf, WeirdColumns))
	c := testConn()
	for i := 0; i < MaxWeirdsTracked+10; i++ {
		c2 := *c
		c2.ID.OrigP = uint16(i)
		c2.ID.RespP = uint16(i >> 16)
		l.HandleEvent(&tlsmon.Weird{Meta: tlsmon.Meta{Ts: int64(i), Conn: &c2}, WeirdName: "x"})
	}
	if len(l.ignore) > MaxWeirdsTracked || len(l.logged) > MaxWeirdsTracked {
		t.Errorf("tracked %d/%d", len(l.ignore), len(l.logged))
	}
}

func TestAnalyzerLog(t *testing.T) {
	var buf bytes.Buffer
	l := NewAnalyzerLog(NewTSVWriter(&buf, "analyzer", AnalyzerColumns, 1))
	c1, c2 := testConn(), testConn()
	c2.UID = "Cy"
	long := bytes.Repeat([]byte("A"), 100)
	for _, e := range []tlsmon.Event{
		&tlsmon.AnalyzerViolation{Meta: tlsmon.Meta{Ts: 1_000_000, Conn: c2}, Analyzer: "SSL", Reason: "never confirmed"},
		&tlsmon.AnalyzerConfirmation{Meta: tlsmon.Meta{Ts: 1_000_000, Conn: c1}, Analyzer: "SSL"},
		&tlsmon.AnalyzerViolation{Meta: tlsmon.Meta{Ts: 2_000_000, Conn: c1}, Analyzer: "DTLS", Reason: "other analyzer"},
		&tlsmon.AnalyzerViolation{Meta: tlsmon.Meta{Ts: 2_500_000, Conn: c1}, Analyzer: "SSL", Reason: "bad\tthing", Data: long},
		&tlsmon.AnalyzerViolation{Meta: tlsmon.Meta{Ts: 3_000_000, Conn: c1}, Analyzer: "SSL", Reason: "already failed"},
		&tlsmon.ConnectionStateRemove{Meta: tlsmon.Meta{Ts: 4_000_000, Conn: c1}},
	} {
		l.HandleEvent(e)
	}
	l.Close(1)
	var rows []string
	for _, line := range strings.Split(buf.String(), "\n") {
		if line != "" && line[0] != '#' {
			rows = append(rows, line)
		}
	}
	want := "2.500000\tprotocol\tSSL\tCx\t-\t10.0.0.1\t1234\t8.8.8.8\t443\ttcp\tbad\\x09thing\t" + strings.Repeat("A", FailureDataMax)
	if len(rows) != 1 || rows[0] != want {
		t.Errorf("rows %q\nwant %q", rows, want)
	}
	if len(l.state) != 0 {
		t.Errorf("state kept after removal: %d", len(l.state))
	}
}

func TestSetWiresScriptWeirds(t *testing.T) {
	bufs := map[string]*bytes.Buffer{}
	s := NewSet(Logs(), func(spec LogSpec) Writer {
		bufs[spec.Path] = new(bytes.Buffer)
		return NewJSONWriter(bufs[spec.Path], spec.Columns)
	})
	m := tlsmon.Meta{Ts: 1_000_000, Conn: testConn()}
	s.HandleEvent(&tlsmon.SSLExtensionServerName{Meta: m, IsClient: true, Names: [][]byte{[]byte("a"), []byte("b")}})
	s.HandleEvent(&tlsmon.ConnectionStateRemove{Meta: m})
	if err := s.Close(2); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"x509", "ssl", "conn", "analyzer", "weird"} {
		if bufs[p] == nil {
			t.Errorf("no %s log", p)
		}
	}
	if !strings.Contains(bufs["weird"].String(), `"name":"SSL_many_server_names","addl":"[a, b]"`) {
		t.Errorf("weird.log %q", bufs["weird"].String())
	}
	if bufs["ssl"].Len() == 0 || bufs["conn"].Len() == 0 {
		t.Errorf("ssl %q conn %q", bufs["ssl"], bufs["conn"])
	}
}

func TestWeirdLogRepeatsAllocateNothing(t *testing.T) {
	var buf bytes.Buffer
	l := NewWeirdLog(NewJSONWriter(&buf, WeirdColumns))
	ev := &tlsmon.Weird{Meta: tlsmon.Meta{Ts: 1, Conn: testConn()}, WeirdName: "SSL_excessive_empty_records", Source: "SSL"}
	l.HandleEvent(ev)
	if n := testing.AllocsPerRun(100, func() { ev.Ts++; l.HandleEvent(ev) }); n != 0 {
		t.Errorf("%v allocations per repeated weird", n)
	}
	if l.Dropped == 0 {
		t.Error("repeats were not dropped")
	}
}
