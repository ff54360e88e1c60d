package zeeklog

import (
	"net/netip"

	tlsmon "github.com/tlsmon/tlsmon"
)

// WeirdColumns are weird.log's default columns.
var WeirdColumns = []Column{
	{"ts", "time"}, {"uid", "string"}, {"id.orig_h", "addr"}, {"id.orig_p", "port"},
	{"id.resp_h", "addr"}, {"id.resp_p", "port"}, {"name", "string"}, {"addl", "string"},
	{"notice", "bool"}, {"peer", "string"}, {"source", "string"},
}

// Zeek's weird de-duplication windows and the cap on remembered weirds.
const (
	weirdIgnoreFor   = 10 * 60 * 1e6   // Weird::weird_ignore &create_expire=10min, µs
	weirdLoggedFor   = 24 * 3600 * 1e6 // Weird::did_log &create_expire=1day, µs
	weirdPeer        = "zeek"          // peer_description of a standalone Zeek
	MaxWeirdsTracked = 1 << 16         // (name, identifier) pairs remembered; beyond, old ones are forgotten
)

type weirdAction uint8

const (
	weirdLog weirdAction = iota
	weirdIgnore
	weirdLogPerConn
	weirdLogPerOrig
	weirdLogOnce
	weirdNotice
	weirdNoticePerOrig
)

// weirdActions are the entries of Zeek's Weird::actions for weirds the pipeline can raise
// (every other name takes the default, ACTION_LOG).
var weirdActions = map[string]weirdAction{
	"unsolicited_SYN_response":      weirdIgnore,
	"FIN_after_reset":               weirdIgnore,
	"spontaneous_FIN":               weirdIgnore,
	"spontaneous_RST":               weirdIgnore,
	"bad_ICMP_checksum":             weirdLogPerOrig,
	"bad_TCP_checksum":              weirdLogPerOrig,
	"bad_UDP_checksum":              weirdLogPerOrig,
	"bad_IP_checksum":               weirdLogPerOrig,
	"connection_originator_SYN_ack": weirdLogPerOrig,
	"SYN_with_data":                 weirdLogPerOrig,
	"UDP_datagram_length_mismatch":  weirdLogPerOrig,
	"excessively_small_fragment":    weirdLogPerOrig,
	"fragment_inconsistency":        weirdLogPerOrig,
	"fragment_overlap":              weirdLogPerOrig,
	"fragment_size_inconsistency":   weirdLogPerOrig,
	"simultaneous_open":             weirdLogPerConn,
	"FIN_storm":                     weirdNoticePerOrig,
	"SYN_after_partial":             weirdNoticePerOrig,
}

// weirdRepeatsLogged are Weird::weird_do_not_ignore_repeats.
var weirdRepeatsLogged = map[string]bool{
	"bad_IP_checksum": true, "bad_TCP_checksum": true, "bad_UDP_checksum": true, "bad_ICMP_checksum": true,
}

// weirdKey identifies a weird for de-duplication: its name and Zeek's identifier, the
// connection's id_string (both addresses and ports, not the protocol), the originator
// address alone, or nothing.
type weirdKey struct {
	name         string
	orig, resp   netip.Addr
	origP, respP uint16
	notice       bool // did_notice is a set of its own
}

// WeirdLog builds weird.log from Weird events as Zeek's weird framework does: a weird
// already logged for the same connection 4-tuple (or, for weirds without a connection,
// the same name) within ten minutes is not logged again, and the per-originator and
// per-connection actions of Weird::actions log a weird once a day per originator or
// connection. Weirds of tlsmon's own resource caps (source "tlsmon") are logged too.
type WeirdLog struct {
	w       Writer
	ignore  map[weirdKey]int64 // weird_ignore: creation time
	logged  map[weirdKey]int64 // did_log / did_notice: creation time
	vals    []Value
	err     error
	Dropped uint64 // weirds suppressed by the de-duplication
}

// NewWeirdLog returns a weird.log builder writing to w.
func NewWeirdLog(w Writer) *WeirdLog {
	return &WeirdLog{w: w, ignore: map[weirdKey]int64{}, logged: map[weirdKey]int64{}, vals: make([]Value, len(WeirdColumns))}
}

// HandleEvent consumes Weird events and ignores every other event.
// (Set hands it only the events consumes in logs.go lists: keep the two in step.)
func (l *WeirdLog) HandleEvent(e tlsmon.Event) {
	ev, ok := e.(*tlsmon.Weird)
	if !ok {
		return
	}
	action := weirdActions[ev.WeirdName]
	if action == weirdIgnore {
		return
	}
	k := weirdKey{name: ev.WeirdName}
	if c := ev.Conn; c != nil {
		k.orig, k.resp, k.origP, k.respP = c.ID.OrigH, c.ID.RespH, c.ID.OrigP, c.ID.RespP
	}
	if t, ok := l.ignore[k]; ok && ev.Ts-t < weirdIgnoreFor {
		l.Dropped++
		return
	}
	notice := action == weirdNotice || action == weirdNoticePerOrig
	if action != weirdLog && action != weirdNotice {
		lk := k
		lk.notice = notice
		switch action {
		case weirdLogOnce:
			lk = weirdKey{name: k.name}
		case weirdLogPerOrig, weirdNoticePerOrig:
			lk = weirdKey{name: k.name, orig: k.orig, notice: notice}
		}
		if t, ok := l.logged[lk]; ok && ev.Ts-t < weirdLoggedFor {
			l.Dropped++
			return
		}
		remember(l.logged, lk, ev.Ts)
	}
	if !weirdRepeatsLogged[ev.WeirdName] {
		remember(l.ignore, k, ev.Ts)
	}
	l.write(ev, notice)
}

// remember records k at time ts, forgetting every entry when the map is full (a
// forgotten entry only means a repeated weird may be logged again).
func remember(m map[weirdKey]int64, k weirdKey, ts int64) {
	if _, ok := m[k]; !ok && len(m) >= MaxWeirdsTracked {
		clear(m)
	}
	m[k] = ts
}

func (l *WeirdLog) write(ev *tlsmon.Weird, notice bool) {
	v := l.vals
	for i := range v {
		v[i] = Value{}
	}
	v[0] = Time(ev.Ts)
	if c := ev.Conn; c != nil {
		v[1] = String(c.UID)
		v[2], v[3] = Addr(c.ID.OrigH), Port(c.ID.OrigP)
		v[4], v[5] = Addr(c.ID.RespH), Port(c.ID.RespP)
	}
	v[6] = String(ev.WeirdName)
	if ev.Addl != "" {
		v[7] = String(ev.Addl)
	}
	v[8] = Bool(notice)
	v[9] = String(weirdPeer)
	if ev.Source != "" {
		v[10] = String(ev.Source)
	}
	if err := l.w.Write(v); err != nil && l.err == nil {
		l.err = err
	}
}

// Close closes the writer and returns the first write error.
func (l *WeirdLog) Close(ts int64) error {
	if err := l.w.Close(ts); err != nil && l.err == nil {
		l.err = err
	}
	return l.err
}
