// Package socks is tlsmon's SOCKS analyzer: once both sides finished the SOCKS v4 or v5
// exchange, the tunneled stream goes to a detection child that attaches the SSL analyzer
// when it sees TLS, as Zeek's SOCKS analyzer does with a PIA child.
package socks

import (
	"github.com/tlsmon/tlsmon/analyzer"
	"github.com/tlsmon/tlsmon/starttls"
)

// Ports are Zeek's SOCKS::default_capture_ports.
var Ports = []uint16{1080}

// Spec describes the SOCKS analyzer for attachment by port.
func Spec() analyzer.Spec {
	return analyzer.Spec{Name: "SOCKS", TCPPorts: Ports, New: New}
}

// New returns a SOCKS analyzer for env's connection.
func New(env *analyzer.Env) analyzer.Analyzer { return starttls.NewHost(env, "SOCKS", &parser{}) }

type parser struct {
	origDone, respDone bool
	past               bool // v5: the method negotiation is over
	subneg             bool // v5: in the authentication sub-negotiation
	method             byte
}

// Deliver parses one SOCKS message per delivery (Zeek parses every delivery on its own).
// The delivery after which both sides are done is not forwarded: the tunnel starts with
// the next one.
func (p *parser) Deliver(h *starttls.Host, ts int64, isOrig bool, data []byte) int {
	if p.origDone && p.respDone {
		h.StartDPD()
		return 0
	}
	if p.subneg {
		p.authMessage(isOrig, data)
		return len(data)
	}
	if len(data) == 0 {
		return 0
	}
	switch data[0] {
	case 4:
		p.v4(h, ts, isOrig, data[1:])
	case 5:
		p.v5(h, ts, isOrig, data[1:])
	default:
		h.Violation(ts, "unsupported/unknown SOCKS version "+itoa(int(data[0])))
	}
	return len(data)
}

func (p *parser) v4(h *starttls.Host, ts int64, isOrig bool, b []byte) {
	if isOrig {
		if len(b) >= 7 { // command, port, address, then the user id
			p.origDone = true
		}
		return
	}
	if len(b) >= 7 {
		h.Confirm(ts)
		p.respDone = true
	}
}

func (p *parser) v5(h *starttls.Host, ts int64, isOrig bool, b []byte) {
	if !p.past {
		if isOrig {
			return // method count and methods
		}
		if len(b) < 1 {
			return
		}
		p.method = b[0]
		p.subneg = p.method != 0 && p.method != 0xff
		p.past = true
		return
	}
	// request or reply: command/reply, reserved, address, port
	if len(b) < 3 {
		return
	}
	if isOrig {
		if b[1] != 0 {
			h.Violation(ts, "invalid value in reserved field: "+itoa(int(b[1])))
			h.Stop()
			return
		}
		if b[0] == 0 || b[0] > 3 {
			h.Violation(ts, "undefined value in command field: "+itoa(int(b[0])))
			h.Stop()
			return
		}
	}
	switch b[2] {
	case 1, 3, 4:
	default:
		h.Violation(ts, "invalid SOCKSv5 addr type: "+itoa(int(b[2])))
		return
	}
	if isOrig {
		p.origDone = true
		return
	}
	h.Confirm(ts)
	p.respDone = true
}

func (p *parser) authMessage(isOrig bool, b []byte) {
	if !isOrig {
		p.subneg = false
	}
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var buf [4]byte
	i := len(buf)
	for n > 0 {
		i--
		buf[i] = byte('0' + n%10)
		n /= 10
	}
	return string(buf[i:])
}
