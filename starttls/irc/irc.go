// Package irc is tlsmon's IRC analyzer: it reads IRC lines until the reply 670 (STARTTLS
// accepted), then hands the stream to the SSL analyzer, as Zeek's IRC analyzer does.
package irc

import (
	"bytes"

	"github.com/tlsmon/tlsmon/analyzer"
	"github.com/tlsmon/tlsmon/starttls"
)

// Ports are Zeek's IRC::ports.
var Ports = []uint16{6666, 6667, 6668, 6669}

// Spec describes the IRC analyzer for attachment by port.
func Spec() analyzer.Spec {
	return analyzer.Spec{Name: "IRC", TCPPorts: Ports, New: New}
}

// New returns an IRC analyzer for env's connection.
func New(env *analyzer.Env) analyzer.Analyzer {
	p := &parser{}
	p.lines[0].Max, p.lines[1].Max = maxLine, maxLine
	p.lines[0].Split, p.lines[1].Split = true, true // Zeek's max_line_length
	p.lines.SetCR()                                 // Zeek's default content line framing
	h := starttls.NewHost(env, "IRC", p)
	h.AnalyzePartial() // Zeek's IRC analyzer does not check for partial connections
	return h
}

// maxLine is the line cap of Zeek's IRC content-line analyzer; lines over 512 bytes are
// ignored anyway.
const maxLine = 1000

type parser struct {
	lines   starttls.DirLines
	invalid int // commands over 20 characters (Zeek's invalid_msg_count)
}

// maxInvalid is Zeek's invalid_msg_max_count.
const maxInvalid = 20

// weird raises one of the IRC analyzer's weirds, which Zeek raises only once it confirmed
// the protocol.
func weird(h *starttls.Host, ts int64, name string) {
	if h.Confirmed() {
		h.Weird(ts, name, "")
	}
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
	if len(line) > 512 {
		weird(h, ts, "irc_line_size_exceeded")
		return
	}
	line = bytes.TrimLeft(line, " ")
	if len(line) < 3 {
		weird(h, ts, "irc_line_too_short")
		return
	}
	if line[0] == '@' { // IRCv3 tags
		i := bytes.IndexByte(line, ' ')
		if i < 0 {
			return
		}
		line = line[i+1:]
	}
	if len(line) > 0 && line[0] == ':' {
		i := bytes.IndexByte(line, ' ')
		if i < 0 {
			weird(h, ts, "irc_invalid_line")
			return
		}
		line = bytes.TrimLeft(line[i+1:], " ")
	}
	if len(line) < 3 {
		weird(h, ts, "irc_invalid_line")
		h.Violation(ts, "line too short")
		return
	}
	if isDigit(line[0]) {
		if !(isDigit(line[1]) && isDigit(line[2]) && len(line) > 3 && line[3] == ' ') {
			weird(h, ts, "irc_invalid_reply_number")
			h.Violation(ts, "invalid reply number")
			return
		}
		code := int(line[0]-'0')*100 + int(line[1]-'0')*10 + int(line[2]-'0')
		if code == 670 {
			p.lines.Release()
			h.StartTLS()
		}
		return
	}
	cmd := line
	if i := bytes.IndexByte(line, ' '); i >= 0 {
		cmd = line[:i]
	}
	if isOrig && validClientCommand(cmd) {
		h.Confirm(ts)
	}
	if len(cmd) > 20 && !bytes.EqualFold(cmd, []byte("STARTTLS")) {
		h.Weird(ts, "irc_invalid_command", "")
		if p.invalid++; p.invalid > maxInvalid {
			h.Weird(ts, "irc_too_many_invalid", "")
			h.Violation(ts, "too many long lines")
		}
	}
}

var clientCommands = []string{"ADMIN", "AWAY", "CONNECT", "DIE", "ERROR", "INFO", "INVITE", "ISON",
	"JOIN", "KICK", "KILL", "LINKS", "LIST", "LUSERS", "MODE", "MOTD", "NAMES", "NICK", "NOTICE",
	"OPER", "PART", "PASS", "PING", "PONG", "PRIVMSG", "QUIT", "REHASH", "RULES", "SERVER",
	"SERVICE", "SERVLIST", "SETNAME", "SILENCE", "SQUERY", "SQUIT", "STATS", "SUMMON", "TIME",
	"TOPIC", "TRACE", "USER", "USERHOST", "USERS", "VERSION", "WALLOPS", "WHO", "WHOIS",
	"WHOWAS", "STARTTLS"}

func validClientCommand(cmd []byte) bool {
	for _, c := range clientCommands {
		if bytes.EqualFold(cmd, []byte(c)) {
			return true
		}
	}
	return false
}

func isDigit(b byte) bool { return b >= '0' && b <= '9' }
