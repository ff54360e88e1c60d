// Package http is tlsmon's HTTP analyzer, reduced to what starts TLS inside HTTP: a
// CONNECT request answered with 200 turns the rest of the stream into a tunnel, and a 101
// reply upgrading to WebSocket turns it into WebSocket frames; either way a detection child
// attaches the SSL analyzer when the tunneled bytes are TLS, as Zeek's HTTP analyzer does
// with a PIA child (directly, or under its WebSocket analyzer).
package http

import (
	"bytes"

	"github.com/tlsmon/tlsmon/analyzer"
	"github.com/tlsmon/tlsmon/starttls"
)

// Ports are Zeek's HTTP::ports.
var Ports = []uint16{80, 81, 631, 1080, 3128, 8000, 8080, 8888}

// Spec describes the HTTP analyzer for attachment by port and by content (Match).
func Spec() analyzer.Spec {
	return analyzer.Spec{Name: "HTTP", TCPPorts: Ports, Match: Match, New: New}
}

// methods are the request methods of Zeek's dpd_http_client signature.
var methods = [][]byte{
	[]byte("OPTIONS"), []byte("GET"), []byte("HEAD"), []byte("POST"), []byte("PUT"), []byte("DELETE"),
	[]byte("QUERY"), []byte("ACL"), []byte("BASELINE-CONTROL"), []byte("BIND"), []byte("CHECKIN"),
	[]byte("CHECKOUT"), []byte("CONNECT"), []byte("COPY"), []byte("LABEL"), []byte("LINK"), []byte("LOCK"),
	[]byte("MERGE"), []byte("MKACTIVITY"), []byte("MKCALENDAR"), []byte("MKCOL"), []byte("MKREDIRECTREF"),
	[]byte("MOVE"), []byte("ORDERPATCH"), []byte("PATCH"), []byte("PROPFIND"), []byte("PROPPATCH"),
	[]byte("REBIND"), []byte("REPORT"), []byte("SEARCH"), []byte("TRACE"), []byte("UNBIND"),
	[]byte("UNCHECKOUT"), []byte("UNLINK"), []byte("UNLOCK"), []byte("UPDATE"), []byte("VERSION-CONTROL"),
	[]byte("BCOPY"), []byte("BDELETE"), []byte("BMOVE"), []byte("BPROPFIND"), []byte("BPROPPATCH"),
	[]byte("NOTIFY"), []byte("POLL"), []byte("SUBSCRIBE"), []byte("UNSUBSCRIBE"), []byte("X-MS-ENUMATTS"),
	[]byte("MKWORKSPACE"), []byte("RPC_IN_DATA"), []byte("RPC_OUT_DATA"),
}

// Match is Zeek's HTTP content detection (dpd_http_client, dpd_http_server): the
// originator's stream starts, after optional white space, with a request method (the
// pattern ends in an optional space, so the method is a prefix), or the responder's with
// "HTTP/" and a digit, case-insensitively.
func Match(isOrig bool, payload []byte) bool {
	if !isOrig {
		return len(payload) >= 6 && bytes.EqualFold(payload[:5], []byte("HTTP/")) && isDigit(payload[5])
	}
	i := 0
	for i < len(payload) && isSpace(payload[i]) {
		i++
	}
	p := payload[i:]
	if len(p) < 3 || p[0] < 'A' || p[0] > 'Z' {
		return false // every method starts with an upper-case letter (the pattern is case-sensitive)
	}
	for _, m := range methodsFrom[p[0]-'A'] {
		if bytes.HasPrefix(p, m) {
			return true
		}
	}
	return false
}

// methodsFrom sorts methods by their first letter, so that Match tries only a few.
var methodsFrom = func() (by [26][][]byte) {
	for _, m := range methods {
		by[m[0]-'A'] = append(by[m[0]-'A'], m)
	}
	return by
}()

// isSpace is the [[:space:]] class of Zeek's signature patterns.
func isSpace(c byte) bool { return c == ' ' || c >= '\t' && c <= '\r' }

// New returns an HTTP analyzer for env's connection.
func New(env *analyzer.Env) analyzer.Analyzer {
	p := &parser{}
	p.dir[0].lines.CR, p.dir[1].lines.CR = true, true // Zeek's default content line framing
	return starttls.NewHost(env, "HTTP", p)
}

// maxUnanswered caps the requests awaiting a reply.
const maxUnanswered = 64

const (
	expectLine = iota
	expectHeaders
	expectBody
	expectNothing
)

type side struct {
	lines starttls.Lines
	state int
	body  uint64 // body bytes left (Content-Length)
	clen  uint64
	hasCL bool
}

type parser struct {
	dir        [2]side
	unanswered int
	connect    bool // the last request was CONNECT
	head       bool // the last request was HEAD
	code       int  // the reply code being parsed
	upgradeHdr bool // the reply's Connection header is "upgrade"
	upgradeWS  int  // the reply's Upgrade header: 0 none, 1 websocket, 2 other
	ws         *websocket
}

func (p *parser) Deliver(h *starttls.Host, ts int64, isOrig bool, data []byte) int {
	if p.ws != nil {
		p.ws.deliver(h, ts, isOrig, data)
		return len(data)
	}
	d := 1
	if isOrig {
		d = 0
	}
	s := &p.dir[d]
	off := 0
	for off < len(data) {
		if s.state == expectBody {
			n := min(uint64(len(data)-off), s.body)
			s.body -= n
			off += int(n)
			if s.body == 0 {
				p.messageDone(h, ts, isOrig)
			}
			continue
		}
		if s.state == expectNothing {
			return len(data)
		}
		line, rest, ok := s.lines.Next(data[off:])
		if !ok {
			return len(data)
		}
		off = len(data) - len(rest)
		p.line(h, ts, isOrig, s, line)
		h.CheckSingleCR(ts, &s.lines)
		if h.Stopped() {
			h.DrainSingleCR(ts, &s.lines, rest)
		}
		if h.HandedOff() || h.Stopped() {
			return off
		}
		if p.ws != nil {
			return len(data) // bytes after the 101 reply in its packet are not analyzed
		}
	}
	return len(data)
}

func (p *parser) line(h *starttls.Host, ts int64, isOrig bool, s *side, line []byte) {
	switch s.state {
	case expectLine:
		if isOrig {
			p.requestLine(h, ts, s, line)
		} else {
			p.replyLine(h, ts, s, line)
		}
	case expectHeaders:
		if len(line) == 0 {
			p.headersDone(h, ts, isOrig, s)
			return
		}
		p.header(isOrig, s, line)
	}
}

func (p *parser) requestLine(h *starttls.Host, ts int64, s *side, line []byte) {
	if len(line) == 0 {
		return
	}
	method := line
	if i := bytes.IndexByte(line, ' '); i > 0 {
		method = line[:i]
	} else {
		p.badRequest(h, ts, s, line)
		return
	}
	for _, c := range method {
		if c <= ' ' || c >= 0x7f {
			p.badRequest(h, ts, s, line)
			return
		}
	}
	h.Confirm(ts)
	p.connect = bytes.EqualFold(method, []byte("CONNECT"))
	p.head = bytes.EqualFold(method, []byte("HEAD"))
	if p.unanswered < maxUnanswered {
		p.unanswered++
	}
	s.state = expectHeaders
	s.hasCL, s.clen = false, 0
}

// badRequest handles a line that is no request line: Zeek's HTTP analyzer raises the weird
// bad_HTTP_request (bad_HTTP_request_with_version when the line has no method but ends
// in " HTTP/x.y"), then the violation.
func (p *parser) badRequest(h *starttls.Host, ts int64, s *side, line []byte) {
	name := "bad_HTTP_request"
	if !isTokenChar(line[0]) && len(line) >= 9 && bytes.EqualFold(line[len(line)-9:len(line)-3], []byte(" HTTP/")) {
		name = "bad_HTTP_request_with_version"
	}
	h.Weird(ts, name, "")
	h.Violation(ts, "not a http request line")
	s.state = expectNothing
}

// isTokenChar reports whether c may be part of an HTTP token (a method).
func isTokenChar(c byte) bool {
	return c > ' ' && c < 0x7f && bytes.IndexByte([]byte("()<>@,;:\\\"/[]?={}"), c) < 0
}

func (p *parser) replyLine(h *starttls.Host, ts int64, s *side, line []byte) {
	if len(line) < 12 || !bytes.EqualFold(line[:5], []byte("HTTP/")) {
		if len(line) > 0 {
			h.Violation(ts, "not a http reply line")
			s.state = expectNothing
		}
		return
	}
	i := bytes.IndexByte(line, ' ')
	c := line[i+1:]
	if i < 0 || len(c) < 3 || !isDigit(c[0]) || !isDigit(c[1]) || !isDigit(c[2]) {
		h.Violation(ts, "not a http reply line")
		s.state = expectNothing
		return
	}
	if p.unanswered > 0 {
		h.Confirm(ts)
	}
	p.code = int(c[0]-'0')*100 + int(c[1]-'0')*10 + int(c[2]-'0')
	if p.connect && p.code != 200 {
		p.connect = false
	}
	p.upgradeHdr, p.upgradeWS = false, 0
	s.state = expectHeaders
	s.hasCL, s.clen = false, 0
}

func (p *parser) header(isOrig bool, s *side, line []byte) {
	i := bytes.IndexByte(line, ':')
	if i < 0 {
		return
	}
	name, value := bytes.TrimSpace(line[:i]), bytes.TrimSpace(line[i+1:])
	switch {
	case bytes.EqualFold(name, []byte("content-length")):
		var n uint64
		for _, c := range value {
			if !isDigit(c) || n > 1<<50 {
				return
			}
			n = n*10 + uint64(c-'0')
		}
		s.hasCL, s.clen = true, n
	case !isOrig && bytes.EqualFold(name, []byte("connection")):
		p.upgradeHdr = bytes.EqualFold(token(value), []byte("upgrade"))
	case !isOrig && bytes.EqualFold(name, []byte("upgrade")):
		if t := token(value); bytes.EqualFold(t, []byte("websocket")) {
			p.upgradeWS = 1
		} else if len(t) > 0 {
			p.upgradeWS = 2
		}
	}
}

func (p *parser) headersDone(h *starttls.Host, ts int64, isOrig bool, s *side) {
	if !isOrig {
		if p.connect {
			p.release()
			h.StartDPD()
			return
		}
		if p.code >= 100 && p.code < 200 || p.code == 204 || p.code == 304 || p.head {
			p.messageDone(h, ts, false)
			return
		}
	}
	if s.hasCL && s.clen > 0 {
		s.state, s.body = expectBody, s.clen
		return
	}
	if !isOrig && !s.hasCL {
		s.state = expectNothing // a body up to the end of the connection, or chunked: not followed
		return
	}
	p.messageDone(h, ts, isOrig)
}

func (p *parser) messageDone(h *starttls.Host, ts int64, isOrig bool) {
	d := 1
	if isOrig {
		d = 0
	}
	p.dir[d].state = expectLine
	if isOrig {
		return
	}
	if (p.code < 100 || p.code >= 200) && p.unanswered > 0 {
		p.unanswered--
	}
	if p.code == 101 && p.unanswered == 1 && p.upgradeHdr && p.upgradeWS != 0 {
		p.release()
		if p.upgradeWS == 1 {
			p.ws = &websocket{}
			h.AttachDPD()
		} else {
			h.StartDPD()
		}
	}
	p.code = 0
}

// EndOfData parses a line left unterminated when the endpoint closed, as Zeek's HTTP
// analyzer gets it from its content line analyzer.
func (p *parser) EndOfData(h *starttls.Host, ts int64, isOrig bool) {
	if p.ws != nil || !h.Parsing() {
		return
	}
	s := &p.dir[1]
	if isOrig {
		s = &p.dir[0]
	}
	if s.state != expectLine && s.state != expectHeaders {
		return
	}
	if line, ok := s.lines.Flush(); ok {
		p.line(h, ts, isOrig, s, line)
	}
}

func (p *parser) release() {
	p.dir[0].lines.Release()
	p.dir[1].lines.Release()
}

// token returns the first token of a header value.
func token(v []byte) []byte {
	for i, c := range v {
		if c <= ' ' || bytes.IndexByte([]byte("()<>@,;:\\\"/[]?="), c) >= 0 {
			return v[:i]
		}
	}
	return v
}

func isDigit(b byte) bool { return b >= '0' && b <= '9' }
