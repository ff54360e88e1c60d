// Package smtp is tlsmon's SMTP analyzer: it follows commands and replies until a
// STARTTLS (or X-ANONYMOUSTLS) command is answered with 220, then hands the stream to the
// SSL analyzer, as Zeek's SMTP analyzer does.
package smtp

import (
	"bytes"
	"fmt"

	"github.com/tlsmon/tlsmon/analyzer"
	"github.com/tlsmon/tlsmon/starttls"
)

// Ports are Zeek's SMTP::ports.
var Ports = []uint16{25, 587}

// Spec describes the SMTP analyzer for attachment by port.
func Spec() analyzer.Spec {
	return analyzer.Spec{Name: "SMTP", TCPPorts: Ports, New: New}
}

// New returns an SMTP analyzer for env's connection.
func New(env *analyzer.Env) analyzer.Analyzer {
	return starttls.NewHost(env, "SMTP", newParser())
}

func newParser() *parser {
	p := &parser{}
	p.lines.SetCR() // Zeek's default content line framing, NUL-sensitive
	p.lines.SetNULs()
	return p
}

// maxPending caps the commands awaiting a reply (pipelining).
const maxPending = 32

const (
	cmdOther = iota
	cmdStartTLS
	cmdData
)

type parser struct {
	lines   starttls.DirLines
	pending []uint8 // commands awaiting a reply, oldest first
	cont    int     // code of a multi-line reply in progress, 0 if none
	inData  bool
	// frameBody frames the message body line by line, without Lines.SkipPlain (the tests
	// compare both ways).
	frameBody bool
}

// EndOfData parses a line left unterminated when a side closed (Zeek's content line
// analyzer delivers it at the endpoint's EOF).
func (p *parser) EndOfData(h *starttls.Host, ts int64, isOrig bool) {
	p.lines.EndOfData(h, p, ts, isOrig)
}

func (p *parser) Deliver(h *starttls.Host, ts int64, isOrig bool, data []byte) int {
	if !isOrig || !p.inData || p.frameBody {
		return p.lines.Feed(h, p, ts, isOrig, data)
	}
	// Of the message body's lines, only the "." that ends it matters (command): the plain
	// ones are skipped, the others (the end of a line begun in an earlier delivery, a bare
	// LF, ...) framed one at a time; after a lone CR or a NUL, the rest of the delivery is
	// framed.
	l := &p.lines[0]
	n := 0
	for n < len(data) {
		if p.inData {
			k, ok := l.SkipPlain(data[n:], ".")
			if !ok {
				return n + p.lines.Feed(h, p, ts, isOrig, data[n:])
			}
			n += k
		}
		k, end := starttls.FeedLine(h, p, l, ts, isOrig, data[n:])
		n += k
		if end {
			break
		}
	}
	return n
}

func (p *parser) Line(h *starttls.Host, ts int64, isOrig bool, line []byte) {
	if isOrig {
		p.command(h, ts, line)
		return
	}
	p.reply(h, ts, line)
}

func (p *parser) command(h *starttls.Host, ts int64, line []byte) {
	if p.inData {
		if len(line) == 1 && line[0] == '.' {
			p.inData = false
		}
		return
	}
	h.Confirm(ts)
	cmd := line
	if i := bytes.IndexByte(line, ' '); i >= 0 {
		cmd = line[:i]
	}
	c := uint8(cmdOther)
	switch {
	case bytes.EqualFold(cmd, []byte("STARTTLS")), bytes.EqualFold(cmd, []byte("X-ANONYMOUSTLS")):
		c = cmdStartTLS
	case bytes.EqualFold(cmd, []byte("DATA")):
		c = cmdData
	}
	if len(p.pending) == maxPending {
		h.Weird(ts, "smtp_too_many_pending_commands", "")
		copy(p.pending, p.pending[1:])
		p.pending = p.pending[:maxPending-1]
	}
	p.pending = append(p.pending, c)
}

func (p *parser) reply(h *starttls.Host, ts int64, line []byte) {
	code := -1
	if len(line) >= 3 && isDigit(line[0]) && isDigit(line[1]) && isDigit(line[2]) {
		code = int(line[0]-'0')*100 + int(line[1]-'0')*10 + int(line[2]-'0')
	}
	if code < 100 || code > 599 {
		h.Violation(ts, fmt.Sprintf("reply code %d out of range", -1))
		return
	}
	if p.cont != 0 && code != p.cont {
		p.cont = 0
	}
	if p.cont == 0 {
		p.newReply(h, code)
	}
	if len(line) > 3 && line[3] == '-' {
		p.cont = code
	} else {
		p.cont = 0
	}
}

func (p *parser) newReply(h *starttls.Host, code int) {
	if len(p.pending) == 0 {
		return
	}
	c := p.pending[0]
	p.pending = p.pending[:copy(p.pending, p.pending[1:])]
	switch {
	case c == cmdStartTLS && code == 220:
		p.lines.Release()
		h.StartTLS()
	case c == cmdData && code == 354:
		p.inData = true
	}
}

func isDigit(b byte) bool { return b >= '0' && b <= '9' }
