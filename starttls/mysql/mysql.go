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

const (
	clientConnectWithDB = 0x00000008
	clientSSL           = 0x00000800
	clientPluginAuth    = 0x00080000
	clientConnectAttrs  = 0x00100000
	clientZstd          = 0x04000000
)

// handshakeResponse reports whether body holds a whole handshake response of the
// protocol version (Zeek's Handshake_Response_Packet): for 10, the fixed 32 bytes, then
// (without CLIENT_SSL) the user name, the length-encoded password and the fields the
// capability flags announce; for 9, the flags, maximum packet size, user name and
// authentication response.
func handshakeResponse(version int, b []byte) bool {
	if version == 9 {
		if len(b) < 5 {
			return false
		}
		flags := binary.LittleEndian.Uint16(b)
		b, ok := nulString(b[5:])
		if b, ok = nulString(b); !ok {
			return false
		}
		if flags&clientConnectWithDB != 0 {
			_, ok = nulString(b)
		}
		return ok
	}
	if len(b) < 32 {
		return false
	}
	flags := binary.LittleEndian.Uint32(b)
	if flags&clientSSL != 0 {
		return true
	}
	b, ok := nulString(b[32:])
	if !ok {
		return false
	}
	if b, ok = lengthEncoded(b); !ok {
		return false
	}
	if flags&clientConnectWithDB != 0 {
		if b, ok = nulString(b); !ok {
			return false
		}
	}
	if flags&clientPluginAuth != 0 {
		if rest, ok := nulString(b); ok {
			b = rest
		}
	}
	if flags&clientConnectAttrs != 0 {
		if len(b) < 1 || len(b) < 1+int(b[0]) {
			return false
		}
		b = b[1+int(b[0]):]
	}
	if flags&clientZstd != 0 && len(b) < 1 {
		return false
	}
	return true
}

// nulString splits a NUL-terminated string off b.
func nulString(b []byte) ([]byte, bool) {
	for i, c := range b {
		if c == 0 {
			return b[i+1:], true
		}
	}
	return nil, false
}

// lengthEncoded splits a length-encoded string off b.
func lengthEncoded(b []byte) ([]byte, bool) {
	if len(b) < 1 {
		return nil, false
	}
	n, hdr := uint64(b[0]), 1
	switch b[0] {
	case 0xfb, 0xff:
		n = 0
	case 0xfc:
		hdr = 3
	case 0xfd:
		hdr = 4
	case 0xfe:
		hdr = 9
	}
	if len(b) < hdr {
		return nil, false
	}
	if hdr > 1 {
		var v [8]byte
		copy(v[:], b[1:hdr])
		n = binary.LittleEndian.Uint64(v[:])
	}
	if n > uint64(len(b)-hdr) {
		return nil, false
	}
	return b[hdr+int(n):], true
}

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
	// Zeek confirms once its Handshake_Response_Packet parsed whole.
	if !handshakeResponse(p.version, body) {
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
