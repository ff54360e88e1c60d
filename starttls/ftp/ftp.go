// Package ftp is tlsmon's FTP analyzer: it follows commands and replies and starts TLS as
// Zeek's FTP analyzer does: after "AUTH TLS" answered with 234 the rest of the stream is
// TLS; after "AUTH GSSAPI" answered with 334 (GridFTP), TLS records travel base64-encoded
// in ADAT commands and replies, which are decoded and fed to the SSL analyzer.
package ftp

import (
	"bytes"

	"github.com/tlsmon/tlsmon/analyzer"
	"github.com/tlsmon/tlsmon/starttls"
)

// Ports are Zeek's FTP::ports.
var Ports = []uint16{21, 2811}

// Spec describes the FTP analyzer for attachment by port.
func Spec() analyzer.Spec {
	return analyzer.Spec{Name: "FTP", TCPPorts: Ports, New: New}
}

// New returns an FTP analyzer for env's connection.
func New(env *analyzer.Env) analyzer.Analyzer {
	p := &parser{}
	p.lines.SetNULs() // Zeek's NVT: LF ends a line, NUL-sensitive
	h := starttls.NewHost(env, "FTP", p)
	h.AnalyzePartial() // Zeek's FTP analyzer does not check for partial connections
	return h
}

// maxAuthArg caps the remembered AUTH argument (only "TLS" and "GSSAPI" matter).
const maxAuthArg = 16

type parser struct {
	lines   starttls.DirLines
	auth    []byte // argument of the last AUTH command
	pending int    // code of a multi-line reply in progress
	adat    adat
}

// EndOfData parses a line left unterminated when a side closed (Zeek's content line
// analyzer delivers it at the endpoint's EOF).
func (p *parser) EndOfData(h *starttls.Host, ts int64, isOrig bool) {
	p.lines.EndOfData(h, p, ts, isOrig)
}

func (p *parser) Deliver(h *starttls.Host, ts int64, isOrig bool, data []byte) int {
	return p.lines.Feed(h, p, ts, isOrig, data)
}

func (p *parser) Line(h *starttls.Host, ts int64, isOrig bool, line []byte) {
	if len(line) == 0 {
		return
	}
	if isOrig {
		p.command(h, ts, line)
	} else if !p.reply(h, ts, line) {
		return
	}
	if h.HandedOff() || h.Stopped() {
		return
	}
	if h.Active() && p.adat.on {
		p.adat.line(h, ts, isOrig, line)
	}
}

func (p *parser) command(h *starttls.Host, ts int64, line []byte) {
	line = skipSpace(line)
	cmd := word(line)
	arg := skipSpace(line[len(cmd):])
	if !isCmd(cmd) {
		return
	}
	h.Confirm(ts)
	if len(cmd) <= 4 && bytes.EqualFold(cmd, []byte("AUTH")[:len(cmd)]) {
		p.auth = append(p.auth[:0], arg[:min(len(arg), maxAuthArg)]...)
		if len(arg) > maxAuthArg {
			p.auth = append(p.auth, '+') // never equal to a mechanism name
		}
	}
}

// reply handles a server line; false means it was rejected (a violation).
func (p *parser) reply(h *starttls.Host, ts int64, line []byte) bool {
	code := replyCode(line)
	if p.pending != 0 {
		if code == p.pending && len(line) > 3 && line[3] == ' ' {
			p.pending = 0
		} else {
			code = 0
		}
	} else {
		switch {
		case code == 0:
			h.Violation(ts, "non-numeric reply code")
			return false
		case code < 100:
			h.Violation(ts, "invalid reply code")
			return false
		case len(line) > 3 && line[3] == '-':
			p.pending = code
		case len(line) > 3 && line[3] != ' ':
			h.Violation(ts, "invalid reply line")
			return false
		}
	}
	switch {
	case code == 234 && string(p.auth) == "TLS":
		p.lines.Release()
		h.StartTLS()
	case code == 334 && string(p.auth) == "GSSAPI":
		if !h.Active() {
			h.AttachSSL()
			p.adat = adat{on: true, first: true}
		}
	}
	return true
}

func replyCode(line []byte) int {
	if len(line) >= 3 && isDigit(line[0]) && isDigit(line[1]) && isDigit(line[2]) {
		return int(line[0]-'0')*100 + int(line[1]-'0')*10 + int(line[2]-'0')
	}
	return 0
}

// isCmd is Zeek's test of an FTP command word: at least 3 printable, non-space bytes.
func isCmd(w []byte) bool {
	if len(w) < 3 {
		return false
	}
	for _, c := range w {
		if c <= ' ' || c >= 0x7f {
			return false
		}
	}
	return true
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

func skipSpace(b []byte) []byte {
	for len(b) > 0 && isSpace(b[0]) {
		b = b[1:]
	}
	return b
}

func word(b []byte) []byte {
	for i, c := range b {
		if isSpace(c) {
			return b[:i]
		}
	}
	return b
}

func isDigit(b byte) bool { return b >= '0' && b <= '9' }
