package zeeklog

import (
	"io"
	"testing"

	tlsmon "github.com/tlsmon/tlsmon"
)

// TestIgnoredViolationNotLogged: a violation DPD ignores (past
// DPD::ignore_violations_after) is no failure: no analyzer.log row; the next one that is
// not ignored is logged.
func TestIgnoredViolationNotLogged(t *testing.T) {
	var rows int
	w := &countingWriter{Writer: NewJSONWriter(io.Discard, AnalyzerColumns), n: &rows}
	l := NewAnalyzerLog(w)
	c := &tlsmon.Conn{UID: "Cx"}
	l.HandleEvent(&tlsmon.AnalyzerConfirmation{Meta: tlsmon.Meta{Ts: 1, Conn: c}, Analyzer: "SSL"})
	l.HandleEvent(&tlsmon.AnalyzerViolation{Meta: tlsmon.Meta{Ts: 2, Conn: c}, Analyzer: "SSL", Reason: "late", Ignored: true})
	if rows != 0 {
		t.Fatalf("%d rows for an ignored violation", rows)
	}
	l.HandleEvent(&tlsmon.AnalyzerViolation{Meta: tlsmon.Meta{Ts: 3, Conn: c}, Analyzer: "SSL", Reason: "bad"})
	if rows != 1 {
		t.Fatalf("%d rows, want 1", rows)
	}
}

type countingWriter struct {
	Writer
	n *int
}

func (w *countingWriter) Write(v []Value) error {
	*w.n++
	return w.Writer.Write(v)
}
