package sink

import (
	"io"
	"time"

	"github.com/tlsmon/tlsmon/zeeklog"
)

// Stream writes every row as one JSON line to w, in the shape of Zeek's JSON streaming
// logs (the json-streaming-logs package): the log's name as "_path" and the network time of
// the write as "_write_ts" come first, as Zeek's logging framework puts extension fields
// before a log's own columns, then the row's columns exactly as the JSON log file has them.
// _write_ts is a time like every other, so it is written as the rows' ts are (epoch seconds,
// Zeek's default JSON::TS_EPOCH).
//
// Lines are buffered (64 KiB); the buffer is flushed when full, at the first row written a
// second or more after the last flush (so that a live feed's rows show up within about a
// second of the traffic, as Zeek's writers flush at their one-second heartbeat), and at Close.
// Every write hands w whole lines, so that output cut short (a third signal, a write error)
// ends with a whole line, as the log files do.
type Stream struct {
	w         io.Writer
	buf       []byte // whole lines not yet written
	clock     *Clock
	wall      func() time.Time // time.Now; tests replace it
	lastFlush time.Time
	prefix    zeeklog.Writer // renders {"_path":...,"_write_ts":...}
	pbuf      lineBuffer
	vals      [2]zeeklog.Value
	err       error
}

var streamPrefixColumns = []zeeklog.Column{{Name: "_path", Type: "string"}, {Name: "_write_ts", Type: "time"}}

// NewStream returns a destination writing JSON lines to w; clock gives _write_ts.
func NewStream(w io.Writer, clock *Clock) *Stream {
	s := &Stream{w: w, buf: make([]byte, 0, streamBuffer+streamBuffer/4), clock: clock, wall: time.Now}
	s.lastFlush = s.wall()
	s.prefix = zeeklog.NewJSONWriter(&s.pbuf, streamPrefixColumns)
	return s
}

// Put implements Dest.
func (s *Stream) Put(r Row) error {
	if s.err != nil {
		return s.err
	}
	s.pbuf.b = s.pbuf.b[:0]
	s.vals[0] = zeeklog.String(r.Path)
	s.vals[1] = zeeklog.Time(s.clock.Now())
	if err := s.prefix.Write(s.vals[:]); err != nil {
		return err
	}
	// Splice: the prefix object without its closing "}\n", then the row without its "{".
	s.buf = append(s.buf, s.pbuf.b[:len(s.pbuf.b)-2]...)
	if len(r.JSON) > 2 {
		s.buf = append(s.buf, ',')
		s.buf = append(s.buf, r.JSON[1:]...)
	} else {
		s.buf = append(s.buf, '}')
	}
	s.buf = append(s.buf, '\n')
	if len(s.buf) >= streamBuffer {
		return s.flush()
	}
	if now := s.wall(); now.Sub(s.lastFlush) >= time.Second {
		return s.flush()
	}
	return nil
}

// streamBuffer is how much a Stream buffers before writing.
const streamBuffer = 64 << 10

// flush writes the buffered lines.
func (s *Stream) flush() error {
	s.lastFlush = s.wall()
	if len(s.buf) > 0 {
		_, s.err = s.w.Write(s.buf)
		s.buf = s.buf[:0]
	}
	return s.err
}

// Close implements Dest: it flushes what is buffered. It does not close the underlying writer.
func (s *Stream) Close() error {
	if s.err != nil {
		return s.err
	}
	return s.flush()
}
