package zeeklog

import (
	"strings"
	"unicode/utf8"

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
	w       Writer
	row     rowBuf
	service []byte // the service field being built
	err     error
	ext     extended
}

// NewConnLog returns a conn.log builder writing to w.
func NewConnLog(w Writer) *ConnLog { return NewConnLogExt(w, nil) }

// NewConnLogExt returns a conn.log builder writing to w whose rows carry the columns of
// exts after the default ones (w must have been made for those columns).
func NewConnLogExt(w Writer, exts []ColumnExtension) *ConnLog {
	return &ConnLog{w: w, row: newRowBuf(w, len(ConnColumns)+len(extColumns(nil, exts))), ext: newExtended(exts)}
}

// HandleEvent consumes ConnectionStateRemove events and ignores every other event.
// (Set hands it only the events consumes in logs.go lists: keep the two in step.)
func (l *ConnLog) HandleEvent(e tlsmon.Event) {
	if l.ext.h != nil {
		l.ext.h.HandleEvent(e)
	}
	r, ok := e.(*tlsmon.ConnectionStateRemove)
	if !ok || r.Conn == nil {
		return
	}
	l.write(r.Conn, &r.Stats)
	l.ext.forget(r.Conn)
}

func (l *ConnLog) write(c *tlsmon.Conn, s *tlsmon.ConnectionStats) {
	row := &l.row
	row.begin()
	row.time(c.StartTs)
	row.str(c.UID)
	row.endpoints(&c.ID)
	row.proto(c.ID.Proto)
	if len(s.Service) > 0 {
		l.writeService(s.Service)
	} else {
		row.unset()
	}
	if s.Duration > 0 {
		row.interval(c.StartTs, c.StartTs+s.Duration)
		row.count(s.OrigBytes)
		row.count(s.RespBytes)
	} else {
		row.unset()
		row.unset()
		row.unset()
	}
	if s.State != "" {
		row.str(s.State)
	} else {
		row.unset()
	}
	row.boolean(IsLocalAddr(c.ID.OrigH))
	row.boolean(IsLocalAddr(c.ID.RespH))
	row.count(s.MissedBytes)
	if s.History != "" {
		row.str(s.History)
	} else {
		row.unset()
	}
	row.count(s.OrigPkts)
	row.count(s.OrigIPBytes)
	row.count(s.RespPkts)
	row.count(s.RespIPBytes)
	if len(s.TunnelParents) > 0 {
		row.strings(s.TunnelParents)
	} else {
		row.unset()
	}
	proto := uint64(s.IPProto)
	if proto == 0 {
		proto = uint64(c.ID.Proto)
	}
	row.count(proto)
	l.ext.write(row, c)
	if err := row.end(); err != nil && l.err == nil {
		l.err = err
	}
}

// writeService writes the lower-cased, comma-joined service names. ASCII names (the
// analyzers' names) are lowered into a reused buffer instead of by
// strings.ToLower(strings.Join(...)), which allocated once or twice per row.
func (l *ConnLog) writeService(names []string) {
	b := l.service[:0]
	for i, n := range names {
		if i > 0 {
			b = append(b, ',')
		}
		for j := 0; j < len(n); j++ {
			c := n[j]
			if c >= utf8.RuneSelf {
				l.row.str(strings.ToLower(strings.Join(names, ",")))
				return
			}
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			b = append(b, c)
		}
	}
	l.service = b
	l.row.strBytes(b)
}

// Close closes the writer; it returns the first write error, if any.
func (l *ConnLog) Close(ts int64) error {
	if err := l.w.Close(ts); err != nil && l.err == nil {
		l.err = err
	}
	return l.err
}
