package ssl

import (
	"strconv"
)

// Resynchronisation after a content gap (analyzer.Options.Recover; Zeek stops at the first
// gap). A direction that lost bytes, or whose start was not captured, throws its partial
// record and handshake message away and looks for the next record boundary in what follows;
// nothing before that boundary is parsed, so nothing is guessed. A boundary is claimed only
// when a plausible header (content type 20–24, version 3.0–3.3, a length a record can have)
// is confirmed by a second plausible header right after its record (a connection picked up
// mid-stream needs more: a clear handshake record holding whole messages). A fake header
// inside ciphertext passes the first test with a probability of about 1e-6 per offset, and
// the confirmation with about 1e-6 more. The last record of a flight is therefore confirmed
// only when the direction sends the next one. Once found, the weird
// SSL_resynchronized says where (stream offset of the boundary, bytes skipped); the first
// clear handshake record after it is parsed only if it holds whole handshake messages (a
// record continuing a message begun in the lost bytes is dropped, and the next one tried).

// maxRecordLength is the largest record length accepted as plausible (TLSCiphertext:
// 2^14 + 2048).
const maxRecordLength = 1<<14 + 2048

// resync is one direction's recovery state.
type resync struct {
	active  bool   // looking for a record boundary
	seen    bool   // the direction delivered something (partial connections start active)
	hsCheck bool   // the next clear handshake record must hold whole messages
	buf     []byte // bytes received since the gap, from the first offset still undecided
	offset  uint64 // stream offset of buf[0] (bytes delivered or lost in the direction)
	skipped uint64 // bytes dropped since the gap
	lost    uint64 // bytes lost in the gap(s) being resynchronised over
	partial bool   // the direction's start was not captured
	// resynced: a boundary was found after a gap; application data then implies the
	// direction is encrypted (its change_cipher_spec may be among the lost bytes)
	resynced bool
}

// plausibleHeader reports whether h (at least 5 bytes) can start a TLS record, and its
// length.
func plausibleHeader(h []byte) (int, bool) {
	if h[0] < ctChangeCipherSpec || h[0] > ctHeartbeat || h[1] != 3 || h[2] > 3 {
		return 0, false
	}
	n := int(h[3])<<8 | int(h[4])
	if n == 0 || n > maxRecordLength || (h[0] == ctChangeCipherSpec && n != 1) {
		return 0, false
	}
	return n, true
}

// findBoundary looks for a confirmed record boundary in b (see the top of this file). It
// returns the boundary's offset and true, or the offset before which no boundary can be
// confirmed any more (the caller drops those bytes and waits for more) and false. With
// handshakeOnly (a connection picked up mid-stream), only a clear handshake record holding
// whole handshake messages is a boundary: a pickup in the middle of ciphertext would teach
// nothing but could claim much.
func findBoundary(b []byte, handshakeOnly bool) (int, bool) {
	keep := -1
	for i := 0; i+5 <= len(b); i++ {
		n, ok := plausibleHeader(b[i:])
		if !ok || (handshakeOnly && b[i] != ctHandshake) {
			continue
		}
		j := i + 5 + n
		switch {
		case handshakeOnly && j <= len(b):
			if wholeMessages(b[i+5 : j]) {
				return i, true
			}
		case handshakeOnly:
			if keep < 0 {
				keep = i
			}
		case j+5 <= len(b):
			if _, ok := plausibleHeader(b[j:]); ok {
				return i, true
			}
		case keep < 0:
			keep = i // undecided until more bytes arrive
		}
	}
	if keep >= 0 {
		return keep, false
	}
	return max(0, len(b)-4), false
}

// boundaryAtEnd looks, in the bytes a direction left when it ended, for a plausible header
// whose chain of records ends exactly at the end of the stream: the end confirms the last
// record as a following header would (about 1e-6 × 1/18432 per offset for a fake).
func boundaryAtEnd(b []byte, handshakeOnly bool) (int, bool) {
	for i := 0; i+5 <= len(b); i++ {
		j := i
		for j+5 <= len(b) {
			n, ok := plausibleHeader(b[j:])
			if !ok || (handshakeOnly && (b[j] != ctHandshake || j+5+n > len(b) || !wholeMessages(b[j+5:j+5+n]))) {
				break
			}
			j += 5 + n
		}
		if j == len(b) && j > i {
			return i, true
		}
	}
	return 0, false
}

// knownHandshakeType: the handshake message types a clear handshake record can carry.
func knownHandshakeType(t byte) bool {
	switch t {
	case hsHelloRequest, hsClientHello, hsServerHello, hsHelloVerifyRequest, hsSessionTicket,
		5, 8, hsCertificate, hsServerKeyExchange, hsCertificateRequest, hsServerHelloDone,
		hsCertificateVerify, hsClientKeyExchange, hsFinished, hsCertificateURL,
		hsCertificateStatus, 23, 24, 25, 67:
		return true
	}
	return false
}

// wholeMessages reports whether b (a handshake record's body) is a sequence of whole
// handshake messages of known types.
func wholeMessages(b []byte) bool {
	for len(b) > 0 {
		if len(b) < 4 || !knownHandshakeType(b[0]) {
			return false
		}
		n := msgLen(b)
		if 4+n > len(b) {
			return false
		}
		b = b[4+n:]
	}
	return true
}

// gapRecover starts (or extends) the resynchronisation of a direction after n lost bytes.
func (a *session) gapRecover(isOrig bool, n uint64) {
	i := dirIndex(isOrig)
	rs := &a.rs[i]
	rs.seen = true
	a.rec.lost = true
	if !rs.active {
		a.dropPartial(i)
		rs.active = true
		rs.offset += uint64(len(rs.buf))
		rs.buf = rs.buf[:0]
		rs.skipped, rs.lost = 0, 0
	} else {
		// bytes held across the gap are not contiguous with what follows: drop them
		rs.skipped += uint64(len(rs.buf))
		rs.offset += uint64(len(rs.buf))
		rs.buf = rs.buf[:0]
	}
	rs.offset += n
	rs.lost += n
}

// dropPartial forgets a direction's incomplete record and handshake message.
func (a *session) dropPartial(i int) {
	d := &a.dir[i]
	a.releaseBuf(d)
	emptyRun := d.emptyRun
	*d = recordDir{emptyRun: emptyRun}
	r := &a.hs.dir[i]
	r.release()
	*r = hsReasm{sh: r.sh, buf: r.buf[:0], chunks: r.chunks[:0], mem: r.mem}
}

// resyncData scans data of a resynchronising direction for a record boundary and parses
// the records from there.
func (a *session) resyncData(isOrig bool, data []byte) {
	i := dirIndex(isOrig)
	rs := &a.rs[i]
	rs.buf = append(rs.buf, data...)
	off, ok := findBoundary(rs.buf, rs.partial)
	if !ok {
		rs.skipped += uint64(off)
		rs.offset += uint64(off)
		rs.buf = rs.buf[:copy(rs.buf, rs.buf[off:])]
		return
	}
	a.found(isOrig, rs, off)
}

// found resumes the parsing of a direction at the boundary off of its resync buffer.
func (a *session) found(isOrig bool, rs *resync, off int) {
	rs.skipped += uint64(off)
	rs.offset += uint64(off)
	why := strconv.FormatUint(rs.lost, 10) + " bytes lost"
	if rs.partial {
		why = "start not captured"
	}
	a.ev.emitWeird("SSL_resynchronized", origLabel(isOrig)+" at stream offset "+strconv.FormatUint(rs.offset, 10)+
		" ("+why+", "+strconv.FormatUint(rs.skipped, 10)+" bytes skipped)")
	if rs.skipped > 0 {
		a.rec.lost = true
	}
	rs.active, rs.hsCheck, rs.resynced, rs.partial = false, true, true, false
	rest := rs.buf[off:]
	rs.offset += uint64(len(rest))
	a.records(isOrig, rest)
	if cap(rs.buf) > 64<<10 {
		rs.buf = nil
	} else {
		rs.buf = rs.buf[:0]
	}
}

// recoverDelivery handles a delivery under Options.Recover: it reports whether the
// direction is resynchronising (and took the data).
func (a *session) recoverDelivery(isOrig bool, data []byte, partial bool) bool {
	rs := &a.rs[dirIndex(isOrig)]
	if !rs.seen {
		rs.seen = true
		if partial {
			rs.active, rs.partial = true, true
		}
	}
	if !rs.active {
		rs.offset += uint64(len(data))
		return false
	}
	a.resyncData(isOrig, data)
	return true
}

// resyncEnd runs when a resynchronising direction ended (FIN): its last records are
// confirmed by the end of the stream.
func (a *session) resyncEnd(isOrig bool) {
	rs := &a.rs[dirIndex(isOrig)]
	if !rs.active || len(rs.buf) == 0 || a.stopped() {
		return
	}
	off, ok := boundaryAtEnd(rs.buf, rs.partial)
	if !ok {
		return
	}
	a.found(isOrig, rs, off)
	a.endOfCall()
}

// wholeRecordCheck applies the rule for the first clear handshake record after a boundary
// was found: false when the record must be dropped. It also settles a resynchronised
// direction's encryption when its change_cipher_spec may have been lost: a clear alert is
// two bytes (a few alerts at most in one record), an encrypted one at least 18 (2 + an AEAD
// tag), so a record of 18 bytes or more is ciphertext.
func (a *session) wholeRecordCheck(isOrig bool, d *recordDir, body []byte) bool {
	rs := &a.rs[dirIndex(isOrig)]
	if rs.resynced && d.contentType == ctAlert && d.length >= 18 && !a.rec.Encrypted(isOrig) {
		a.rec.StartEncryption(isOrig)
	}
	if !rs.hsCheck || d.contentType != ctHandshake || a.rec.Encrypted(isOrig) {
		return true
	}
	if d.fed > 0 || !wholeMessages(body) {
		return false
	}
	rs.hsCheck = false
	return true
}
