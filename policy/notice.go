package policy

import (
	"net/netip"

	tlsmon "github.com/tlsmon/tlsmon"
	"github.com/tlsmon/tlsmon/zeeklog"
)

// NoticeColumns are notice.log's columns (Zeek's Notice::Info &log fields).
var NoticeColumns = []zeeklog.Column{
	{Name: "ts", Type: "time"}, {Name: "uid", Type: "string"}, {Name: "id.orig_h", Type: "addr"}, {Name: "id.orig_p", Type: "port"},
	{Name: "id.resp_h", Type: "addr"}, {Name: "id.resp_p", Type: "port"}, {Name: "fuid", Type: "string"}, {Name: "file_mime_type", Type: "string"},
	{Name: "file_desc", Type: "string"}, {Name: "proto", Type: "enum"}, {Name: "note", Type: "enum"}, {Name: "msg", Type: "string"}, {Name: "sub", Type: "string"},
	{Name: "src", Type: "addr"}, {Name: "dst", Type: "addr"}, {Name: "p", Type: "port"}, {Name: "n", Type: "count"}, {Name: "peer_descr", Type: "string"},
	{Name: "actions", Type: "set[enum]"}, {Name: "email_dest", Type: "set[string]"}, {Name: "suppress_for", Type: "interval"},
}

// Suppression intervals of the scripts' notices (microseconds).
const (
	defaultSuppression = 3600 * 1e6  // Notice::default_suppression_interval
	oneDay             = 86400 * 1e6 // the scripts' $suppress_for=1day
)

// A Notice is one notice raised by a script on a connection, as Zeek's NOTICE receives it.
type Notice struct {
	Ts         int64
	Conn       *tlsmon.Conn
	Note       string // "SSL::Invalid_Server_Cert"...
	Msg        string
	Sub        string // optional
	FileDesc   string // optional
	N          uint64
	HasN       bool
	Identifier string // suppression key; "" for never suppressed
	// SuppressFor is the suppression interval in microseconds; 0 means Zeek's default (1 hr).
	SuppressFor int64
}

type suppressKey struct{ note, identifier string }

// defaultMaxSuppressed bounds the suppression table (Config.MaxSuppressed; entries whose
// interval has passed are dropped first); beyond it a notice is logged and not remembered
// (counted in Site.Dropped).
const defaultMaxSuppressed = 1 << 18

// notices is Zeek's notice framework, as far as logging goes: NOTICE drops a notice whose
// (note, identifier) is being suppressed, else logs it and suppresses its identifier for
// its interval from its ts (Zeek's Notice::suppressing table).
type notices struct {
	w       zeeklog.Writer
	until   map[suppressKey]int64
	vals    []zeeklog.Value
	err     error
	sweepAt int
	dropped *uint64
	weirds  tlsmon.Handler
	max     int
}

func newNotices(dropped *uint64, max int) *notices {
	return &notices{until: map[suppressKey]int64{}, sweepAt: 1024, dropped: dropped, max: max}
}

var logAction = []string{"Notice::ACTION_LOG"}

// raise logs n unless it is suppressed.
func (ns *notices) raise(n *Notice) {
	supp := n.SuppressFor
	if supp == 0 {
		supp = defaultSuppression
	}
	if n.Identifier != "" {
		k := suppressKey{n.Note, n.Identifier}
		if until, ok := ns.until[k]; ok && n.Ts < until {
			return
		}
		ns.remember(k, n.Ts+supp, n.Ts, n.Conn)
	}
	if ns.w == nil {
		return // notice.log is not written (no log set built yet)
	}
	v := ns.vals[:0]
	v = append(v, zeeklog.Time(n.Ts))
	c := n.Conn
	var id tlsmon.ConnID
	if c != nil {
		id = c.ID
		v = append(v, zeeklog.String(c.UID), zeeklog.Addr(id.OrigH), zeeklog.Port(id.OrigP),
			zeeklog.Addr(id.RespH), zeeklog.Port(id.RespP))
	} else {
		v = append(v, zeeklog.Unset(), zeeklog.Unset(), zeeklog.Unset(), zeeklog.Unset(), zeeklog.Unset())
	}
	v = append(v, zeeklog.Unset(), zeeklog.Unset()) // fuid, file_mime_type: tlsmon has no file ids
	v = append(v, optString(n.FileDesc))
	if c != nil {
		v = append(v, zeeklog.Enum(id.Proto.String()))
	} else {
		v = append(v, zeeklog.Unset())
	}
	v = append(v, zeeklog.Enum(n.Note), optString(n.Msg), optString(n.Sub))
	if c != nil {
		v = append(v, addrOf(id.OrigH), addrOf(id.RespH), zeeklog.Port(id.RespP))
	} else {
		v = append(v, zeeklog.Unset(), zeeklog.Unset(), zeeklog.Unset())
	}
	if n.HasN {
		v = append(v, zeeklog.Count(n.N))
	} else {
		v = append(v, zeeklog.Unset())
	}
	v = append(v, zeeklog.Unset(), zeeklog.Strings(logAction), zeeklog.Strings(nil), zeeklog.Interval(supp))
	ns.vals = v
	if err := ns.w.Write(v); err != nil && ns.err == nil {
		ns.err = err
	}
	clear(ns.vals)
}

// remember suppresses k until the given time, dropping expired entries when the table grows.
func (ns *notices) remember(k suppressKey, until, now int64, c *tlsmon.Conn) {
	if len(ns.until) >= ns.sweepAt {
		for key, u := range ns.until {
			if u <= now {
				delete(ns.until, key)
			}
		}
		ns.sweepAt = max(1024, 2*len(ns.until))
	}
	if len(ns.until) >= ns.max {
		*ns.dropped++
		capWeird(ns.weirds, now, c, "policy_notice_suppression_cap")
		return
	}
	ns.until[k] = until
}

func optString(s string) zeeklog.Value {
	if s == "" {
		return zeeklog.Unset()
	}
	return zeeklog.String(s)
}

func addrOf(a netip.Addr) zeeklog.Value { return zeeklog.Addr(a) }

// noticeLog is notice.log's builder: the rows come from the scripts (Site.raise), not from
// events, so it reads none.
type noticeLog struct{ ns *notices }

func (*noticeLog) HandleEvent(tlsmon.Event) {}

// SetWeirdEvents receives the log set's weird.log (zeeklog.WeirdRaiser).
func (l *noticeLog) SetWeirdEvents(h tlsmon.Handler) { l.ns.weirds = h }

// capWeird reports a cap hit of the Site's tables in weird.log (source "tlsmon").
func capWeird(h tlsmon.Handler, ts int64, c *tlsmon.Conn, name string) {
	if h != nil {
		h.HandleEvent(&tlsmon.Weird{Meta: tlsmon.Meta{Ts: ts, Conn: c}, WeirdName: name, Source: "tlsmon"})
	}
}

func (l *noticeLog) Close(ts int64) error {
	err := l.ns.err
	if cerr := l.ns.w.Close(ts); err == nil {
		err = cerr
	}
	return err
}
