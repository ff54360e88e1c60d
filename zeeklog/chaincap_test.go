package zeeklog

import (
	"bytes"
	"strings"
	"testing"

	tlsmon "github.com/tlsmon/tlsmon"
)

// A chain longer than MaxChainCerts is cut in ssl.log, and the cut is reported in
// weird.log (source tlsmon, with the connection) once per chain side.
func TestChainCutWeird(t *testing.T) {
	var sb, wb bytes.Buffer
	sl := NewSSLLog(NewJSONWriter(&sb, SSLColumns))
	wl := NewWeirdLog(NewJSONWriter(&wb, WeirdColumns))
	var raised []tlsmon.Weird
	sl.WeirdEvents = tlsmon.Handlers{tlsmon.HandlerFunc(func(e tlsmon.Event) { raised = append(raised, *e.(*tlsmon.Weird)) }), wl}
	c := testConn()
	m := tlsmon.Meta{Ts: 2_000_000, Conn: c}
	sl.HandleEvent(&tlsmon.SSLClientHello{Meta: m, Version: 0x0303})
	for i := range MaxChainCerts + 3 {
		sl.HandleEvent(&tlsmon.Certificate{Meta: m, Index: i, DER: []byte{byte(i)}})
	}
	if len(raised) != 1 {
		t.Fatalf("%d weirds after the server chain, want 1", len(raised))
	}
	m3 := tlsmon.Meta{Ts: 3_000_000, Conn: c}
	for i := range MaxChainCerts + 1 {
		sl.HandleEvent(&tlsmon.Certificate{Meta: m3, IsClient: true, Index: i, DER: []byte{byte(i)}})
	}
	if len(raised) != 2 || raised[1].Ts != m3.Ts || raised[1].Conn != c || raised[1].Source != "tlsmon" {
		t.Fatalf("weirds %+v", raised)
	}
	sl.HandleEvent(&tlsmon.ConnectionStateRemove{Meta: m})
	sl.Close(0)
	wl.Close(0)
	// The client side's cut is the same weird of the same connection within ten minutes:
	// weird.log's de-duplication keeps the first row only.
	want := `{"ts":2.0,"uid":"Cx","id.orig_h":"10.0.0.1","id.orig_p":1234,"id.resp_h":"8.8.8.8","id.resp_p":443,"name":"SSL_cert_chain_fps_cap","addl":"64","notice":false,"peer":"zeek","source":"tlsmon"}` + "\n"
	if wb.String() != want {
		t.Fatalf("weird.log:\n%s\nwant\n%s", wb.String(), want)
	}
	if sl.Weirds != 4 {
		t.Errorf("weirds %d, want 4 certificates left out", sl.Weirds)
	}
	if n := strings.Count(sb.String(), `"cert_chain_fps":[`); n != 1 {
		t.Fatalf("ssl row %s", sb.String())
	}
}
