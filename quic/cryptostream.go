package quic

import "fmt"

// maxMessage is the largest handshake message (its 4-byte header included) forwarded to
// the SSL analyzer: a TLS record's limit, 2^14 + 256 (RFC 8446 §5.2), as Zeek checks it.
const maxMessage = 1<<14 + 256

// maxWithoutLength is how much CRYPTO data may arrive before the message's length is known.
const maxWithoutLength = 2000

// cryptoStream reassembles one direction's CRYPTO frames by offset and forwards the first
// handshake message to the SSL analyzer as one synthetic TLS record, as Zeek's QUIC
// analyzer does with a Spicy sink: data at or before the delivered point is dropped, data
// past a hole is held until the hole is filled, and where pieces overlap the bytes that
// arrived first are kept.
type cryptoStream struct {
	delivered uint64  // bytes delivered in order
	pend      []chunk // held pieces past the delivered point, sorted, disjoint

	hdr      [9]byte // the synthetic record header and the message header
	nhdr     int     // message header bytes seen (0..4)
	length   uint64  // message length + 4; 0 until known
	left     uint64  // message body bytes still to forward
	bad      bool    // the announced length is too large: nothing is forwarded
	finished bool    // the whole message was forwarded
	refused  bool    // the memory budget refused a held piece (mem): the analysis stops

	mem *cryptoMem // the connection's draw on the memory budget (budget.go); nil: none
}

type chunk struct {
	off  uint64
	data []byte
}

// forwardFunc hands bytes to the SSL analyzer.
type forwardFunc func(data []byte)

// reset empties the stream, keeping the capacity of its chunk list.
func (s *cryptoStream) reset() {
	s.mem.release(s.held())
	pend, mem := s.pend[:0], s.mem
	clear(s.pend)
	*s = cryptoStream{pend: pend, mem: mem}
}

// held returns the bytes held past the delivered point.
func (s *cryptoStream) held() int {
	n := 0
	for _, c := range s.pend {
		n += len(c.data)
	}
	return n
}

// write adds the data of one CRYPTO frame. room is how many bytes may still be held past
// a hole (the connection's cap); write reports in dropped whether data was refused for
// lack of room. A non-nil error is a violation (Zeek: too much crypto data, or data after
// the message was complete).
func (s *cryptoStream) write(off uint64, data []byte, room int, fw forwardFunc) (dropped bool, err error) {
	if len(data) == 0 {
		return false, nil
	}
	end := off + uint64(len(data))
	if end < off { // offset overflow: treat as data that cannot be placed
		return true, nil
	}
	if end <= s.delivered {
		return false, nil
	}
	if off < s.delivered {
		data = data[s.delivered-off:]
		off = s.delivered
	}
	if off == s.delivered && len(s.pend) == 0 {
		if err := s.deliver(data, fw); err != nil {
			return false, err
		}
	} else {
		dropped = s.insert(off, data, room)
		for len(s.pend) > 0 && s.pend[0].off == s.delivered {
			c := s.pend[0]
			copy(s.pend, s.pend[1:])
			s.pend[len(s.pend)-1] = chunk{}
			s.pend = s.pend[:len(s.pend)-1]
			s.mem.release(len(c.data))
			if err := s.deliver(c.data, fw); err != nil {
				return dropped, err
			}
		}
	}
	return dropped, s.check()
}

// check applies Zeek's bound on the data delivered for the message.
func (s *cryptoStream) check() error {
	if s.length > 0 {
		if s.delivered > s.length {
			return fmt.Errorf("too much crypto data received %d > %d", s.delivered, s.length)
		}
	} else if s.delivered > maxWithoutLength {
		return fmt.Errorf("too much crypto data without length received %d", s.delivered)
	}
	return nil
}

// insert holds the parts of data not already held (first arrival wins), within room
// bytes; it reports whether anything was refused.
func (s *cryptoStream) insert(off uint64, data []byte, room int) (dropped bool) {
	end := off + uint64(len(data))
	i := 0
	for off < end {
		for i < len(s.pend) && s.pend[i].off+uint64(len(s.pend[i].data)) <= off {
			i++
		}
		pieceEnd := end
		if i < len(s.pend) {
			if s.pend[i].off <= off { // covered by a held chunk: skip past it
				off = s.pend[i].off + uint64(len(s.pend[i].data))
				continue
			}
			pieceEnd = min(end, s.pend[i].off)
		}
		n := int(pieceEnd - off)
		if n > room {
			return true
		}
		if !s.mem.draw(n) {
			s.refused = true
			return false // not the connection's cap: the caller stops the analysis
		}
		room -= n
		p := make([]byte, n)
		copy(p, data[len(data)-int(end-off):])
		s.pend = append(s.pend, chunk{})
		copy(s.pend[i+1:], s.pend[i:])
		s.pend[i] = chunk{off: off, data: p}
		i++
		off = pieceEnd
	}
	return false
}

// deliver parses in-order bytes as Zeek's CryptoSinkUnit: the message type and 24-bit
// length, then the body, forwarded as it comes.
func (s *cryptoStream) deliver(data []byte, fw forwardFunc) error {
	s.delivered += uint64(len(data))
	if s.bad {
		return nil
	}
	if s.finished {
		return errorString("more data after sink's unit has already completed parsing")
	}
	for s.nhdr < 4 && len(data) > 0 {
		s.hdr[5+s.nhdr] = data[0]
		s.nhdr++
		data = data[1:]
		if s.nhdr < 4 {
			continue
		}
		n := uint64(s.hdr[6])<<16 | uint64(s.hdr[7])<<8 | uint64(s.hdr[8])
		s.length = n + 4
		if s.length > maxMessage {
			s.bad = true
			return nil
		}
		s.hdr[0], s.hdr[1], s.hdr[2] = 0x16, 0x03, 0x03
		s.hdr[3], s.hdr[4] = byte(s.length>>8), byte(s.length)
		fw(s.hdr[:])
		s.left = n
		s.finished = n == 0
		if s.finished {
			return nil
		}
	}
	if s.nhdr < 4 || len(data) == 0 {
		return nil
	}
	take := min(uint64(len(data)), s.left)
	fw(data[:take])
	s.left -= take
	s.finished = s.left == 0
	return nil
}
