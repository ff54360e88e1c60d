package dtls

import "fmt"

// Reassembler rebuilds fragmented handshake messages of one direction the way Zeek's DTLS
// analyzer does (proc_handshake in dtls-analyzer.pac), which is simpler than RFC 6347:
//
//   - A fragment that is a whole message (offset 0, fragment length = message length) is
//     handed on at once, with all the bytes that follow its header in the record, and
//     leaves the reassembly state alone.
//   - Only one message is reassembled at a time. A fragment of another message_seq or
//     message length abandons what was buffered and starts anew.
//   - Fragments are told apart by their record sequence number, not by their byte range:
//     the message is complete when every record sequence number from the first fragment
//     (offset 0) to the last one (the fragment reaching the message end) has contributed a
//     fragment. Overlaps are copied over; a retransmitted record (same sequence number) is
//     ignored. Holes in the byte range are not detected (they stay zero).
//   - The fragments of one message must lie within 32 record sequence numbers, and first
//     and last within 30; a message may be at most MaxHandshakeMessage bytes.
//   - Once complete, the state is kept: a later fragment of the same message under a new
//     record sequence number (a retransmission) completes, and hands on, the message again.
//
// Memory: the buffer grows to the largest message reassembled and is kept for the next
// one. When the reassembler belongs to an Analyzer, each growth is charged to the
// connection's cap and to the shared Budget; a refused growth drops the fragment, frees the
// buffer and leaves a weird for the analyzer to raise (Zeek has no such cap).
//
// Violations are returned as reasons; the caller reports them. The zero value is ready.
type Reassembler struct {
	firstSeq  uint64 // smallest record sequence number seen for the message
	lastSeq   uint64 // record sequence number of the fragment that reached the end; 0 = none
	seen      uint32 // bit i: record firstSeq+i contributed
	length    uint32
	msgSeq    uint16
	firstSeen bool // the fragment at offset 0 arrived
	active    bool
	buf       []byte      // len(buf) == length while active; capacity reused across messages
	mem       *memAccount // accounts for cap(buf); nil: no caps
}

// Add processes one handshake fragment carried by the record with sequence number recSeq;
// data is everything after the fragment header within the record. It returns the complete
// message when this fragment completes one (aliasing data or the reassembly buffer: valid
// until the next call), ok reporting whether a message is returned, and a non-empty
// violation when Zeek would report a protocol violation (the fragment is then dropped).
func (r *Reassembler) Add(recSeq uint64, h HandshakeHeader, data []byte) (msg []byte, ok bool, violation string) {
	foff := uint64(h.FragmentOffset)
	flen := uint64(h.FragmentLength)
	length := uint64(h.Length)
	if foff == 0 && length == flen {
		return data, true, ""
	}
	if length > MaxHandshakeMessage {
		return nil, false, fmt.Sprintf("DTLS record length %d larger than allowed maximum.", length)
	}
	if !r.active || r.msgSeq != h.MessageSeq || uint64(r.length) != length {
		if !r.reset(h.MessageSeq, uint32(length), recSeq) {
			return nil, false, ""
		}
	}

	dist := recSeq - r.firstSeq
	if r.firstSeq > recSeq {
		dist = r.firstSeq - recSeq
	}
	if dist >= reassemblyWindow {
		return nil, false, "DTLS handshake fragment sequence number outside reassembly window."
	}
	if r.firstSeq > recSeq {
		if r.firstSeen {
			return nil, false, "Saw second and different first message fragment for handshake."
		}
		r.seen <<= r.firstSeq - recSeq
		r.firstSeq = recSeq
	}
	if foff == 0 {
		r.firstSeen = true
	}
	bit := uint32(1) << (recSeq - r.firstSeq)
	if r.seen&bit != 0 {
		return nil, false, ""
	}
	if uint64(len(data)) != flen {
		return nil, false, "DTLS handshake record length does not match packet length"
	}
	if foff+flen > length {
		return nil, false, "DTLS handshake fragment trying to write past end of buffer"
	}
	r.seen |= bit
	copy(r.buf[foff:], data)
	if foff+flen == length {
		r.lastSeq = recSeq
	}
	if r.lastSeq == 0 || !r.firstSeen {
		return nil, false, ""
	}
	span := r.lastSeq - r.firstSeq
	if span > maxFragmentSpan {
		return nil, false, "DTLS Message fragmented over more than 30 pieces. Cannot reassemble."
	}
	want := uint32(1)<<(span+1) - 1
	if ^r.seen&want != 0 {
		return nil, false, ""
	}
	return r.buf, true, ""
}

// Buffered returns the number of bytes held for the message being reassembled.
func (r *Reassembler) Buffered() int { return len(r.buf) }

// Held returns the capacity of the reassembly buffer: the memory the reassembler holds.
func (r *Reassembler) Held() int { return cap(r.buf) }

// Release frees the buffer and forgets the message being reassembled.
func (r *Reassembler) Release() {
	if r.mem != nil {
		r.mem.free(cap(r.buf))
	}
	*r = Reassembler{mem: r.mem}
}

// reset starts the reassembly of a new message. It returns false when the buffer the
// message needs is refused by a cap: the reassembler is then released (inactive).
func (r *Reassembler) reset(msgSeq uint16, length uint32, firstSeq uint64) bool {
	if cap(r.buf) < int(length) && r.mem != nil && !r.mem.grow(cap(r.buf), int(length)) {
		r.Release()
		return false
	}
	*r = Reassembler{buf: r.buf, mem: r.mem}
	r.active = true
	r.msgSeq = msgSeq
	r.length = length
	r.firstSeq = firstSeq
	if cap(r.buf) < int(length) {
		r.buf = make([]byte, length)
	} else {
		r.buf = r.buf[:length]
		clear(r.buf)
	}
	return true
}
