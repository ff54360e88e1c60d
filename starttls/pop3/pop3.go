// Package pop3 is tlsmon's POP3 analyzer: it follows commands and replies until an STLS
// command is answered with +OK, then hands the stream to the SSL analyzer, as Zeek's POP3
// analyzer does.
package pop3

import (
	"bytes"

	"github.com/tlsmon/tlsmon"
	"github.com/tlsmon/tlsmon/analyzer"
	"github.com/tlsmon/tlsmon/starttls"
)

// Spec describes the POP3 analyzer for attachment. Zeek registers no port for POP3: it is
// attached by its DPD signatures, dpd_pop3_server (the responder starts with "+OK") which
// requires dpd_pop3_client on the originator. Match checks the first; the analyzer checks
// the second itself before it acts (see clientMatch).
func Spec() analyzer.Spec {
	// dpd_pop3_server is a TCP signature
	return analyzer.Spec{Name: "POP3", Match: Match, MatchProto: tlsmon.ProtoTCP, New: New}
}

// Match reports whether payload, the first bytes of one direction, matches dpd_pop3_server.
func Match(isOrig bool, payload []byte) bool {
	return !isOrig && len(payload) >= 3 && bytes.Equal(payload[:3], []byte("+OK"))
}

// clientMatch reports whether a client line matches dpd_pop3_client's pattern.
func clientMatch(line []byte) bool {
	line = bytes.TrimLeft(line, " \t\v\f\r")
	if len(line) < 4 {
		return false
	}
	kw := line[:4]
	if bytes.EqualFold(kw, []byte("CAPA")) || bytes.EqualFold(kw, []byte("AUTH")) || bytes.EqualFold(kw, []byte("STLS")) {
		return true
	}
	return (bytes.EqualFold(kw, []byte("USER")) || bytes.EqualFold(kw, []byte("APOP"))) &&
		(len(line) == 4 || line[4] == ' ' || line[4] == '\t')
}

// New returns a POP3 analyzer for env's connection.
func New(env *analyzer.Env) analyzer.Analyzer {
	p := &parser{}
	p.lines.SetCR() // Zeek's default content line framing
	return starttls.NewHost(env, "POP3", p)
}

const maxPending = 32

const (
	cmdOther = iota
	cmdSTLS
	cmdUser
	cmdCapa
	cmdMulti // a command whose +OK answer is multi-line
	cmdAuth
)

// window is the signature matching window (Zeek's dpd_buffer_size).
const window = 1024

type parser struct {
	lines     starttls.DirLines
	seen      int  // bytes delivered, both directions, up to window
	sigOK     bool // dpd_pop3_client matched within the window
	pending   []uint8
	multiLine bool
	authing   bool
}

// EndOfData parses a line left unterminated when a side closed (Zeek's content line
// analyzer delivers it at the endpoint's EOF).
func (p *parser) EndOfData(h *starttls.Host, ts int64, isOrig bool) {
	p.lines.EndOfData(h, p, ts, isOrig)
}

func (p *parser) Deliver(h *starttls.Host, ts int64, isOrig bool, data []byte) int {
	if p.seen < window {
		p.seen += len(data)
	}
	n := p.lines.Feed(h, p, ts, isOrig, data)
	if !p.sigOK && p.seen >= window {
		h.Stop() // dpd_pop3_client never matched: Zeek would not have attached the analyzer
	}
	return n
}

func (p *parser) Line(h *starttls.Host, ts int64, isOrig bool, line []byte) {
	line = bytes.TrimSpace(line)
	if isOrig {
		p.command(h, ts, line)
		return
	}
	p.reply(h, ts, line)
}

func (p *parser) command(h *starttls.Host, ts int64, line []byte) {
	if !p.sigOK && p.seen <= window && clientMatch(line) {
		p.sigOK = true
	}
	if p.authing {
		return // SASL exchange lines
	}
	f := bytes.Fields(line)
	if len(f) == 0 {
		return
	}
	c := uint8(cmdOther)
	switch cmd := f[0]; {
	case bytes.EqualFold(cmd, []byte("STLS")):
		c = cmdSTLS
	case bytes.EqualFold(cmd, []byte("USER")):
		c = cmdUser
	case bytes.EqualFold(cmd, []byte("CAPA")):
		c = cmdCapa
	case bytes.EqualFold(cmd, []byte("RETR")), bytes.EqualFold(cmd, []byte("TOP")):
		c = cmdMulti
	case (bytes.EqualFold(cmd, []byte("LIST")) || bytes.EqualFold(cmd, []byte("UIDL"))) && len(f) == 1:
		c = cmdMulti
	case bytes.EqualFold(cmd, []byte("AUTH")) && len(f) > 1:
		c = cmdAuth
		p.authing = true
	}
	if len(p.pending) == maxPending {
		h.Weird(ts, "pop3_client_too_many_pending_commands", "")
		p.pending = p.pending[:copy(p.pending, p.pending[1:])]
	}
	p.pending = append(p.pending, c)
}

func (p *parser) reply(h *starttls.Host, ts int64, line []byte) {
	if p.multiLine {
		if len(line) == 1 && line[0] == '.' {
			p.multiLine = false
		}
		return
	}
	tok := line
	if i := bytes.IndexByte(line, ' '); i >= 0 {
		tok = line[:i]
	}
	ok := bytes.EqualFold(tok, []byte("+OK"))
	if !ok && !bytes.EqualFold(tok, []byte("-ERR")) {
		if p.authing && len(tok) > 0 && tok[0] == '+' {
			return // SASL continuation
		}
		if !p.sigOK {
			return // Zeek has not attached the analyzer (dpd_pop3_client has not matched)
		}
		h.Weird(ts, "pop3_server_command_unknown", string(tok))
		h.Violation(ts, "unknown server command ("+string(tok)+")")
		return
	}
	if len(p.pending) == 0 || !p.sigOK {
		return // the greeting, or the analyzer is not enabled yet
	}
	c := p.pending[0]
	p.pending = p.pending[:copy(p.pending, p.pending[1:])]
	if c == cmdAuth {
		p.authing = false
	}
	if !ok {
		return
	}
	switch c {
	case cmdUser:
		h.Confirm(ts)
	case cmdCapa:
		h.Confirm(ts)
		p.multiLine = true
	case cmdMulti:
		p.multiLine = true
	case cmdSTLS:
		h.Confirm(ts)
		p.lines.Release()
		h.StartTLS()
	}
}
