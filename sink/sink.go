// Package sink sends log rows somewhere other than log files: to a stream of JSON lines
// (standard output, for jq and log shippers) or to Kafka topics. It sits beside the file
// writers of package zeeklog: a sink is a zeeklog.Writer that renders each row exactly as
// the JSON log files do and hands the bytes, with the log's name and the row's key, to a
// destination (Dest). The log builders do not know where their rows go.
package sink

import (
	"github.com/tlsmon/tlsmon"
	"github.com/tlsmon/tlsmon/zeeklog"
)

// Row is one log row on its way to a destination.
type Row struct {
	// Path is the log's name as Zeek's _path: "ssl", "x509", "conn", "analyzer", "weird".
	Path string
	// Key groups the rows that belong together: the connection's uid for the logs that
	// have one (ssl, conn, analyzer and most of weird); for x509, which has no uid, the
	// certificate's fingerprint (ssl.log refers to certificates by it); "" for a row with
	// neither (a weird not tied to a connection).
	Key string
	// JSON is the row exactly as a JSON log file holds it (Zeek's LogAscii::use_json=T),
	// without the newline. It is valid only during Put.
	JSON []byte
}

// Dest receives rows. Put is called from one goroutine at a time.
type Dest interface {
	// Put delivers or queues one row; an error stops the log that wrote it.
	Put(Row) error
	// Close delivers what is queued and releases the destination. It returns a *LossError
	// when rows were not delivered.
	Close() error
}

// Writers returns the constructor of the writers that zeeklog.NewSet asks for: every log
// of the set writes its rows to d.
func Writers(d Dest) func(zeeklog.LogSpec) zeeklog.Writer {
	return func(spec zeeklog.LogSpec) zeeklog.Writer { return newRowWriter(d, spec) }
}

// rowWriter renders a log's rows with zeeklog's JSON writer into a buffer and puts them.
type rowWriter struct {
	dest   Dest
	path   string
	keyCol int // index of the key column, -1 if none
	json   zeeklog.Writer
	buf    lineBuffer
}

func newRowWriter(d Dest, spec zeeklog.LogSpec) *rowWriter {
	w := &rowWriter{dest: d, path: spec.Path, keyCol: keyColumn(spec.Columns)}
	w.json = zeeklog.NewJSONWriter(&w.buf, spec.Columns)
	return w
}

// keyColumn picks the column whose value keys a row: uid, else fingerprint.
func keyColumn(cols []zeeklog.Column) int {
	fp := -1
	for i, c := range cols {
		switch c.Name {
		case "uid":
			return i
		case "fingerprint":
			fp = i
		}
	}
	return fp
}

// Write implements zeeklog.Writer.
func (w *rowWriter) Write(vals []zeeklog.Value) error {
	w.buf.b = w.buf.b[:0]
	if err := w.json.Write(vals); err != nil {
		return err
	}
	r := Row{Path: w.path, JSON: w.buf.b}
	if n := len(r.JSON); n > 0 && r.JSON[n-1] == '\n' {
		r.JSON = r.JSON[:n-1]
	}
	if w.keyCol >= 0 && w.keyCol < len(vals) {
		r.Key = vals[w.keyCol].Str()
	}
	return w.dest.Put(r)
}

// Close implements zeeklog.Writer; the destination is closed by its owner, once for all logs.
func (w *rowWriter) Close(int64) error { return nil }

// lineBuffer collects what one Write of the JSON writer produces.
type lineBuffer struct{ b []byte }

func (l *lineBuffer) Write(p []byte) (int, error) {
	l.b = append(l.b, p...)
	return len(p), nil
}

// Clock is Zeek's network_time as the log writers see it: the timestamp of the event being
// handled when a row is written. Put it in front of the log builders (tlsmon.Handlers{clock,
// set}) so that it sees every event first. Rows written at the end of a run, after the
// last event, carry the last event's time, as Zeek's rows written at termination carry the
// last packet's.
type Clock struct{ now int64 }

// HandleEvent implements tlsmon.Handler.
func (c *Clock) HandleEvent(e tlsmon.Event) {
	if ts := e.EventMeta().Ts; ts > c.now {
		c.now = ts
	}
}

// Advance moves the clock to ts (µs) if later: live capture's network time follows the wall
// clock between packets, and rows written then (stats.log) carry it.
func (c *Clock) Advance(ts int64) { c.now = max(c.now, ts) }

// Now returns the network time in microseconds since the Unix epoch (0 before any event).
func (c *Clock) Now() int64 { return c.now }
