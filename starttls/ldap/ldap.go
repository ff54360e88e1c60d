// Package ldap is tlsmon's LDAP analyzer (Zeek's LDAP_TCP): when the server answers the
// client's StartTLS extended request (OID 1.3.6.1.4.1.1466.20037) with success, the rest of
// the stream is handed to the SSL analyzer, as Zeek's LDAP analyzer does.
package ldap

import (
	"github.com/tlsmon/tlsmon/analyzer"
	"github.com/tlsmon/tlsmon/starttls"
)

// Ports are Zeek's LDAP::ports_tcp.
var Ports = []uint16{389, 3268}

// Spec describes the LDAP analyzer for attachment by port.
func Spec() analyzer.Spec {
	return analyzer.Spec{Name: "LDAP_TCP", TCPPorts: Ports, New: New}
}

// New returns an LDAP analyzer for env's connection.
func New(env *analyzer.Env) analyzer.Analyzer {
	h := starttls.NewHost(env, "LDAP_TCP", &parser{})
	h.AnalyzePartial() // Zeek's Spicy analyzers parse partial connections too
	return h
}

const startTLSOID = "1.3.6.1.4.1.1466.20037"

const (
	opExtendedRequest  = 23
	opExtendedResponse = 24
)

type parser struct {
	acc       [2]starttls.Acc
	skip      [2]uint64 // bytes left of a message too large to buffer
	requested bool
}

func (p *parser) Deliver(h *starttls.Host, ts int64, isOrig bool, data []byte) int {
	d := 1
	if isOrig {
		d = 0
	}
	a := &p.acc[d]
	off := 0
	for off < len(data) {
		if p.skip[d] > 0 {
			n := min(uint64(len(data)-off), p.skip[d])
			p.skip[d] -= n
			off += int(n)
			continue
		}
		// Read up to the end of the current message, or what is there while its length
		// is unknown.
		need := len(data) - off
		if total, ok := msgLen(a.Bytes()); ok {
			need = min(need, total-len(a.Bytes()))
		} else {
			need = min(need, 6-len(a.Bytes())) // enough for the longest header read here
		}
		if need <= 0 {
			need = 1
		}
		a.Append(data[off : off+need])
		off += need
		b := a.Bytes()
		if len(b) > 0 && b[0] != 0x30 {
			h.Violation(ts, "LDAP message is not a sequence")
			return len(data)
		}
		total, ok := msgLen(b)
		if !ok {
			if len(b) >= 6 {
				h.Violation(ts, "LDAP message length not supported")
				return len(data)
			}
			continue
		}
		if total > starttls.MaxMessage {
			h.Weird(ts, "ldap_message_too_large", "")
			p.skip[d] = uint64(total - len(b))
			a.Release()
			continue
		}
		if len(b) < total {
			continue
		}
		p.message(h, ts, b[:total])
		a.Consume(total)
		if h.HandedOff() || h.Stopped() {
			return off
		}
	}
	return len(data)
}

// msgLen returns the total length (header included) of the BER element starting b, once
// its header is complete.
func msgLen(b []byte) (int, bool) {
	if len(b) < 2 {
		return 0, false
	}
	l := int(b[1])
	if l < 0x80 {
		return 2 + l, true
	}
	n := l & 0x7f
	if n == 0 || n > 4 {
		return 0, false
	}
	if len(b) < 2+n {
		return 0, false
	}
	v := 0
	for _, c := range b[2 : 2+n] {
		v = v<<8 | int(c)
	}
	return 2 + n + v, true
}

// element splits the first BER element of b: its tag byte, content and the rest.
func element(b []byte) (tag byte, content, rest []byte, ok bool) {
	total, ok := msgLen(b)
	if !ok || total > len(b) {
		return 0, nil, nil, false
	}
	hdr := 2
	if b[1] >= 0x80 {
		hdr += int(b[1] & 0x7f)
	}
	return b[0], b[hdr:total], b[total:], true
}

func (p *parser) message(h *starttls.Host, ts int64, msg []byte) {
	_, body, _, ok := element(msg)
	if !ok {
		h.Violation(ts, "LDAP message malformed")
		return
	}
	tag, _, body, ok := element(body) // messageID
	if !ok || tag != 0x02 {
		h.Violation(ts, "LDAP messageID malformed")
		return
	}
	tag, op, _, ok := element(body)
	if !ok || tag&0xc0 != 0x40 {
		h.Violation(ts, "LDAP protocolOp malformed")
		return
	}
	h.Confirm(ts)
	switch tag & 0x1f {
	case opExtendedRequest:
		if t, name, _, ok := element(op); ok && t&0xc0 == 0x80 && string(name) == startTLSOID {
			p.requested = true
		}
	case opExtendedResponse:
		t, code, _, ok := element(op)
		if ok && t == 0x0a && len(code) > 0 && p.requested && lastByte(code) == 0 && allZero(code) {
			p.acc[0].Release()
			p.acc[1].Release()
			h.StartTLS()
		}
	}
}

func lastByte(b []byte) byte { return b[len(b)-1] }

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}
