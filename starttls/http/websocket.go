package http

import (
	"encoding/binary"

	"github.com/tlsmon/tlsmon/starttls"
)

// chunkSize is Zeek's WebSocket::payload_chunk_size: payload is forwarded in pieces of at
// most this many bytes, each once complete.
const chunkSize = 8192

const (
	opContinuation = 0x0
	opText         = 0x1
	opBinary       = 0x2
)

// wsDir is one direction's frame parser.
type wsDir struct {
	hdr       [14]byte
	nhdr      int
	inFrame   bool   // the header is parsed, payload follows
	remaining uint64 // payload bytes left in the frame
	mask      [4]byte
	masked    bool
	maskIdx   uint64
	opcode    byte // the message's opcode (from its first frame)
	fin       bool
	first     bool // the next frame starts a message
	chunk     []byte
	chunkLen  int
	started   bool
}

// websocket parses WebSocket frames and forwards text and binary payload to the detection
// child, as Zeek's WebSocket analyzer does.
type websocket struct {
	dir       [2]wsDir
	confirmed bool
	failed    bool
}

func (w *websocket) deliver(h *starttls.Host, ts int64, isOrig bool, data []byte) {
	if w.failed {
		return
	}
	d := 1
	if isOrig {
		d = 0
	}
	s := &w.dir[d]
	if !s.started {
		s.started, s.first = true, true
	}
	for len(data) > 0 && !h.Stopped() {
		if !s.inFrame {
			n := min(len(data), s.hdrNeed()-s.nhdr)
			copy(s.hdr[s.nhdr:], data[:n])
			s.nhdr += n
			data = data[n:]
			if s.nhdr < s.hdrNeed() {
				continue
			}
			if !s.parseHeader() {
				w.failed = true
				h.ViolationAs(ts, "WebSocket", "websocket frame opcode out of sequence")
				return
			}
			if s.remaining == 0 {
				w.frameDone(h, ts, s)
			}
			continue
		}
		want := int(min(s.remaining, chunkSize))
		n := min(len(data), want-len(s.chunk))
		s.chunk = append(s.chunk, data[:n]...)
		data = data[n:]
		if len(s.chunk) < want {
			continue
		}
		if s.masked {
			for i := range s.chunk {
				s.chunk[i] ^= s.mask[s.maskIdx%4]
				s.maskIdx++
			}
		}
		if s.opcode == opText || s.opcode == opBinary {
			h.Forward(ts, isOrig, s.chunk)
		}
		s.remaining -= uint64(len(s.chunk))
		s.chunk = s.chunk[:0]
		if s.remaining == 0 {
			w.frameDone(h, ts, s)
		}
	}
}

func (w *websocket) frameDone(h *starttls.Host, ts int64, s *wsDir) {
	s.inFrame, s.nhdr = false, 0
	if !s.fin {
		return
	}
	s.first = true
	if !w.confirmed {
		w.confirmed = true
		h.ConfirmAs(ts, "WebSocket")
	}
}

// hdrNeed returns the header length known from the bytes so far.
func (s *wsDir) hdrNeed() int {
	if s.nhdr < 2 {
		return 2
	}
	n := 2
	switch s.hdr[1] & 0x7f {
	case 126:
		n += 2
	case 127:
		n += 8
	}
	if s.hdr[1]&0x80 != 0 {
		n += 4
	}
	return n
}

func (s *wsDir) parseHeader() bool {
	op := s.hdr[0] & 0x0f
	if (s.first && op == opContinuation) || (!s.first && op != opContinuation) {
		return false
	}
	if s.first {
		s.opcode = op
	}
	s.fin = s.hdr[0]&0x80 != 0
	s.first = false
	i := 2
	switch l := s.hdr[1] & 0x7f; l {
	case 126:
		s.remaining = uint64(binary.BigEndian.Uint16(s.hdr[2:]))
		i += 2
	case 127:
		s.remaining = binary.BigEndian.Uint64(s.hdr[2:])
		i += 8
	default:
		s.remaining = uint64(l)
	}
	s.masked = s.hdr[1]&0x80 != 0
	if s.masked {
		copy(s.mask[:], s.hdr[i:i+4])
	}
	s.maskIdx = 0
	s.inFrame = true
	return true
}
