package zeeklog

import (
	"math/bits"

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

// analyzerState is what AnalyzerLog knows of one analyzer on one connection, for the
// analyzers beyond the first maxAnalyzerNames names.
type analyzerState struct {
	name   string
	failed bool
}

// connAnalyzers is what AnalyzerLog knows of one connection: the analyzers confirmed on it
// and those that failed since, as bits over AnalyzerLog.names.
type connAnalyzers struct{ confirmed, failed uint64 }

// maxAnalyzersPerConn bounds the analyzers remembered per connection; maxAnalyzerNames
// the analyzer names numbered for the bit sets (analyzer names come from tlsmon's own
// analyzers, a few dozen at most; any beyond take a slower path with the same result).
const (
	maxAnalyzersPerConn = 8
	maxAnalyzerNames    = 64
)

// AnalyzerLog builds analyzer.log from AnalyzerConfirmation and AnalyzerViolation events
// as Zeek's analyzer logging does: a violation is logged when it makes a protocol
// analyzer fail on a connection, that is, only when the analyzer had confirmed the
// protocol there (it is in the connection's services) and had not failed on it before.
type AnalyzerLog struct {
	w Writer
	// the analyzers confirmed on each connection (its services), and whether each failed
	// since; a connection's entry goes at its removal. Bit sets instead of a list per
	// connection: the list was an allocation per connection (≈ 30 % of this builder's
	// time on perfmix).
	state map[*tlsmon.Conn]connAnalyzers
	names []string // the analyzer names of the bits, in order of first confirmation
	more  map[*tlsmon.Conn][]analyzerState
	row   rowBuf
	err   error
}

// NewAnalyzerLog returns an analyzer.log builder writing to w.
func NewAnalyzerLog(w Writer) *AnalyzerLog {
	return &AnalyzerLog{w: w, state: map[*tlsmon.Conn]connAnalyzers{}, row: newRowBuf(w, len(AnalyzerColumns))}
}

// nameBit returns the bit of an analyzer name, numbering it if add is set; 0 when the
// name has none.
func (l *AnalyzerLog) nameBit(name string, add bool) uint64 {
	for i, n := range l.names {
		if n == name {
			return 1 << i
		}
	}
	if !add || len(l.names) >= maxAnalyzerNames {
		return 0
	}
	l.names = append(l.names, name)
	return 1 << (len(l.names) - 1)
}

// HandleEvent consumes confirmations, violations and connection removals.
// (Set hands it only the events consumes in logs.go lists: keep the two in step.)
func (l *AnalyzerLog) HandleEvent(e tlsmon.Event) {
	switch ev := e.(type) {
	case *tlsmon.AnalyzerConfirmation:
		if ev.Conn == nil {
			return
		}
		st := l.state[ev.Conn]
		bit := l.nameBit(ev.Analyzer, true)
		if st.confirmed&bit != 0 {
			return
		}
		more := l.more[ev.Conn]
		if bit == 0 {
			for _, a := range more {
				if a.name == ev.Analyzer {
					return
				}
			}
		}
		if bits.OnesCount64(st.confirmed)+len(more) >= maxAnalyzersPerConn {
			return
		}
		if bit != 0 {
			st.confirmed |= bit
			l.state[ev.Conn] = st
			return
		}
		if l.more == nil {
			l.more = map[*tlsmon.Conn][]analyzerState{}
		}
		l.more[ev.Conn] = append(more, analyzerState{name: ev.Analyzer})
	case *tlsmon.AnalyzerViolation:
		if ev.Conn == nil || ev.Ignored {
			return
		}
		if bit := l.nameBit(ev.Analyzer, false); bit != 0 {
			st, ok := l.state[ev.Conn]
			if ok && st.confirmed&bit != 0 && st.failed&bit == 0 {
				st.failed |= bit
				l.state[ev.Conn] = st
				l.write(ev)
			}
			return
		}
		st := l.more[ev.Conn]
		for i := range st {
			if st[i].name == ev.Analyzer && !st[i].failed {
				st[i].failed = true
				l.write(ev)
			}
		}
	case *tlsmon.ConnectionStateRemove:
		delete(l.state, ev.Conn)
		if l.more != nil {
			delete(l.more, ev.Conn)
		}
	}
}

func (l *AnalyzerLog) write(ev *tlsmon.AnalyzerViolation) {
	c := ev.Conn
	row := &l.row
	row.begin()
	row.time(ev.Ts)
	row.str("protocol")
	row.str(ev.Analyzer)
	row.str(c.UID)
	row.unset()
	row.endpoints(&c.ID)
	row.proto(c.ID.Proto)
	row.str(ev.Reason)
	if ev.Data != nil {
		d := ev.Data
		if len(d) > FailureDataMax {
			d = d[:FailureDataMax]
		}
		row.strBytes(d)
	} else {
		row.unset()
	}
	if err := row.end(); err != nil && l.err == nil {
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
