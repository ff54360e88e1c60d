package ssl

import (
	"fmt"
	"math"
	"strconv"

	"github.com/tlsmon/tlsmon/budget"
)

// Record content types; SSLv2 message types are mapped to 300 + type, as Zeek does.
const (
	ctChangeCipherSpec  = 20
	ctAlert             = 21
	ctHandshake         = 22
	ctApplicationData   = 23
	ctHeartbeat         = 24
	ctV2Error           = 300
	ctV2ClientHello     = 301
	ctV2ClientMasterKey = 302
	ctV2ServerHello     = 304
)

var (
	// MaxAlertsPerRecord is Zeek's SSL::max_alerts_per_record: alerts beyond it in one
	// record are dropped and reported with the weird "SSL_excessive_alerts_in_record".
	MaxAlertsPerRecord = 10
	// MaxEmptyRecords is how many zero-length records in a row a direction may send before
	// the weird "SSL_excessive_empty_records" is reported (once per run).
	MaxEmptyRecords = 1000
)

// recordDir is the record layer state of one direction.
type recordDir struct {
	hdr    [5]byte
	hdrLen int    // header bytes buffered
	inBody bool   // header parsed, waiting for the body
	buf    []byte // incomplete body (bounded by the record length: < 64 KiB); nil between records
	drawn  int    // bytes of buf drawn from the memory budget (Config.Budget)
	// unread: the body is counted, not buffered (see bodyUnread); got is its bytes so far
	unread bool
	got    int
	// fed: the body's first bytes that went to the handshake layer as they arrived
	// (Handshake.feed) instead of being gathered in buf
	fed int

	// the current record
	length      int
	contentType int
	rawVersion  uint16
	head3       byte
	head4       byte

	emptyRun int
}

// records splits data into records, buffering an incomplete one.
func (a *session) records(isOrig bool, data []byte) {
	d := &a.dir[dirIndex(isOrig)]
	for len(data) > 0 && !a.skip {
		if !d.inBody {
			var hdr []byte
			if d.hdrLen == 0 && len(data) >= 5 {
				hdr = data[:5]
				data = data[5:]
			} else {
				n := copy(d.hdr[d.hdrLen:], data)
				d.hdrLen += n
				data = data[n:]
				if d.hdrLen < 5 {
					return
				}
				d.hdrLen = 0
				hdr = d.hdr[:]
			}
			if !a.header(isOrig, d, hdr) {
				return
			}
			d.inBody = true
			d.unread = d.length > len(data) && a.bodyUnread(isOrig, d)
			d.got, d.fed = 0, 0
		}
		if d.unread {
			take := min(d.length-d.got, len(data))
			d.got += take
			data = data[take:]
			if d.got < d.length {
				return
			}
			d.inBody, d.unread = false, false
			a.unreadRecord(isOrig, d)
			continue
		}
		rest := d.length - d.fed // the body bytes not handed on yet
		var body []byte
		if len(d.buf) == 0 && len(data) >= rest {
			body = data[:rest]
			data = data[rest:]
		} else {
			if len(d.buf) == 0 && d.contentType == ctHandshake && !a.rec.Encrypted(isOrig) {
				// A clear handshake record split over segments: while its bytes only extend
				// a handshake message begun earlier, they go to the message's reassembly
				// at once instead of being gathered here first (one copy instead of two:
				// 93 of the 135 MB this layer gathered on perfmix, whose 339 kB certificate
				// comes in 21 records of ≈ 12 segments each).
				n := a.hs.feed(isOrig, data)
				if n == 0 && d.fed == 0 && !a.rs[dirIndex(isOrig)].hsCheck {
					n = a.hs.feedStart(isOrig, data, rest)
				}
				d.fed += n
				rest -= n
				data = data[n:]
				if len(data) == 0 {
					return
				}
			}
			take := min(rest-len(d.buf), len(data))
			if need := len(d.buf) + take; need > cap(d.buf) {
				// sized by the bytes received, never by the length the header claims (19
				// bytes of a record claiming 64 KiB hold 1 KiB): four times what it must hold,
				// within the record (a record of up to 4 KiB split in 1448-byte segments is
				// gathered without a copy, one of 16 KiB with one); from the free list, where
				// it goes back once the record was parsed (releaseBuf)
				k := smallBufClass(min(rest, max(4*need, minRecordBuf)))
				if !a.drawRecordBuf(1 << k) { // the old buffer's bytes go back below
					return // the memory budget refused: the session stopped (Shed)
				}
				nb := append(a.hs.sh.getBuf(k), d.buf...)
				a.releaseBuf(d)
				d.buf = nb
				if a.hs.sh != nil && a.hs.sh.cfg.Budget != nil {
					d.drawn = cap(nb)
				}
			}
			d.buf = append(d.buf, data[:take]...)
			data = data[take:]
			if len(d.buf) < rest {
				return
			}
			body = d.buf
		}
		d.inBody = false
		ok := a.record(isOrig, d, body)
		a.releaseBuf(d)
		if !ok {
			return // malformed record: the rest of this delivery is dropped, as binpac does
		}
	}
}

// header decides how a record is framed; false when the analysis stops.
func (a *session) header(isOrig bool, d *recordDir, h []byte) bool {
	v := a.recordLayer(h, isOrig)
	if v == versionUnknown {
		a.skip = true
		return false
	}
	d.head3, d.head4 = h[3], h[4]
	if v == versionSSLv2 {
		d.rawVersion = 0
		d.contentType = int(h[2]) + 300
		d.length = (int(h[0]&0x7f)<<8 | int(h[1])) - 3
		if d.length < 0 {
			a.violation("Binpac exception: "+errRecord.Error(), true)
			return false
		}
		return true
	}
	d.rawVersion = uint16(h[1])<<8 | uint16(h[2])
	d.contentType = int(h[0])
	d.length = int(h[3])<<8 | int(h[4])
	return true
}

func isTLSRecordVersion(v uint16) bool {
	return v == versionSSLv3 || v == versionTLS10 || v == versionTLS11 || v == versionTLS12
}

// recordLayer checks a record header against what the connection uses and returns the
// record layer version (versionUnknown after a violation).
func (a *session) recordLayer(h []byte, isOrig bool) uint16 {
	if a.recordLayerVersion != versionUnknown && a.recordLayerVersion != versionSSLv2 {
		if v := uint16(h[1])<<8 | uint16(h[2]); !isTLSRecordVersion(v) {
			a.violation(fmt.Sprintf("Invalid version late in TLS connection. Packet reported version: %d", v), true)
			return versionUnknown
		}
	}
	if a.recordLayerVersion != versionUnknown {
		return a.recordLayerVersion
	}
	if h[0]&0x80 != 0 {
		switch {
		case h[2] == 1 && isOrig: // SSLv2 client hello
			v := uint16(h[3])<<8 | uint16(h[4])
			if v != versionSSLv2 && !isTLSRecordVersion(v) {
				a.violation(fmt.Sprintf("Invalid version in SSL client hello. Version: %d", v), true)
				return versionUnknown
			}
			return versionSSLv2
		case h[2] == 4 && h[4] < 2 && !isOrig: // SSLv2 server hello: the connection stays SSLv2
			a.recordLayerVersion = versionSSLv2
			return versionSSLv2
		}
		a.violation(fmt.Sprintf("Invalid headers in SSL connection. Head1: %d, head2: %d, head3: %d", h[1], h[2], h[3]), true)
		return versionUnknown
	}
	v := uint16(h[1])<<8 | uint16(h[2])
	if !isTLSRecordVersion(v) {
		a.violation(fmt.Sprintf("Invalid version in TLS connection. Version: %d", v), true)
		return versionUnknown
	}
	if h[0] >= 20 && h[0] <= 30 {
		a.recordLayerVersion = v
		return v
	}
	a.violation(fmt.Sprintf("Invalid type in TLS connection. Version: %d, Type: %d", v, h[0]), true)
	return versionUnknown
}

// record processes one complete record body. Like Zeek, a record body is a sequence of
// messages of its content type; each one is read in the direction's current state.
//
// body is the record's body, or, when its first d.fed bytes went to the handshake layer
// ahead of the record's completion (see records), the rest of it.
func (a *session) record(isOrig bool, d *recordDir, body []byte) bool {
	if d.length == 0 {
		d.emptyRun++
		if d.emptyRun == MaxEmptyRecords {
			a.ev.emitWeird("SSL_excessive_empty_records", strconv.Itoa(d.emptyRun))
		}
		return true
	}
	d.emptyRun = 0
	if a.recover && !a.wholeRecordCheck(isOrig, d, body) {
		return true // continues a handshake message begun in lost bytes (resync.go)
	}
	rec := Record{ContentType: d.contentType, Version: d.rawVersion, Length: d.length}
	if d.fed > 0 {
		// A clear handshake record (its reading was settled when its header came: see
		// records), parsed now that it is whole, as the loop below would: the handshake
		// layer takes the rest of the payload and completes what the record completes,
		// then ssl_plaintext_data.
		a.hs.Deliver(a.ev.ts, isOrig, d.rawVersion, body)
		a.rec.PlaintextData(a.ev.ts, isOrig, rec)
		return true
	}
	for off := 0; off < len(body); {
		if a.encryptedState(isOrig, d) {
			a.rec.Ciphertext(a.ev.ts, isOrig, rec)
			return true
		}
		n, err := a.plaintext(isOrig, d, body[off:])
		if err != nil {
			a.violation("Binpac exception: "+err.Error(), false)
			return false
		}
		a.rec.PlaintextData(a.ev.ts, isOrig, rec)
		off += n
	}
	return true
}

// bodyUnread tells, when a record's header was parsed, whether its body will be read as
// ciphertext whatever arrives before it completes: only its length matters then, so a body
// split over deliveries need not be buffered. A direction never leaves the encrypted state,
// and the negotiated version, once known, never changes, so the decision encryptedState
// takes when the record completes is known now in these cases; otherwise (version still
// unknown) the body is buffered and the decision waits.
func (a *session) bodyUnread(isOrig bool, d *recordDir) bool {
	if a.rec.Encrypted(isOrig) {
		return true
	}
	if d.contentType != ctApplicationData {
		return false
	}
	switch a.hs.chosenVersion {
	case versionUnknown, versionSSLv2, versionSSLv3, versionTLS10, versionTLS11, versionTLS12:
		return false
	}
	return true
}

// unreadRecord processes a completed record whose body was not buffered (bodyUnread), as
// record does a non-empty record read as ciphertext.
func (a *session) unreadRecord(isOrig bool, d *recordDir) {
	d.emptyRun = 0
	a.encryptedState(isOrig, d) // true, as bodyUnread foresaw; it may start the encryption
	a.rec.Ciphertext(a.ev.ts, isOrig, Record{ContentType: d.contentType, Version: d.rawVersion, Length: d.length})
}

// encryptedState tells whether a record is read as ciphertext. Application data in clear
// switches the direction to encrypted unless the negotiated version is known to be
// below TLS 1.3 (TLS 1.3 has no meaningful change_cipher_spec).
func (a *session) encryptedState(isOrig bool, d *recordDir) bool {
	if a.rec.Encrypted(isOrig) || d.contentType != ctApplicationData {
		return a.rec.Encrypted(isOrig)
	}
	if a.rs[dirIndex(isOrig)].resynced {
		// after a resynchronisation the change_cipher_spec may have been lost: application
		// data is never sent in clear
		a.rec.StartEncryption(isOrig)
		return true
	}
	switch a.hs.chosenVersion {
	case versionSSLv2, versionSSLv3, versionTLS10, versionTLS11, versionTLS12:
		return false
	}
	a.rec.StartEncryption(isOrig)
	return true
}

// plaintext parses one message of a clear record and returns the bytes it used: handshake
// and SSLv2 content here, the other content types in RecordEvents.
func (a *session) plaintext(isOrig bool, d *recordDir, b []byte) (int, error) {
	switch d.contentType {
	case ctHandshake:
		a.hs.Deliver(a.ev.ts, isOrig, d.rawVersion, b)
		return len(b), nil
	case ctV2Error:
		// Zeek reports SSLv2 errors as alerts of level -1 (as a count: 2^64-1).
		a.ev.emitAlert(a.isClient(isOrig), math.MaxUint64, uint64(d.head3)<<8|uint64(d.head4))
		return len(b), nil
	case ctV2ClientHello:
		return a.v2ClientHello(isOrig, d, b)
	case ctV2ClientMasterKey:
		return a.v2ClientMasterKey(b)
	case ctV2ServerHello:
		return a.v2ServerHello(isOrig, d, b)
	}
	return a.rec.Plaintext(a.ev.ts, isOrig, Record{ContentType: d.contentType, Version: d.rawVersion, Length: d.length}, b)
}

// minRecordBuf is the smallest gathering buffer of a record split over segments.
const minRecordBuf = 1024

// releaseBuf gives a direction's gathering buffer back to the free list (freelist.go) and
// its bytes back to the memory budget.
func (a *session) releaseBuf(d *recordDir) {
	if d.buf != nil { // a drawn buffer is never nil
		a.freeBuf(d)
	}
}

func (a *session) freeBuf(d *recordDir) {
	a.hs.sh.putLarge(d.buf)
	d.buf = nil
	if d.drawn > 0 {
		a.hs.sh.cfg.Budget.Release(&a.mem, budget.Records, int64(d.drawn))
		d.drawn = 0
	}
}

// drawRecordBuf draws n more bytes of record buffer from the memory budget, if there is
// one; when the budget refuses (reported by it, as a memory_budget weird), the session
// stops as if shed.
func (a *session) drawRecordBuf(n int) bool {
	sh := a.hs.sh
	if sh == nil || sh.cfg.Budget == nil {
		return true
	}
	if sh.cfg.Budget.Draw(&a.mem, budget.Records, int64(n)) {
		return true
	}
	a.Shed()
	return false
}

// Shed implements budget.Sheddable: the memory budget takes the session's buffers back
// (its connection had not confirmed when memory ran short); the analysis of the
// connection stops, as after Zeek's SetSkip, and the analyzer detaches at its next data.
func (a *session) Shed() {
	for i := range a.dir {
		a.releaseBuf(&a.dir[i])
		a.hs.dir[i].release()
	}
	a.skip = true
}
