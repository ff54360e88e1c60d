package zeeklog

import (
	"errors"
	"slices"
	"strings"

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
func Logs() []LogSpec { return LogsWith(Extensions{}) }

// LogsWith returns the logs of Logs with the columns of ext added to ssl.log and conn.log,
// followed by ext's extra logs.
func LogsWith(ext Extensions) []LogSpec {
	specs := []LogSpec{
		{Path: "x509", Columns: X509Columns, New: func(w Writer) Builder { return NewX509Log(w) }},
		{Path: "ssl", Columns: extColumns(SSLColumns, ext.SSL), New: func(w Writer) Builder { return NewSSLLogExt(w, ext.SSL) }},
		{Path: "conn", Columns: extColumns(ConnColumns, ext.Conn), New: func(w Writer) Builder { return NewConnLogExt(w, ext.Conn) }},
		{Path: "analyzer", Columns: AnalyzerColumns, New: func(w Writer) Builder { return NewAnalyzerLog(w) }},
		{Path: "weird", Columns: WeirdColumns, New: func(w Writer) Builder { return NewWeirdLog(w) }},
	}
	return append(specs, ext.Logs...)
}

// Set is a group of log builders fed by one event stream. The weirds the ssl and x509
// builders raise themselves (as Zeek's scripts and logging framework do) go to the set's
// weird.log, if it has one.
type Set struct {
	builders []Builder
	byClass  [numClasses][]tlsmon.Handler // the builders that read each class, in spec order (then Observe's)
	certs    *certCache                   // shared by the set's ssl and x509 builders
	// sslOnly is the ssl.log builder when it alone reads evOther, the SSL events: the
	// bulk of the stream, handed to it by a direct call; sslDirect is sslOnly when it has
	// no column extensions, so that its own type switch sorts the SSL events out first
	sslOnly, sslDirect *SSLLog
}

// eventClass sorts events by the builders that consume them, so that Set hands an event
// only to those: on perfmix, 1.1 M events, almost all of them SSL events that only
// ssl.log reads, instead of every event to all five builders.
type eventClass uint8

const (
	evCert     eventClass = iota // Certificate
	evRemove                     // ConnectionStateRemove
	evAnalyzer                   // AnalyzerConfirmation, AnalyzerViolation
	evWeird                      // Weird
	evOther                      // every other event (the SSL events...)
	numClasses
)

// classSet is a set of event classes.
type classSet uint8

const evAll = classSet(1)<<numClasses - 1

func classes(cs ...eventClass) classSet {
	var s classSet
	for _, c := range cs {
		s |= 1 << c
	}
	return s
}

// consumes returns the events b reads: those its HandleEvent does not ignore, for the
// builders of this package; every event for the others.
func consumes(b Builder) classSet {
	switch b := b.(type) {
	case *X509Log:
		return classes(evCert)
	case *SSLLog:
		if len(b.ext.exts) > 0 {
			return evAll // its extensions read every event
		}
		return classes(evCert, evRemove, evAnalyzer, evOther)
	case *ConnLog:
		if len(b.ext.exts) > 0 {
			return evAll
		}
		return classes(evRemove)
	case *AnalyzerLog:
		return classes(evAnalyzer, evRemove)
	case *WeirdLog:
		return classes(evWeird)
	}
	return evAll
}

// NewSet builds a log for each spec, writing to the writer open returns for it.
func NewSet(specs []LogSpec, open func(LogSpec) Writer) *Set {
	s := &Set{builders: make([]Builder, len(specs))}
	var weird *WeirdLog
	for i, spec := range specs {
		b := spec.New(open(spec))
		s.builders[i] = b
		for c := range numClasses {
			if consumes(b)&(1<<c) != 0 {
				s.byClass[c] = append(s.byClass[c], b)
			}
		}
		if w, ok := b.(*WeirdLog); ok {
			weird = w
		}
	}
	if o := s.byClass[evOther]; len(o) == 1 {
		s.sslOnly, _ = o[0].(*SSLLog)
		if s.sslOnly != nil && len(s.sslOnly.ext.exts) == 0 {
			s.sslDirect = s.sslOnly
			for c := range evOther { // HandleEvent offers it every event first
				if i := slices.Index(s.byClass[c], tlsmon.Handler(s.sslDirect)); i >= 0 {
					s.byClass[c][i] = (*sslRest)(s.sslDirect)
				}
			}
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
		s.SetWeirds(weird)
	}
	return s
}

// setExtWeirds gives weird to the WeirdRaisers among b and its column extensions.
func setExtWeirds(b Builder, weird tlsmon.Handler) {
	var exts []ColumnExtension
	switch b := b.(type) {
	case *SSLLog:
		exts = b.ext.exts
	case *ConnLog:
		exts = b.ext.exts
	}
	for _, x := range exts {
		if r, ok := x.(WeirdRaiser); ok {
			r.SetWeirdEvents(weird)
		}
	}
	if r, ok := b.(WeirdRaiser); ok {
		r.SetWeirdEvents(weird)
	}
}

// HandleEvent hands the event to every builder that reads it, in the order of the specs.
func (s *Set) HandleEvent(e tlsmon.Event) {
	if s.sslDirect != nil && s.sslDirect.sslEvent(e) {
		return
	}
	class := evOther
	switch ev := e.(type) {
	case *tlsmon.Certificate:
		s.certs.begin(ev)
		s.dispatch(e, evCert)
		s.certs.end()
		return
	case *tlsmon.ConnectionStateRemove:
		class = evRemove
	case *tlsmon.AnalyzerConfirmation, *tlsmon.AnalyzerViolation:
		class = evAnalyzer
	case *tlsmon.Weird:
		class = evWeird
	default:
		if s.sslDirect != nil {
			return // the lone reader of SSL events has seen it (and does not read it)
		}
		if s.sslOnly != nil {
			s.sslOnly.HandleEvent(e)
			return
		}
	}
	s.dispatch(e, class)
}

// ReadsEvent reports whether a builder of the set may read the event of that name, for
// ssl.Config.Events. Of the SSL events ("ssl_..."), the ssl.log builder without extensions
// reads those of sslLogReads, any other builder reading them (one with extensions, one
// this package does not know) every one; the other builders of the package, and the
// handlers Observe adds, read none. Other events: true.
func (s *Set) ReadsEvent(name string) bool {
	if !strings.HasPrefix(name, "ssl_") {
		return true
	}
	for _, b := range s.byClass[evOther] {
		if l, ok := b.(*SSLLog); !ok || len(l.ext.exts) > 0 || sslLogReads[name] {
			return true
		}
	}
	return false
}

// EventArgs reports, for ssl.Config.EventArgs, the values of its key argument read of the
// event of that name, and true, or false when every value may be read: the values of
// sslLogReadsArgs when the ssl.log builder without extensions is the one builder reading
// SSL events (ReadsEvent), false for any other reader.
func (s *Set) EventArgs(name string) ([]uint64, bool) {
	if !strings.HasPrefix(name, "ssl_") {
		return nil, false
	}
	for _, b := range s.byClass[evOther] {
		if l, ok := b.(*SSLLog); !ok || len(l.ext.exts) > 0 {
			return nil, false
		}
	}
	vals, ok := sslLogReadsArgs[name]
	return vals, ok
}

// Observe has the set hand h, after its builders, the Certificate, AnalyzerConfirmation and
// AnalyzerViolation events: what a run's summary counts, sorted by the set's one type switch.
func (s *Set) Observe(h tlsmon.Handler) {
	for _, c := range []eventClass{evCert, evAnalyzer} {
		s.byClass[c] = append(s.byClass[c], h)
	}
}

func (s *Set) dispatch(e tlsmon.Event, class eventClass) {
	for _, b := range s.byClass[class] {
		b.HandleEvent(e)
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
