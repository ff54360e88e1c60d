package zeeklog

import tlsmon "github.com/tlsmon/tlsmon"

// A ColumnExtension adds columns to a log, as a Zeek script that adds &log fields to the
// log's Info record does (the ja3/ja4 packages, ssl-log-ext, validate-certs, community-id
// logging, ...). Its columns follow the log's default columns, and those of the
// extensions before it, in the order the extensions are given (Zeek's load order).
//
// An extension reads the event stream itself: the builder it extends hands it every event,
// just before the builder handles it, so that when a row is written the extension has seen
// every event of the connection up to and including the one that writes the row.
type ColumnExtension interface {
	tlsmon.Handler
	// Columns are the extension's columns; the same slice on every call.
	Columns() []Column
	// AppendValues appends the row's values for connection c, one per column (Unset for
	// Zeek's "-"), and returns the extended slice.
	AppendValues(dst []Value, c *tlsmon.Conn) []Value
	// Forget is called once the builder is done with c (after c's ConnectionStateRemove):
	// the extension may drop what it keeps for c.
	Forget(c *tlsmon.Conn)
}

// A WeirdRaiser is a ColumnExtension, or the Builder of an extra log, that reports weirds
// (the resource caps it hits): NewSet hands it the set's weird.log, if the set has one.
type WeirdRaiser interface {
	SetWeirdEvents(tlsmon.Handler)
}

// Extensions are the column extensions of each log, and the logs added beside tlsmon's
// own (notice.log, known_certs.log, ...), for LogsWith.
type Extensions struct {
	SSL  []ColumnExtension
	Conn []ColumnExtension
	Logs []LogSpec // extra logs, after tlsmon's own in the event order
}

// extended is the state a builder keeps for its extensions.
type extended struct {
	exts []ColumnExtension
	h    tlsmon.Handler // the extensions' handlers: the extension itself when there is one
	vals []Value        // reused between rows
}

func newExtended(exts []ColumnExtension) extended {
	x := extended{exts: exts}
	switch len(exts) {
	case 0:
	case 1:
		x.h = exts[0] // one call per event, not a loop (most runs load one or two)
	default:
		hs := make(tlsmon.Handlers, len(exts))
		for i, ext := range exts {
			hs[i] = ext
		}
		x.h = hs
	}
	return x
}

// extColumns returns base followed by the columns of exts.
func extColumns(base []Column, exts []ColumnExtension) []Column {
	if len(exts) == 0 {
		return base
	}
	cols := append([]Column(nil), base...)
	for _, x := range exts {
		cols = append(cols, x.Columns()...)
	}
	return cols
}

// write appends the extensions' values for c to row.
func (x *extended) write(row *rowBuf, c *tlsmon.Conn) {
	if len(x.exts) == 0 {
		return
	}
	x.vals = x.vals[:0]
	for _, ext := range x.exts {
		x.vals = ext.AppendValues(x.vals, c)
	}
	for _, v := range x.vals {
		row.value(v)
	}
	clear(x.vals) // drop references to the values' strings
}

// forget tells every extension that c is done.
func (x *extended) forget(c *tlsmon.Conn) {
	for _, ext := range x.exts {
		ext.Forget(c)
	}
}
