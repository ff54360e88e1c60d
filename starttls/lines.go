package starttls

import "bytes"

// MaxLine is the default cap of a buffered line (bytes).
const MaxLine = 4096

// Lines frames one direction's stream into lines as Zeek's content line analyzer does.
// By default a line ends in LF (a CR before it is dropped), as FTP's NVT frames them; with
// CR set, a lone CR ends a line too and CRLF counts once, even split between deliveries
// (Zeek's default content line analyzer: HTTP, SMTP, POP3, IRC). A CR followed by
// anything else than LF (or CR, in CR mode) is reported once through SingleCR (the weird
// line_terminated_with_single_CR). A line split over deliveries is buffered, up to Max
// bytes; the excess is dropped and reported through Truncated.
type Lines struct {
	Max   int
	CR    bool
	buf   []byte
	reset bool
	trunc bool
	// NULs makes the framing NUL-sensitive (Zeek's SetIsNULSensitive: FTP, SMTP): the
	// first NUL of the direction is dropped from its line and reported through NULInLine.
	NULs bool
	// Split is Zeek's max_line_length behaviour for Max (IRC's 1000): a line reaching Max
	// bytes is cut to Max-1 bytes, the next two lost, and the rest starts a new line, with
	// the weird contentline_size_exceeded; without it a long line is truncated at Max and
	// its excess dropped up to its end (tlsmon's own cap, weird line_too_long).
	Split    bool
	exceeded bool
	lastCR   bool // CR mode: the last line ended in a CR that ended its delivery
	singleCR bool // a single CR was seen and not yet reported
	nulDone  bool // the first NUL was seen
	nulSeen  bool // ... and not yet reported
}

// Next returns the next complete line of data (valid until the next call) and the bytes
// after it. ok is false when data held no line end: it was buffered.
func (l *Lines) Next(data []byte) (line, rest []byte, ok bool) {
	if l.reset {
		l.buf = l.buf[:0]
		l.reset, l.trunc = false, false
	}
	if l.lastCR && len(data) > 0 {
		l.lastCR = false
		switch data[0] {
		case '\n':
			data = data[1:] // the LF of a CRLF split between deliveries
		case '\r':
		default:
			l.singleCR = true
		}
	}
	i := bytes.IndexByte(data, '\n')
	end := i + 1 // the bytes the line and its end take
	cr := false
	if l.CR {
		lim := i
		if lim < 0 {
			lim = len(data)
		}
		if j := bytes.IndexByte(data[:lim], '\r'); j >= 0 {
			i, end, cr = j, j+1, true
		}
	}
	if l.Split && l.Max > 0 {
		// Zeek's max_line_length: the line is cut once it fills the buffer, whatever
		// the next byte is; that byte and the buffer's last are lost.
		if need := l.Max - len(l.buf); (i < 0 || i >= need) && len(data) > need {
			l.exceeded = true
			line = append(l.buf, data[:max(need-1, 0)]...)[:l.Max-1]
			l.buf, l.reset = line, true
			return line, data[need+1:], true
		}
	}
	if cr {
		switch {
		case i+1 == len(data):
			l.lastCR = true
		case data[i+1] == '\n':
			end++
		case data[i+1] != '\r':
			l.singleCR = true
		}
	}
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
	if !l.CR {
		if n := len(line); n > 0 && line[n-1] == '\r' {
			line = line[:n-1]
		}
		if bytes.IndexByte(line, '\r') >= 0 {
			l.singleCR = true
		}
	}
	if l.NULs && !l.nulDone {
		if k := bytes.IndexByte(line, 0); k >= 0 {
			l.nulDone, l.nulSeen = true, true
			if l.reset { // the line is l.buf's: drop the NUL in place
				line = append(line[:k], line[k+1:]...)
			} else { // the line aliases data: copy it without the NUL
				l.buf = append(append(l.buf[:0], line[:k]...), line[k+1:]...)
				line, l.reset = l.buf, true
			}
		}
	}
	return line, data[end:], true
}

// SkipPlain returns the length n of the longest prefix of data made of whole lines that
// Next would return one by one, each ended by CRLF, with no other CR or LF in it, no NUL
// while the framing still looks for one, and none equal to stop: lines Next frames without
// buffering them, without a weird and without a change of state. A parser that has
// nothing to do with such lines but find stop (SMTP's message body, ended by ".") drops
// them at once instead of framing each, frames the line at n with Next, and may skip
// again after it. ok is false when one of the lines scanned held a lone CR or a NUL: then
// n is 0 and the rest of data is to be framed line by line (skipping again after each
// line would scan the same lines again). n is 0 unless the framing is between lines with
// nothing pending (no buffered part, CR or weird). Why: framing costs ≈ 290 instructions
// a line (three scans, and the calls between them); this, one scan a line.
func (l *Lines) SkipPlain(data []byte, stop string) (n int, ok bool) {
	if l.lastCR || l.singleCR || l.nulSeen || l.Split || !(l.reset || len(l.buf) == 0 && !l.trunc) {
		return 0, true
	}
	lines := 0
	for {
		i := bytes.IndexByte(data[n:], '\n')
		if i < 1 || data[n+i-1] != '\r' || string(data[n:n+i-1]) == stop {
			break
		}
		n += i + 1
		lines++
	}
	// Every LF of data[:n] follows a CR; as many CRs as LFs means no other CR.
	if bytes.Count(data[:n], []byte{'\r'}) != lines || l.NULs && !l.nulDone && bytes.IndexByte(data[:n], 0) >= 0 {
		return 0, false
	}
	return n, true
}

// NULInLine reports, once, that the first NUL of a NUL-sensitive direction was seen.
func (l *Lines) NULInLine() bool {
	s := l.nulSeen
	l.nulSeen = false
	return s
}

// SingleCR reports, once, that a single CR was seen since the last call.
func (l *Lines) SingleCR() bool {
	s := l.singleCR
	l.singleCR = false
	return s
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
func (l *Lines) Release() { l.buf, l.reset, l.trunc, l.lastCR = nil, false, false, false }

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

// SetCR puts both directions in CR mode (see Lines).
func (d *DirLines) SetCR() { d[0].CR, d[1].CR = true, true }

// SetNULs makes both directions NUL-sensitive (see Lines).
func (d *DirLines) SetNULs() { d[0].NULs, d[1].NULs = true, true }

// checkSingleCR raises Zeek's weird line_terminated_with_single_CR, once per connection,
// when l saw a single CR (source CONTENTLINE, or NVT for LF-only framing, FTP's).
func (h *Host) checkSingleCR(ts int64, l *Lines) {
	if l.singleCR { // rare: the test inlines in FeedLines' loop, the weird does not
		h.singleCRWeird(ts, l)
	}
}

func (h *Host) singleCRWeird(ts int64, l *Lines) {
	if !l.SingleCR() || h.singleCR {
		return
	}
	h.singleCR = true
	src := "CONTENTLINE"
	if !l.CR {
		src = "NVT"
	}
	h.WeirdFrom(ts, "line_terminated_with_single_CR", "", src)
}

// checkNUL raises Zeek's weird NUL_in_line, once per connection, when l dropped the first
// NUL of a NUL-sensitive direction.
func (h *Host) checkNUL(ts int64, l *Lines) {
	if l.nulSeen { // rare: as in checkSingleCR
		h.nulInLineWeird(ts, l)
	}
}

func (h *Host) nulInLineWeird(ts int64, l *Lines) {
	if !l.NULInLine() || h.nulWeird {
		return
	}
	h.nulWeird = true
	src := "CONTENTLINE"
	if !l.CR {
		src = "NVT"
	}
	h.WeirdFrom(ts, "NUL_in_line", "", src)
}

// CheckSingleCR is checkSingleCR for parsers that call Lines.Next themselves.
func (h *Host) CheckSingleCR(ts int64, l *Lines) { h.checkSingleCR(ts, l) }

// DrainSingleCR frames the rest of a delivery after the parser stopped on a violation,
// only for the weird: Zeek removes a failed analyzer once the packet is processed, so its
// content line analyzer still frames the rest of that delivery.
func (h *Host) DrainSingleCR(ts int64, l *Lines, rest []byte) {
	for len(rest) > 0 && !h.singleCR {
		_, r, ok := l.Next(rest)
		if !ok {
			return
		}
		rest = r
		h.checkSingleCR(ts, l)
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
	n, _ := feedLines(h, lp, l, ts, isOrig, data, false)
	return n
}

// FeedLine is FeedLines for one line at most: it also reports whether feeding ends there
// (the rest of data was buffered, or the host handed the stream off or stopped).
func FeedLine(h *Host, lp LineParser, l *Lines, ts int64, isOrig bool, data []byte) (int, bool) {
	return feedLines(h, lp, l, ts, isOrig, data, true)
}

func feedLines(h *Host, lp LineParser, l *Lines, ts int64, isOrig bool, data []byte, one bool) (int, bool) {
	n := 0
	for n < len(data) {
		line, rest, ok := l.Next(data[n:])
		if !ok {
			return len(data), true
		}
		n = len(data) - len(rest)
		if l.Truncated() {
			h.Weird(ts, "line_too_long", "")
		}
		if l.exceeded {
			l.exceeded = false
			h.WeirdFrom(ts, "contentline_size_exceeded", "", "CONTENTLINE")
		}
		h.checkNUL(ts, l)
		lp.Line(h, ts, isOrig, line)
		h.checkSingleCR(ts, l)
		if h.Stopped() {
			h.DrainSingleCR(ts, l, rest)
		}
		if h.HandedOff() || h.Stopped() {
			return n, true
		}
		if one {
			break
		}
	}
	return n, false
}
