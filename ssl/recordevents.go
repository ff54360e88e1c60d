package ssl

import (
	"fmt"
	"strconv"

	"github.com/tlsmon/tlsmon"
)

// Record describes the record a piece of record text belongs to.
type Record struct {
	ContentType int    // the content type; SSLv2 message types are 300 + type
	Version     uint16 // the record's version field, as sent (0 for SSLv2)
	Length      int    // the length of the record's body
}

// RecordEvents is the record-level event logic shared by TLS over TCP (this package's
// Analyzer) and DTLS (package dtls): each direction's clear/encrypted state, and the
// events ssl_change_cipher_spec, ssl_alert, ssl_heartbeat, ssl_plaintext_data,
// ssl_encrypted_data, ssl_probable_encrypted_handshake_message and ssl_established.
// Record framing, and deciding whether a record is read as ciphertext, stay with the
// caller: TLS goes by the direction's state (Encrypted), DTLS by the record's epoch.
//
// Violations go to the Violation callback of the Handshake the RecordEvents was made
// with, and events to its handler, with its analyzer name.
type RecordEvents struct {
	ev *emitter
	hs *Handshake

	encrypted   [2]bool // by direction: originator, responder
	established bool
	// lost: bytes of the handshake were lost (resync.go): whether a TLS 1.3 record before
	// ssl_established is a handshake message can no longer be told
	lost bool
	// onEstablished runs after ssl_established was raised.
	onEstablished func()
}

// NewRecordEvents returns the record-level logic of hs's connection. onEstablished, if
// not nil, runs each time ssl_established was raised (the analyzer's cue to detach by
// default, as Zeek's SSL::disable_analyzer_after_detection does).
func NewRecordEvents(hs *Handshake, onEstablished func()) *RecordEvents {
	return newRecordEvents(hs, onEstablished)
}

func newRecordEvents(hs *Handshake, onEstablished func()) *RecordEvents {
	if onEstablished == nil {
		onEstablished = func() {}
	}
	return &RecordEvents{ev: hs.ev, hs: hs, onEstablished: onEstablished}
}

func (r *RecordEvents) reset() {
	r.encrypted = [2]bool{}
	r.established, r.lost = false, false
}

// Encrypted reports whether a direction switched to encrypted.
func (r *RecordEvents) Encrypted(isOrig bool) bool { return r.encrypted[dirIndex(isOrig)] }

// StartEncryption switches a direction to encrypted.
func (r *RecordEvents) StartEncryption(isOrig bool) { r.encrypted[dirIndex(isOrig)] = true }

// Established reports whether ssl_established was raised by Ciphertext.
func (r *RecordEvents) Established() bool { return r.established }

func (r *RecordEvents) isClient(isOrig bool) bool { return isOrig != r.hs.flipped }

// Plaintext handles the next element of a clear record's text, b being the rest of the
// body, and returns the bytes it used. It raises the event of a change_cipher_spec (one
// byte; the direction becomes encrypted unless TLS 1.3 was negotiated), of the alerts, or
// of a heartbeat; application data is consumed silently, and an unknown content type is
// a violation (the text is consumed). Handshake content is the caller's: Plaintext
// consumes it without events. A non-nil error is a structure too short for its content
// (Zeek's binpac exception); the caller reports it and drops the rest of the record.
// ssl_plaintext_data is the caller's to raise (PlaintextData) after each element.
func (r *RecordEvents) Plaintext(ts int64, isOrig bool, rec Record, b []byte) (int, error) {
	r.ev.ts = ts
	switch rec.ContentType {
	case ctChangeCipherSpec:
		if !r.hs.IsTLS13() {
			r.StartEncryption(isOrig)
		}
		e := &r.ev.ccs
		*e = tlsmon.SSLChangeCipherSpec{Meta: r.ev.meta(), IsClient: r.isClient(isOrig)}
		r.ev.h.HandleEvent(e)
		return 1, nil
	case ctAlert:
		return len(b), r.alerts(isOrig, rec, b)
	case ctHeartbeat:
		if len(b) < 3 {
			return 0, errHeartbeat
		}
		e := &r.ev.heartbeat
		*e = tlsmon.SSLHeartbeat{Meta: r.ev.meta(), IsClient: r.isClient(isOrig), Length: uint64(rec.Length),
			HeartbeatType: uint64(b[0]), PayloadLength: uint64(b[1])<<8 | uint64(b[2]), Payload: b[3:]}
		r.ev.h.HandleEvent(e)
		return len(b), nil
	case ctHandshake, ctApplicationData:
		return len(b), nil
	}
	r.hs.cb.Violation(fmt.Sprintf("unknown SSL record type (%d) from %s", rec.ContentType, origLabel(isOrig)), false)
	return len(b), nil
}

// alerts raises one ssl_alert per two-byte alert, up to the per-record cap (one alert in
// TLS 1.3); a record beyond the cap is reported with the weird
// "SSL_excessive_alerts_in_record".
func (r *RecordEvents) alerts(isOrig bool, rec Record, b []byte) error {
	n := rec.Length
	maxLen := MaxAlertsPerRecord * 2
	if r.hs.IsTLS13() {
		maxLen = 2
	}
	if n > maxLen {
		r.ev.emitWeird("SSL_excessive_alerts_in_record", strconv.Itoa(n/2))
		n = maxLen
	}
	n = min(n, len(b))
	for i := 0; i < n; i += 2 {
		if i+1 >= n {
			return errAlert
		}
		r.ev.emitAlert(r.isClient(isOrig), uint64(b[i]), uint64(b[i+1]))
	}
	return nil
}

// PlaintextData raises ssl_plaintext_data for an element of a clear record.
func (r *RecordEvents) PlaintextData(ts int64, isOrig bool, rec Record) {
	r.ev.ts = ts
	if !r.ev.raisePlaintext(rec.ContentType) {
		return
	}
	e := &r.ev.plaintext
	*e = tlsmon.SSLPlaintextData{Meta: r.ev.meta(), IsClient: r.isClient(isOrig), RecordVersion: uint64(rec.Version),
		ContentType: uint64(rec.ContentType), Length: uint64(rec.Length)}
	r.ev.h.HandleEvent(e)
}

// Ciphertext handles a record read as ciphertext: before the connection is established
// under TLS 1.3 it may be a handshake message (ssl_probable_encrypted_handshake_message,
// whose is_client is, as in Zeek, the direction); once both directions are encrypted,
// ssl_established (once, then onEstablished); then ssl_encrypted_data.
func (r *RecordEvents) Ciphertext(ts int64, isOrig bool, rec Record) {
	r.ev.ts = ts
	if !r.established && r.hs.IsTLS13() && !r.lost && r.ev.reads(evProbableEncryptedHandshakeMessage) {
		e := &r.ev.probable
		*e = tlsmon.SSLProbableEncryptedHandshakeMessage{Meta: r.ev.meta(), IsClient: isOrig, Length: uint64(rec.Length)}
		r.ev.h.HandleEvent(e)
	}
	if r.encrypted[0] && r.encrypted[1] && !r.established {
		r.established = true
		r.raiseEstablished()
	}
	if !r.ev.reads(evEncryptedData) {
		return
	}
	e := &r.ev.encrypted
	*e = tlsmon.SSLEncryptedData{Meta: r.ev.meta(), IsClient: r.isClient(isOrig), RecordVersion: uint64(rec.Version),
		ContentType: uint64(rec.ContentType), Length: uint64(rec.Length)}
	r.ev.h.HandleEvent(e)
}

// raiseEstablished raises ssl_established without marking the connection established
// (SSLv2 does so) and runs onEstablished.
func (r *RecordEvents) raiseEstablished() {
	r.ev.emitEstablished()
	r.onEstablished()
}
