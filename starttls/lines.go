package starttls

import "bytes"

// MaxLine is the default cap of a buffered line (bytes).
const MaxLine = 4096

// Lines frames one direction's stream into lines ending in LF (a CR before it is dropped).
// A line split over deliveries is buffered, up to Max bytes; the excess is dropped and
// reported through Truncated.
type Lines struct {
	Max   int
	buf   []byte
	reset bool
	trunc bool
}

// Next returns the next complete line of data (valid until the next call) and the bytes
// after it. ok is false when data held no line end: it was buffered.
func (l *Lines) Next(data []byte) (line, rest []byte, ok bool) {
	if l.reset {
		l.buf = l.buf[:0]
		l.reset, l.trunc = false, false
	}
	i := bytes.IndexByte(data, '\n')
	if i < 0 {
		l.add(data)
		return nil, nil, false
	}
	if len(l.buf) == 0 && !l.trunc {
		line = data[:i]
	} else {
		l.add(data[:i])
		line = l.buf
		l.reset = true
	}
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	return line, data[i+1:], true
}

// Truncated reports whether the last line returned (or the one being buffered) went over
// the cap.
func (l *Lines) Truncated() bool { return l.trunc }

func (l *Lines) add(b []byte) {
	max := l.Max
	if max <= 0 {
		max = MaxLine
	}
	if room := max - len(l.buf); len(b) > room {
		b = b[:room]
		l.trunc = true
	}
	l.buf = append(l.buf, b...)
}

// Flush returns the partial line buffered at the end of a stream, as Zeek's content line
// analyzer delivers it when the endpoint closes; ok is false when nothing is buffered.
func (l *Lines) Flush() (line []byte, ok bool) {
	if l.reset || len(l.buf) == 0 {
		return nil, false
	}
	line, _, ok = l.Next([]byte{'\n'})
	return line, ok
}

// Release drops the buffer.
func (l *Lines) Release() { l.buf, l.reset, l.trunc = nil, false, false }

// DirLines frames both directions of a line-based protocol: the originator's lines, then
// the responder's.
type DirLines [2]Lines

// Feed frames data of one direction and hands its complete lines to lp (FeedLines).
func (d *DirLines) Feed(h *Host, lp LineParser, ts int64, isOrig bool, data []byte) int {
	l := &d[1]
	if isOrig {
		l = &d[0]
	}
	return FeedLines(h, lp, l, ts, isOrig, data)
}

// EndOfData hands lp the line left unterminated when one side's data ended, as Zeek's
// content line analyzer does at the endpoint's EOF; nothing once the host stopped parsing.
func (d *DirLines) EndOfData(h *Host, lp LineParser, ts int64, isOrig bool) {
	if !h.Parsing() {
		return
	}
	l := &d[1]
	if isOrig {
		l = &d[0]
	}
	if line, ok := l.Flush(); ok {
		lp.Line(h, ts, isOrig, line)
	}
}

// Release drops both directions' buffers (the stream was handed off).
func (d *DirLines) Release() {
	d[0].Release()
	d[1].Release()
}

// LineParser handles complete lines for FeedLines.
type LineParser interface {
	Line(h *Host, ts int64, isOrig bool, line []byte)
}

// FeedLines frames data with l and hands each complete line to lp, until the host hands the
// stream off or stops; it returns the bytes consumed. A line over the cap is reported as the
// weird "line_too_long" and handed over truncated.
func FeedLines(h *Host, lp LineParser, l *Lines, ts int64, isOrig bool, data []byte) int {
	n := 0
	for n < len(data) {
		line, rest, ok := l.Next(data[n:])
		if !ok {
			return len(data)
		}
		n = len(data) - len(rest)
		if l.Truncated() {
			h.Weird(ts, "line_too_long", "")
		}
		lp.Line(h, ts, isOrig, line)
		if h.HandedOff() || h.Stopped() {
			return n
		}
	}
	return n
}
