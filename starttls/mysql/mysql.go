// Package mysql is tlsmon's MySQL analyzer: when the client's handshake response to a
// protocol-10 server greeting sets CLIENT_SSL, the rest of the stream is handed to the SSL
// analyzer, as Zeek's MySQL analyzer does.
package mysql

import (
	"encoding/binary"

	"github.com/tlsmon/tlsmon/analyzer"
	"github.com/tlsmon/tlsmon/starttls"
)

// Ports are Zeek's MySQL::ports.
var Ports = []uint16{1434, 3306}

// Spec describes the MySQL analyzer for attachment by port.
func Spec() analyzer.Spec {
	return analyzer.Spec{Name: "MySQL", TCPPorts: Ports, New: New}
}

// New returns a MySQL analyzer for env's connection.
func New(env *analyzer.Env) analyzer.Analyzer { return starttls.NewHost(env, "MySQL", &parser{}) }

const clientSSL = 0x00000800

type parser struct {
	acc     [2]starttls.Acc
	version int // the server greeting's protocol version, 0 until seen
	greeted bool
}

func (p *parser) Deliver(h *starttls.Host, ts int64, isOrig bool, data []byte) int {
	d := 1
	if isOrig {
		d = 0
	}
	a := &p.acc[d]
	off := 0
	for off < len(data) {
		// Take what completes the current packet, or all if its length is unknown yet.
		need := len(data) - off
		if b := a.Bytes(); len(b) >= 4 {
			need = min(need, 4+int(uint32(b[0])|uint32(b[1])<<8|uint32(b[2])<<16)-len(b))
		} else {
			need = min(need, 4-len(b))
		}
		if !a.Append(data[off : off+need]) {
			h.Weird(ts, "mysql_packet_too_large", "")
			h.Stop()
			return len(data)
		}
		off += need
		b := a.Bytes()
		if len(b) < 4 {
			continue
		}
		plen := int(uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16)
		if len(b) < 4+plen {
			continue
		}
		p.packet(h, ts, isOrig, b[3], b[4:4+plen])
		a.Consume(4 + plen)
		if h.HandedOff() || h.Stopped() {
			return off
		}
	}
	return len(data)
}

func (p *parser) packet(h *starttls.Host, ts int64, isOrig bool, seq byte, body []byte) {
	if !isOrig {
		if !p.greeted && seq == 0 && len(body) > 0 {
			p.greeted = true
			p.version = int(body[0])
		}
		return
	}
	// The client's first packet is its handshake response.
	if p.version != 9 && p.version != 10 {
		h.Violation(ts, "Binpac exception: MySQL handshake response without a known server version")
		return
	}
	if p.version == 10 && len(body) < 4 {
		h.Violation(ts, "Binpac exception: MySQL handshake response too short")
		return
	}
	h.Confirm(ts)
	if p.version == 10 && binary.LittleEndian.Uint32(body)&clientSSL != 0 {
		p.acc[0].Release()
		p.acc[1].Release()
		h.StartTLS()
		return
	}
	h.Stop() // authentication in clear: TLS cannot follow
}
