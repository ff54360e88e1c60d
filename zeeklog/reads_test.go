package zeeklog

import (
	"bytes"
	"testing"

	tlsmon "github.com/tlsmon/tlsmon"
)

func TestSetReadsEvent(t *testing.T) {
	discard := func(LogSpec) Writer { return NewJSONWriter(&bytes.Buffer{}, nil) }
	set := NewSet(Logs(), discard)
	if !set.ReadsEvent("ssl_client_hello") || set.ReadsEvent("ssl_extension_elliptic_curves") {
		t.Error("the default logs read ssl_extension_elliptic_curves or not ssl_client_hello")
	}
	if !set.ReadsEvent("weird") || !set.ReadsEvent("x509_certificate_seen") {
		t.Error("the default logs do not read weird or x509_certificate_seen")
	}
	if vals, some := set.EventArgs("ssl_extension"); !some || len(vals) == 0 {
		t.Errorf("the default logs read every extension, or none: %v", vals)
	}
	if _, some := set.EventArgs("ssl_client_hello"); some {
		t.Error("ssl_client_hello is narrowed")
	}
	for _, x := range []Extensions{
		{SSL: []ColumnExtension{&countingExt{n: map[*tlsmon.Conn]uint64{}}}},
		{Conn: []ColumnExtension{&countingExt{n: map[*tlsmon.Conn]uint64{}}}},
	} {
		if !NewSet(LogsWith(x), discard).ReadsEvent("ssl_extension_elliptic_curves") {
			t.Error("a log with column extensions must read every event")
		}
		if _, some := NewSet(LogsWith(x), discard).EventArgs("ssl_extension"); some {
			t.Error("a log with column extensions must read every extension")
		}
	}
}
