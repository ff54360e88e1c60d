package http

import (
	"reflect"
	"testing"

	"github.com/tlsmon/tlsmon"

	"github.com/tlsmon/tlsmon/starttls/internal/sttest"
)

// TestMatch: Zeek's dpd_http_client and dpd_http_server signatures.
func TestMatch(t *testing.T) {
	for _, c := range []struct {
		orig bool
		data string
		want bool
	}{
		{true, "GET / HTTP/1.1\r\n", true},
		{true, " \r\n\tPOST /x HTTP/1.0\r\n", true},
		{true, "PROPFIND", true},
		{true, "GETX", true}, // the method is a prefix: the pattern's trailing space is optional
		{true, "RPC_IN_DATA /rpc", true},
		{true, "get / HTTP/1.1", false}, // methods are case-sensitive
		{true, "GE", false},
		{true, "\x16\x03\x01\x00", false},
		{true, "HTTP/1.1 200 OK", false},
		{false, "HTTP/1.1 200 OK\r\n", true},
		{false, "http/1.0 404", true},
		{false, "HTTP/x", false},
		{false, "GET / HTTP/1.1", false},
	} {
		if got := Match(c.orig, []byte(c.data)); got != c.want {
			t.Errorf("Match(%v, %q) = %v, want %v", c.orig, c.data, got, c.want)
		}
	}
	for _, m := range methods { // each method through methodsFrom
		if !Match(true, []byte(string(m)+" / HTTP/1.1\r\n")) {
			t.Errorf("method %s not matched", m)
		}
	}
}

// TestLineAtEOF: a line left unterminated when the endpoint closes is parsed (Zeek's
// content line analyzer delivers it at EOF): trailing garbage after a request is a
// violation.
func TestLineAtEOF(t *testing.T) {
	steps := []sttest.Step{{Orig: true, Data: []byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n\x00\x00\x00\x00")}}
	rec := sttest.Run(t, 80, New, steps)
	if len(rec.Confirms) != 1 || rec.Count("analyzer_violation_info") != 1 || rec.Count("weird") != 1 {
		t.Fatalf("events %v confirms %v", rec.Names, rec.Confirms)
	}
}

// TestBadRequestWeird: a line that is no request line raises Zeek's weird
// bad_HTTP_request (…_with_version when it has no method but ends in " HTTP/x.y") before
// the violation.
func TestBadRequestWeird(t *testing.T) {
	for line, want := range map[string]string{
		"\x16\x03\x01 garbage":  "bad_HTTP_request",
		"NOSPACE":               "bad_HTTP_request",
		" /index.html HTTP/1.1": "bad_HTTP_request_with_version",
	} {
		env, _ := sttest.NewEnv(80)
		var weirds []string
		env.Events = tlsmon.HandlerFunc(func(e tlsmon.Event) {
			if w, ok := e.(*tlsmon.Weird); ok {
				weirds = append(weirds, w.WeirdName)
			}
		})
		a := New(env)
		a.DeliverStream(1, true, []byte(line+"\r\n"))
		if len(weirds) != 1 || weirds[0] != want {
			t.Errorf("%q: weirds %v, want %s", line, weirds, want)
		}
	}
}

// TestPartialSkipped: Zeek's HTTP analyzer ignores partial connections.
func TestPartialSkipped(t *testing.T) {
	env, rec := sttest.NewEnv(80)
	env.Partial = func() bool { return true }
	a := New(env)
	a.DeliverStream(1, true, []byte("GET / HTTP/1.1\r\n\r\n"))
	a.DeliverStream(2, false, []byte("HTTP/1.1 200 OK\r\n\r\n"))
	if len(rec.Confirms) != 0 {
		t.Fatalf("confirmed on a partial connection: %v", rec.Confirms)
	}
}

// TestSingleCRAfterViolation: Zeek removes a failed analyzer only after the packet, so its
// content line analyzer still frames the rest of the delivery: a lone CR there is the
// weird line_terminated_with_single_CR, after bad_HTTP_request.
func TestSingleCRAfterViolation(t *testing.T) {
	env, _ := sttest.NewEnv(80)
	var weirds []string
	env.Events = tlsmon.HandlerFunc(func(e tlsmon.Event) {
		if w, ok := e.(*tlsmon.Weird); ok {
			weirds = append(weirds, w.WeirdName+"/"+w.Source)
		}
	})
	a := New(env)
	a.DeliverStream(1, true, []byte("\x16\x03\x01 binary\nmore\rstuff\n"))
	want := []string{"bad_HTTP_request/HTTP", "line_terminated_with_single_CR/CONTENTLINE"}
	if !reflect.DeepEqual(weirds, want) {
		t.Fatalf("weirds %v, want %v", weirds, want)
	}
}
