package fingerprint

import (
	tlsmon "github.com/tlsmon/tlsmon"
	"github.com/tlsmon/tlsmon/zeeklog"
)

// Columns is a zeeklog.ColumnExtension that adds the columns Zeek's fingerprint packages add
// to ssl.log, in their load order: ja3 and ja3s (salesforce/ja3's ja3.zeek and ja3s.zeek,
// &optional: unset without a hello) then ja4 (FoxIO's zeek/ja4, &default="": an empty
// string without a ClientHello).
//
// Its Tracker (whose HandleEvent, Lookup and Forget it has) keeps a connection's result
// until the log builder calls Forget, after the connection's row is written.
type Columns struct {
	Tracker // first: the extension's HandleEvent is the Tracker's, without an extra call
}

// NewColumns returns the ssl.log column extension, with its own Tracker.
func NewColumns() *Columns {
	x := &Columns{Tracker: *New(Options{})}
	x.manualForget = true
	return x
}

// ShareCache bounds the Tracker's fingerprint caches to 1/n of their size: for the
// extensions of a sharded run's shards, whose caches together then hold what one holds. A
// miss costs a hash, never a different value.
func (x *Columns) ShareCache(n int) { x.maxCached = max(maxCached/max(n, 1), 1) }

var sslColumns = []zeeklog.Column{{Name: "ja3", Type: "string"}, {Name: "ja3s", Type: "string"}, {Name: "ja4", Type: "string"}}

// Columns returns ja3, ja3s and ja4.
func (x *Columns) Columns() []zeeklog.Column { return sslColumns }

// AppendValues appends c's ja3, ja3s and ja4.
func (x *Columns) AppendValues(dst []zeeklog.Value, c *tlsmon.Conn) []zeeklog.Value {
	r, ok := x.Lookup(c)
	if !ok {
		return append(dst, zeeklog.Unset(), zeeklog.Unset(), zeeklog.String(""))
	}
	ja4, ja3, ja3s := r.Strings()
	vJA3, vJA3S := zeeklog.Unset(), zeeklog.Unset()
	if r.ClientHellos > 0 {
		vJA3 = zeeklog.PlainString(ja3)
	}
	if r.ServerHellos > 0 {
		vJA3S = zeeklog.PlainString(ja3s)
	}
	return append(dst, vJA3, vJA3S, zeeklog.PlainString(ja4))
}

var _ zeeklog.ColumnExtension = (*Columns)(nil)
