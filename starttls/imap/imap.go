// Package imap is tlsmon's IMAP analyzer: it reads tagged lines until the server answers a
// client's STARTTLS with OK, then hands the stream to the SSL analyzer, as Zeek's IMAP
// analyzer does. As in Zeek, every delivery is parsed on its own (no bytes are kept
// between deliveries), and parsing ends once the client authenticates or issues commands
// that show the StartTLS phase is over.
package imap

import (
	"bytes"

	"github.com/tlsmon/tlsmon/analyzer"
	"github.com/tlsmon/tlsmon/starttls"
)

// Ports are Zeek's IMAP::ports.
var Ports = []uint16{143}

// Spec describes the IMAP analyzer for attachment by port.
func Spec() analyzer.Spec {
	return analyzer.Spec{Name: "IMAP", TCPPorts: Ports, New: New}
}

// New returns an IMAP analyzer for env's connection.
func New(env *analyzer.Env) analyzer.Analyzer { return starttls.NewHost(env, "IMAP", &parser{}) }

// maxTag caps the remembered tag of the client's STARTTLS.
const maxTag = 64

type parser struct {
	startTLSTag []byte // nil until the client sent STARTTLS
}

func (p *parser) Deliver(h *starttls.Host, ts int64, isOrig bool, data []byte) int {
	in := data
	for len(in) > 0 {
		rest, tag, cmd, ok := token(in, isOrig)
		if !ok {
			h.Violation(ts, "Binpac exception: IMAP token")
			return len(data)
		}
		in = rest
		p.token(h, ts, isOrig, tag, cmd)
		if h.HandedOff() || h.Stopped() {
			return len(data) - len(in)
		}
	}
	return len(data)
}

func (p *parser) token(h *starttls.Host, ts int64, isOrig bool, tag, cmd []byte) {
	lower := bytes.EqualFold
	if !isOrig && string(tag) == "*" && lower(cmd, []byte("ok")) {
		h.Confirm(ts)
	}
	if isOrig && (string(cmd) == "capability" || lower(cmd, []byte("starttls"))) {
		h.Confirm(ts)
	}
	switch string(cmd) {
	case "authenticate", "login", "examine", "create", "list", "fetch":
		h.Confirm(ts)
		h.Stop() // past the phase where StartTLS can come
		return
	}
	if isOrig && lower(cmd, []byte("starttls")) {
		if p.startTLSTag != nil {
			h.Weird(ts, "IMAP: client sent duplicate StartTLS", "")
		}
		p.startTLSTag = append(p.startTLSTag[:0], tag[:min(len(tag), maxTag)]...)
	}
	if !isOrig && p.startTLSTag != nil && len(tag) <= maxTag && bytes.Equal(tag, p.startTLSTag) {
		if lower(cmd, []byte("ok")) {
			h.StartTLS()
		} else {
			h.Weird(ts, "IMAP: server refused StartTLS", "")
		}
	}
}

// token parses one "tag SP command [text] CRLF" element of a delivery.
func token(b []byte, isOrig bool) (rest, tag, cmd []byte, ok bool) {
	n := span(b, isTagChar)
	if n == 0 {
		return nil, nil, nil, false
	}
	tag, b = b[:n], b[n:]
	n = span(b, isSP)
	if n == 0 {
		return nil, nil, nil, false
	}
	b = b[n:]
	n = span(b, isTagChar)
	if n == 0 {
		return nil, nil, nil, false
	}
	cmd, b = b[:n], b[n:]
	b = b[span(b, isSP):]
	if !isOrig && string(tag) == "*" && bytes.EqualFold(cmd, []byte("capability")) {
		for {
			n = span(b, isTagChar)
			if n == 0 {
				return nil, nil, nil, false
			}
			b = b[n:]
			b = b[span(b, isSP):]
			if n = span(b, isNL); n > 0 {
				return b[n:], tag, cmd, true
			}
		}
	}
	b = b[span(b, func(c byte) bool { return !isNL(c) }):]
	n = span(b, isNL)
	if n == 0 {
		return nil, nil, nil, false
	}
	return b[n:], tag, cmd, true
}

func span(b []byte, f func(byte) bool) int {
	for i, c := range b {
		if !f(c) {
			return i
		}
	}
	return len(b)
}

func isTagChar(c byte) bool { return c > ' ' && c < 0x7f } // [[:alnum:][:punct:]]
func isSP(c byte) bool      { return c == ' ' }
func isNL(c byte) bool      { return c == '\r' || c == '\n' }
