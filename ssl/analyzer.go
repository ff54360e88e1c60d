package ssl

import (
	"github.com/tlsmon/tlsmon"
	"github.com/tlsmon/tlsmon/analyzer"
)

// Zeek's DPD ignores violations once this many bytes went through the connection
// (DPD::ignore_violations_after): the analyzer then stays attached.
const ignoreViolationsAfter = 10 * 1024

// Analyzer is the SSL/TLS analyzer of one TCP connection.
type Analyzer struct {
	env *analyzer.Env
	ev  *emitter
	hs  *Handshake
	dir [2]recordDir

	recordLayerVersion uint16 // 0 until known; versionSSLv2 for SSLv2 connections
	established        bool
	confirmed          bool

	skip          bool // Zeek's SetSkip: no more parsing
	hadGap        bool
	detached      bool
	pendingDetach bool
	bytes         uint64 // payload bytes seen in both directions
}

// New returns an SSL analyzer for env's connection.
func New(env *analyzer.Env) analyzer.Analyzer {
	a := &Analyzer{env: env, ev: newEmitter(env.Conn, env.Events, "SSL")}
	a.hs = newHandshake(a.ev, Callbacks{Violation: a.violation, Confirm: a.confirm})
	return a
}

func (a *session) violation(reason string, skip bool) {
	a.ev.emitViolation(reason, nil)
	if skip {
		a.skip = true
	}
	if a.bytes <= ignoreViolationsAfter {
		a.pendingDetach = true
	}
}

func (a *session) confirm() {
	if a.confirmed {
		return
	}
	a.confirmed = true
	a.ev.emitConfirmation()
}

func (a *session) stopped() bool { return a.detached || a.skip || a.hadGap }

// DeliverStream parses the records in data.
func (a *session) DeliverStream(ts int64, isOrig bool, data []byte) {
	if a.detached {
		return
	}
	a.bytes += uint64(len(data))
	if a.stopped() {
		return
	}
	a.ev.ts = ts
	a.records(isOrig, data)
	a.endOfCall()
}

// endOfCall applies what Zeek's scripts do once the events of a packet were handled:
// DPD removes the analyzer after a violation, and by default the SSL scripts remove it
// once the connection is established.
func (a *session) endOfCall() {
	if a.pendingDetach || a.skip {
		a.detach()
	}
}

func (a *session) detach() {
	if a.detached {
		return
	}
	a.detached = true
	a.dir[0].buf = nil
	a.dir[1].buf = nil
	if a.env.Detach != nil {
		a.env.Detach()
	}
}

// Gap stops the analysis: Zeek's SSL analyzer ignores all data after a content gap.
func (a *session) Gap(ts int64, isOrig bool, n uint64) {
	a.bytes += n
	a.hadGap = true
}

// DeliverPacket is unused: SSL runs over TCP.
func (a *session) DeliverPacket(ts int64, isOrig bool, data []byte) {}

// EndOfData drops an incomplete record of the direction that ended.
func (a *session) EndOfData(ts int64, isOrig bool) {}

// Done releases the analyzer's buffers.
func (a *session) Done(ts int64) {
	a.dir[0].buf = nil
	a.dir[1].buf = nil
	a.hs.dir[0].buf = nil
	a.hs.dir[1].buf = nil
}

// established is reached: raise ssl_established, and detach by default.
func (a *session) raiseEstablished() {
	a.ev.emitEstablished()
	if !a.env.Options.AnalyzeEncrypted && a.confirmed {
		a.pendingDetach = true
	}
}

func (a *session) isClient(isOrig bool) bool { return isOrig != a.hs.flipped }

var _ analyzer.Analyzer = (*Analyzer)(nil)

// Handler-facing helpers for record events.

func (a *session) emitPlaintext(isOrig bool, d *recordDir) {
	e := &a.ev.plaintext
	*e = tlsmon.SSLPlaintextData{Meta: a.ev.meta(), IsClient: a.isClient(isOrig), RecordVersion: uint64(d.rawVersion),
		ContentType: uint64(d.contentType), Length: uint64(d.length)}
	a.ev.h.HandleEvent(e)
}

func (a *session) emitEncrypted(isOrig bool, d *recordDir) {
	e := &a.ev.encrypted
	*e = tlsmon.SSLEncryptedData{Meta: a.ev.meta(), IsClient: a.isClient(isOrig), RecordVersion: uint64(d.rawVersion),
		ContentType: uint64(d.contentType), Length: uint64(d.length)}
	a.ev.h.HandleEvent(e)
}
