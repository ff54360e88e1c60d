package zeeklog

import (
	"strings"

	tlsmon "github.com/tlsmon/tlsmon"
)

// ConnColumns are conn.log's default columns.
var ConnColumns = []Column{
	{"ts", "time"}, {"uid", "string"}, {"id.orig_h", "addr"}, {"id.orig_p", "port"},
	{"id.resp_h", "addr"}, {"id.resp_p", "port"}, {"proto", "enum"}, {"service", "string"},
	{"duration", "interval"}, {"orig_bytes", "count"}, {"resp_bytes", "count"},
	{"conn_state", "string"}, {"local_orig", "bool"}, {"local_resp", "bool"},
	{"missed_bytes", "count"}, {"history", "string"}, {"orig_pkts", "count"},
	{"orig_ip_bytes", "count"}, {"resp_pkts", "count"}, {"resp_ip_bytes", "count"},
	{"tunnel_parents", "set[string]"}, {"ip_proto", "count"},
}

// ConnLog builds conn.log from ConnectionStateRemove events, one row per connection in
// removal order, as Zeek's conn scripts fill it.
type ConnLog struct {
	w    Writer
	vals []Value
	err  error
}

// NewConnLog returns a conn.log builder writing to w.
func NewConnLog(w Writer) *ConnLog {
	return &ConnLog{w: w, vals: make([]Value, len(ConnColumns))}
}

// HandleEvent consumes ConnectionStateRemove events and ignores every other event.
func (l *ConnLog) HandleEvent(e tlsmon.Event) {
	r, ok := e.(*tlsmon.ConnectionStateRemove)
	if !ok || r.Conn == nil {
		return
	}
	c, s := r.Conn, &r.Stats
	v := l.vals
	for i := range v {
		v[i] = Value{}
	}
	v[0] = Time(c.StartTs)
	v[1] = String(c.UID)
	v[2], v[3] = Addr(c.ID.OrigH), Port(c.ID.OrigP)
	v[4], v[5] = Addr(c.ID.RespH), Port(c.ID.RespP)
	v[6] = Enum(c.ID.Proto.String())
	if len(s.Service) > 0 {
		v[7] = String(strings.ToLower(strings.Join(s.Service, ",")))
	}
	if s.Duration > 0 {
		v[8] = IntervalBetween(c.StartTs, c.StartTs+s.Duration)
		v[9], v[10] = Count(s.OrigBytes), Count(s.RespBytes)
	}
	if s.State != "" {
		v[11] = String(s.State)
	}
	v[12], v[13] = Bool(IsLocalAddr(c.ID.OrigH)), Bool(IsLocalAddr(c.ID.RespH))
	v[14] = Count(s.MissedBytes)
	if s.History != "" {
		v[15] = String(s.History)
	}
	v[16], v[17] = Count(s.OrigPkts), Count(s.OrigIPBytes)
	v[18], v[19] = Count(s.RespPkts), Count(s.RespIPBytes)
	if len(s.TunnelParents) > 0 {
		v[20] = Strings(s.TunnelParents)
	}
	proto := uint64(s.IPProto)
	if proto == 0 {
		proto = uint64(c.ID.Proto)
	}
	v[21] = Count(proto)
	if err := l.w.Write(v); err != nil && l.err == nil {
		l.err = err
	}
}

// Close closes the writer; it returns the first write error, if any.
func (l *ConnLog) Close(ts int64) error {
	if err := l.w.Close(ts); err != nil && l.err == nil {
		l.err = err
	}
	return l.err
}
