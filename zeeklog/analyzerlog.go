package zeeklog

import (
	tlsmon "github.com/tlsmon/tlsmon"
)

// AnalyzerColumns are analyzer.log's default columns (Zeek 9).
var AnalyzerColumns = []Column{
	{"ts", "time"}, {"analyzer_kind", "string"}, {"analyzer_name", "string"}, {"uid", "string"},
	{"fuid", "string"}, {"id.orig_h", "addr"}, {"id.orig_p", "port"}, {"id.resp_h", "addr"},
	{"id.resp_p", "port"}, {"proto", "enum"}, {"failure_reason", "string"}, {"failure_data", "string"},
}

// FailureDataMax is Analyzer::Logging::failure_data_max_size.
const FailureDataMax = 40

// analyzerState is what AnalyzerLog knows of one analyzer on one connection.
type analyzerState struct {
	name   string
	failed bool
}

// maxAnalyzersPerConn bounds the analyzers remembered per connection.
const maxAnalyzersPerConn = 8

// AnalyzerLog builds analyzer.log from AnalyzerConfirmation and AnalyzerViolation events
// as Zeek's analyzer logging does: a violation is logged when it makes a protocol
// analyzer fail on a connection, that is, only when the analyzer had confirmed the
// protocol there (it is in the connection's services) and had not failed on it before.
type AnalyzerLog struct {
	w Writer
	// the analyzers confirmed on each connection (its services), and whether each failed
	// since; a connection's entry goes at its removal.
	state map[*tlsmon.Conn][]analyzerState
	vals  []Value
	err   error
}

// NewAnalyzerLog returns an analyzer.log builder writing to w.
func NewAnalyzerLog(w Writer) *AnalyzerLog {
	return &AnalyzerLog{w: w, state: map[*tlsmon.Conn][]analyzerState{}, vals: make([]Value, len(AnalyzerColumns))}
}

// HandleEvent consumes confirmations, violations and connection removals.
func (l *AnalyzerLog) HandleEvent(e tlsmon.Event) {
	switch ev := e.(type) {
	case *tlsmon.AnalyzerConfirmation:
		if ev.Conn == nil {
			return
		}
		st := l.state[ev.Conn]
		for _, a := range st {
			if a.name == ev.Analyzer {
				return
			}
		}
		if len(st) < maxAnalyzersPerConn {
			l.state[ev.Conn] = append(st, analyzerState{name: ev.Analyzer})
		}
	case *tlsmon.AnalyzerViolation:
		if ev.Conn == nil {
			return
		}
		st := l.state[ev.Conn]
		for i := range st {
			if st[i].name == ev.Analyzer && !st[i].failed {
				st[i].failed = true
				l.write(ev)
			}
		}
	case *tlsmon.ConnectionStateRemove:
		delete(l.state, ev.Conn)
	}
}

func (l *AnalyzerLog) write(ev *tlsmon.AnalyzerViolation) {
	v := l.vals
	for i := range v {
		v[i] = Value{}
	}
	c := ev.Conn
	v[0] = Time(ev.Ts)
	v[1] = String("protocol")
	v[2] = String(ev.Analyzer)
	v[3] = String(c.UID)
	v[5], v[6] = Addr(c.ID.OrigH), Port(c.ID.OrigP)
	v[7], v[8] = Addr(c.ID.RespH), Port(c.ID.RespP)
	v[9] = Enum(c.ID.Proto.String())
	v[10] = String(ev.Reason)
	if ev.Data != nil {
		d := ev.Data
		if len(d) > FailureDataMax {
			d = d[:FailureDataMax]
		}
		v[11] = String(string(d))
	}
	if err := l.w.Write(v); err != nil && l.err == nil {
		l.err = err
	}
}

// Close closes the writer and returns the first write error.
func (l *AnalyzerLog) Close(ts int64) error {
	if err := l.w.Close(ts); err != nil && l.err == nil {
		l.err = err
	}
	return l.err
}
