// Package xmpp is tlsmon's XMPP analyzer: it reads XML tags until the server answers a
// client's <starttls> with <proceed>, then hands the stream to the SSL analyzer, as Zeek's
// XMPP analyzer does. As in Zeek, every delivery is parsed on its own.
package xmpp

import (
	"bytes"

	"github.com/tlsmon/tlsmon/analyzer"
	"github.com/tlsmon/tlsmon/starttls"
)

// Ports are Zeek's XMPP::ports.
var Ports = []uint16{5222, 5269}

// Spec describes the XMPP analyzer for attachment by port.
func Spec() analyzer.Spec {
	return analyzer.Spec{Name: "XMPP", TCPPorts: Ports, New: New}
}

// New returns an XMPP analyzer for env's connection.
func New(env *analyzer.Env) analyzer.Analyzer { return starttls.NewHost(env, "XMPP", &parser{}) }

type parser struct {
	clientStartTLS bool
}

func (p *parser) Deliver(h *starttls.Host, ts int64, isOrig bool, data []byte) int {
	in := data
	for len(in) > 0 {
		rest, name, ok := tag(in)
		if !ok {
			h.Violation(ts, "Binpac exception: XMPP token")
			return len(data)
		}
		in = rest
		p.token(h, ts, isOrig, name)
		if h.HandedOff() || h.Stopped() {
			return len(data) - len(in)
		}
	}
	return len(data)
}

func (p *parser) token(h *starttls.Host, ts int64, isOrig bool, name []byte) {
	noNS := name
	if i := bytes.IndexByte(name, ':'); i >= 0 && len(name) > i+1 {
		noNS = name[i+1:]
	}
	tok := string(name)
	if isOrig && tok == "stream:stream" {
		h.Confirm(ts)
	}
	switch tok {
	case "success", "message", "db:result", "db:verify", "presence":
		h.Stop() // past the phase where StartTLS can come
		return
	}
	if isOrig && (tok == "starttls" || string(noNS) == "starttls") {
		p.clientStartTLS = true
	}
	if !isOrig && (tok == "proceed" || string(noNS) == "proceed") && p.clientStartTLS {
		h.StartTLS()
	} else if !isOrig && tok == "proceed" {
		h.Weird(ts, "XMPP: proceed without starttls", "")
	}
}

// tag parses one "<name rest>content" element: optional spacing, '<', the name
// (/\/?[?:[:alnum:]]+/), anything but angle brackets, '>', then text up to the next '<'.
func tag(b []byte) (rest, name []byte, ok bool) {
	i := 0
	for i < len(b) && (b[i] == ' ' || b[i] == '\r' || b[i] == '\n') {
		i++
	}
	if i == len(b) || b[i] != '<' {
		return nil, nil, false
	}
	i++
	start := i
	if i < len(b) && b[i] == '/' {
		i++
	}
	j := i
	for j < len(b) && isNameChar(b[j]) {
		j++
	}
	if j == i {
		return nil, nil, false
	}
	name = b[start:j]
	for j < len(b) && b[j] != '<' && b[j] != '>' {
		j++
	}
	if j == len(b) || b[j] != '>' {
		return nil, nil, false
	}
	j++
	for j < len(b) && b[j] != '<' && b[j] != '>' {
		j++
	}
	return b[j:], name, true
}

func isNameChar(c byte) bool {
	return c == '?' || c == ':' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}
