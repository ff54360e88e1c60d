package zeeklog

import (
	"errors"

	tlsmon "github.com/tlsmon/tlsmon"
)

// Builder turns events into the rows of one log.
type Builder interface {
	tlsmon.Handler
	// Close writes what is still pending and closes the log's writer (closeTs is printed
	// in the TSV #close line).
	Close(closeTs int64) error
}

// LogSpec describes one log file: Zeek's path (the file name without ".log"), its
// columns, and a constructor of its builder.
type LogSpec struct {
	Path    string
	Columns []Column
	New     func(Writer) Builder
}

// Logs returns the logs tlsmon writes, in the order their builders receive each event:
// x509 and ssl before conn, so that a connection's rows are complete when its conn.log
// row is written.
func Logs() []LogSpec {
	return []LogSpec{
		{Path: "x509", Columns: X509Columns, New: func(w Writer) Builder { return NewX509Log(w) }},
		{Path: "ssl", Columns: SSLColumns, New: func(w Writer) Builder { return NewSSLLog(w) }},
		{Path: "conn", Columns: ConnColumns, New: func(w Writer) Builder { return NewConnLog(w) }},
		{Path: "analyzer", Columns: AnalyzerColumns, New: func(w Writer) Builder { return NewAnalyzerLog(w) }},
		{Path: "weird", Columns: WeirdColumns, New: func(w Writer) Builder { return NewWeirdLog(w) }},
	}
}

// Set is a group of log builders fed by one event stream. The weirds the ssl and x509
// builders raise themselves (as Zeek's scripts and logging framework do) go to the set's
// weird.log, if it has one.
type Set struct {
	builders []Builder
	certs    *certCache // shared by the set's ssl and x509 builders
}

// NewSet builds a log for each spec, writing to the writer open returns for it.
func NewSet(specs []LogSpec, open func(LogSpec) Writer) *Set {
	s := &Set{builders: make([]Builder, len(specs))}
	var weird *WeirdLog
	for i, spec := range specs {
		s.builders[i] = spec.New(open(spec))
		if w, ok := s.builders[i].(*WeirdLog); ok {
			weird = w
		}
	}
	s.certs = newCertCache()
	for _, b := range s.builders {
		switch b := b.(type) {
		case *SSLLog:
			b.certs = s.certs
		case *X509Log:
			b.certs = s.certs
		}
	}
	if weird != nil {
		for _, b := range s.builders {
			switch b := b.(type) {
			case *SSLLog:
				b.WeirdEvents = weird
			case *X509Log:
				b.Weirds = weird
			}
		}
	}
	return s
}

// HandleEvent hands the event to every builder, in the order of the specs.
func (s *Set) HandleEvent(e tlsmon.Event) {
	ev, isCert := e.(*tlsmon.Certificate)
	if isCert {
		s.certs.begin(ev)
	}
	for _, b := range s.builders {
		b.HandleEvent(e)
	}
	if isCert {
		s.certs.end()
	}
}

// Close closes every builder and returns their errors joined.
func (s *Set) Close(closeTs int64) error {
	var errs []error
	for _, b := range s.builders {
		errs = append(errs, b.Close(closeTs))
	}
	return errors.Join(errs...)
}
