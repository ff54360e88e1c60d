package fingerprint

import (
	tlsmon "github.com/tlsmon/tlsmon"
	"github.com/tlsmon/tlsmon/zeeklog"
)

// Columns is a zeeklog.ColumnExtension that adds the columns Zeek's fingerprint packages add
// to ssl.log, in their load order: ja3 and ja3s (salesforce/ja3's ja3.zeek and ja3s.zeek,
// &optional: unset without a hello) then ja4 (FoxIO's zeek/ja4, &default="": an empty
// string without a ClientHello).
type Columns struct {
	t *Tracker
}

// NewColumns returns the ssl.log column extension, with its own Tracker.
func NewColumns() *Columns {
	t := New(Options{})
	t.manualForget = true
	return &Columns{t: t}
}

// Tracker returns the Tracker behind the columns (its results stay until Forget).
func (x *Columns) Tracker() *Tracker { return x.t }

var sslColumns = []zeeklog.Column{{Name: "ja3", Type: "string"}, {Name: "ja3s", Type: "string"}, {Name: "ja4", Type: "string"}}

// Columns returns ja3, ja3s and ja4.
func (x *Columns) Columns() []zeeklog.Column { return sslColumns }

// HandleEvent hands e to the Tracker.
func (x *Columns) HandleEvent(e tlsmon.Event) { x.t.HandleEvent(e) }

// AppendValues appends c's ja3, ja3s and ja4.
func (x *Columns) AppendValues(dst []zeeklog.Value, c *tlsmon.Conn) []zeeklog.Value {
	r, ok := x.t.Lookup(c)
	if !ok {
		return append(dst, zeeklog.Unset(), zeeklog.Unset(), zeeklog.String(""))
	}
	ja3, ja3s, ja4 := zeeklog.Unset(), zeeklog.Unset(), zeeklog.String("")
	if r.ClientHellos > 0 {
		ja3, ja4 = zeeklog.String(r.JA3.String()), zeeklog.String(r.JA4.String())
	}
	if r.ServerHellos > 0 {
		ja3s = zeeklog.String(r.JA3S.String())
	}
	return append(dst, ja3, ja3s, ja4)
}

// Forget drops c's state.
func (x *Columns) Forget(c *tlsmon.Conn) { x.t.Forget(c) }

var _ zeeklog.ColumnExtension = (*Columns)(nil)
