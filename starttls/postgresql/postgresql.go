// Package postgresql is tlsmon's PostgreSQL analyzer: when the client opens with an
// SSLRequest and the server answers 'S', the rest of the stream is handed to the SSL
// analyzer, as Zeek's PostgreSQL analyzer does.
package postgresql

import (
	"bytes"
	"encoding/binary"
	"strconv"

	"github.com/tlsmon/tlsmon/analyzer"
	"github.com/tlsmon/tlsmon/starttls"
)

// Ports are Zeek's PostgreSQL::ports.
var Ports = []uint16{5432}

// sslRequest is the 8-byte SSLRequest message: length 8, code 80877103.
var sslRequest = []byte{0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f}

// Spec describes the PostgreSQL analyzer for attachment: by port, and by Zeek's signature
// dpd_postgresql_client_sslrequest (its companion on the server, an 'S' or 'N' reply, is
// what the analyzer itself requires before it acts).
func Spec() analyzer.Spec {
	return analyzer.Spec{Name: "PostgreSQL", TCPPorts: Ports, Match: Match, New: New}
}

// Match reports whether payload, the first bytes of one direction, is an SSLRequest from
// the originator.
func Match(isOrig bool, payload []byte) bool {
	return isOrig && len(payload) >= len(sslRequest) && bytes.Equal(payload[:len(sslRequest)], sslRequest)
}

// New returns a PostgreSQL analyzer for env's connection.
func New(env *analyzer.Env) analyzer.Analyzer {
	h := starttls.NewHost(env, "PostgreSQL", &parser{})
	h.AnalyzePartial() // Zeek's Spicy analyzers parse partial connections too
	return h
}

// maxBuffered is how many client chunks are held while the server has not answered an
// SSLRequest (Zeek's MAX_BUFFERED).
const maxBuffered = 4

const (
	stateStart = iota
	stateRequested
	stateTLS
	stateEnded
	stateStartup // a plain StartupMessage is arriving (no TLS can follow)
)

type parser struct {
	state   int
	head    starttls.Acc // the client's first 8 bytes
	held    starttls.Acc // client bytes sent before the server answered
	nheld   int
	backend byte // 'S' or 'N' once answered
	startup int  // the StartupMessage's length (stateStartup)
}

func (p *parser) Deliver(h *starttls.Host, ts int64, isOrig bool, data []byte) int {
	if isOrig {
		p.client(h, ts, data)
	} else {
		p.server(h, ts, data)
	}
	return len(data)
}

func (p *parser) client(h *starttls.Host, ts int64, data []byte) {
	switch p.state {
	case stateStart:
		n := min(8-len(p.head.Bytes()), len(data))
		p.head.Append(data[:n])
		data = data[n:]
		if len(p.head.Bytes()) < 8 {
			return
		}
		hd := p.head.Bytes()
		length, code := binary.BigEndian.Uint32(hd), binary.BigEndian.Uint32(hd[4:])
		p.head.Release()
		if length < 8 {
			h.Violation(ts, "error while parsing PostgreSQL: length too short")
			return
		}
		if length != 8 || code != 80877103 {
			if major := code >> 16; major != 3 {
				h.Violation(ts, "error while parsing PostgreSQL: unsupported PostgreSQL major version "+strconv.Itoa(int(major)))
				return
			}
			// A plain StartupMessage: TLS cannot follow. Zeek confirms the protocol once
			// the whole message parsed (StartupMessage's %done).
			if length < 9 {
				h.Violation(ts, "error while parsing PostgreSQL StartupMessage: length too short")
				return
			}
			if length > starttls.MaxMessage {
				h.Stop() // larger than any real StartupMessage: not followed
				return
			}
			p.state, p.startup = stateStartup, int(length)
			p.startupData(h, ts, data)
			return
		}
		p.state = stateRequested
		if len(data) > 0 {
			p.hold(h, ts, data)
		}
	case stateRequested:
		if p.backend == 0 {
			p.hold(h, ts, data)
			return
		}
	case stateStartup:
		p.startupData(h, ts, data)
	case stateTLS:
		if held := p.held.Bytes(); len(held) > 0 {
			h.Forward(ts, true, held)
			p.held.Release()
		}
		h.Forward(ts, true, data)
	}
}

// startupData gathers the StartupMessage's parameters (the bytes after its 8-byte header)
// and, once all are there, checks them as Zeek's StartupMessage unit does: name/value
// pairs, each NUL-terminated (names of [-_/A-Za-z0-9], values of printable ASCII), then a
// final NUL. A well-formed message confirms the protocol.
func (p *parser) startupData(h *starttls.Host, ts int64, data []byte) {
	need := p.startup - 8 - len(p.head.Bytes())
	p.head.Append(data[:min(need, len(data))])
	b := p.head.Bytes()
	if len(b) < p.startup-8 {
		return
	}
	p.head.Release()
	p.state = stateEnded
	if !startupParams(b[:len(b)-1]) || b[len(b)-1] != 0 {
		h.Violation(ts, "error while parsing PostgreSQL StartupMessage: bad parameters")
		return
	}
	h.Confirm(ts)
	h.Stop()
}

// startupParams reports whether b is a list of StartupParameters.
func startupParams(b []byte) bool {
	for len(b) > 0 {
		for _, class := range []func(byte) bool{isParamName, isParamValue} {
			i := 0
			for i < len(b) && class(b[i]) {
				i++
			}
			if i == 0 || i == len(b) || b[i] != 0 {
				return false
			}
			b = b[i+1:]
		}
	}
	return true
}

func isParamName(c byte) bool {
	return c == '-' || c == '_' || c == '/' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9'
}

func isParamValue(c byte) bool { return c >= 0x20 && c <= 0x7e }

func (p *parser) hold(h *starttls.Host, ts int64, data []byte) {
	p.nheld++
	if p.nheld > maxBuffered || !p.held.Append(data) {
		h.Violation(ts, "error while parsing PostgreSQL: too many frontend messages buffered")
	}
}

func (p *parser) server(h *starttls.Host, ts int64, data []byte) {
	switch p.state {
	case stateStart:
		h.Stop() // the server spoke first: not an SSLRequest exchange
	case stateRequested:
		if len(data) == 0 {
			return
		}
		b := data[0]
		if b != 'S' && b != 'N' {
			h.Violation(ts, "error while parsing PostgreSQL: bad SSL reply")
			return
		}
		p.backend = b
		h.Confirm(ts)
		if b == 'N' {
			h.Stop() // plain text follows
			return
		}
		p.state = stateTLS
		h.AttachSSL()
		h.Forward(ts, false, data[1:])
	case stateTLS:
		h.Forward(ts, false, data)
	}
}

// EndOfData ends the SSL analyzer when the client's side ends: in Zeek the client's parser
// owns the sink feeding the SSL analyzer, and closing it ends that analyzer for both
// directions.
func (p *parser) EndOfData(h *starttls.Host, ts int64, isOrig bool) {
	if isOrig && p.state == stateTLS {
		p.state = stateEnded
		h.DropChild(ts)
	}
}
