package ssl

import (
	"strconv"

	"github.com/tlsmon/tlsmon"
	"github.com/tlsmon/tlsmon/budget"
)

// Handshake message types (RFC 5246 §7.4 and later additions).
const (
	hsHelloRequest       = 0
	hsClientHello        = 1
	hsServerHello        = 2
	hsHelloVerifyRequest = 3
	hsSessionTicket      = 4
	hsCertificate        = 11
	hsServerKeyExchange  = 12
	hsCertificateRequest = 13
	hsServerHelloDone    = 14
	hsCertificateVerify  = 15
	hsClientKeyExchange  = 16
	hsFinished           = 20
	hsCertificateURL     = 21
	hsCertificateStatus  = 22
)

// Protocol versions.
const (
	versionUnknown = 0x0000
	versionSSLv2   = 0x0002
	versionSSLv3   = 0x0300
	versionTLS10   = 0x0301
	versionTLS11   = 0x0302
	versionTLS12   = 0x0303
	versionTLS13   = 0x0304
	versionDTLS10  = 0xFEFF
	versionDTLS12  = 0xFEFD
	versionDTLS13  = 0xFEFC

	noChosenCipher = 0xFFFFFF
)

// Callbacks connect the handshake layer to the analyzer that owns it.
type Callbacks struct {
	// Violation reports a protocol violation with Zeek's reason text. skip is true when
	// Zeek also stops the analyzer at once (SetSkip).
	Violation func(reason string, skip bool)
	// Confirm reports that a valid client hello was seen (Zeek's AnalyzerConfirmation).
	Confirm func()
}

// Handshake parses TLS handshake messages of one connection and raises their events.
// See the package documentation for how record layers feed it.
type Handshake struct {
	ev    *emitter
	cb    Callbacks
	dir   [2]hsReasm
	cache *msgCache         // large messages seen lately (hs_cache.go); nil: none
	msgID *tlsmon.MessageID // while parsing a message from the cache: its identity
	sh    *Shared           // the engine's limits and free lists (nil: defaults, no recycling)
	// maxMsg and maxFrags are the limits (Config.MaxHandshakeMessage, MaxHandshakeFragments).
	maxMsg, maxFrags int

	flipped        bool
	alreadyAlerted bool
	chosenCipher   uint32
	chosenVersion  uint16
	recordVersion  uint16
	hdr            [4]byte // DeliverMessage's header
}

type hsReasm struct {
	sh      *Shared  // the free lists (nil: none)
	buf     []byte   // header and body of an incomplete message (see hs_buf.go)
	chunks  [][]byte // or its bytes in chunks, when large
	chunked int      // bytes in chunks
	joined  []byte   // the chunks joined, while the message is parsed
	discard int      // bytes still to drop of a skipped message
	frags   int      // records the buffered message spans

	// verify mode (hs_cache.go): the message's first verified bytes are those of ver
	ver      *cachedMsg
	verified int

	// mem is the session's share of the memory budget (nil: DTLS, or none); drawn the bytes
	// of chunks drawn from it for the message being reassembled (hs_buf.go).
	mem   *budget.Holder
	drawn int64
}

// NewHandshake returns a handshake layer raising its events on h for conn. analyzerName
// ("SSL", "DTLS") is used as the source of weirds and in violation events.
// Its event structs come from a pool when a Release gave some back.
//
// NewHandshake recycles nothing and uses the default limits; an engine's analyzers use
// their Shared's NewHandshake.
func NewHandshake(conn *tlsmon.Conn, h tlsmon.Handler, analyzerName string, cb Callbacks) *Handshake {
	return (*Shared)(nil).NewHandshake(conn, h, analyzerName, cb)
}

// NewHandshake is NewHandshake with sh's limits, message cache and free lists.
func (sh *Shared) NewHandshake(conn *tlsmon.Conn, h tlsmon.Handler, analyzerName string, cb Callbacks) *Handshake {
	var ev *emitter
	if sh != nil {
		ev = sh.emitters.get()
	}
	if ev == nil {
		ev = &emitter{emitEvents: sh.eventStructs()}
	}
	if h == nil {
		h = tlsmon.HandlerFunc(func(tlsmon.Event) {})
	}
	ev.h, ev.conn, ev.ts, ev.analyzerName, ev.unread = h, conn, 0, analyzerName, sh.unreadEvents()
	ev.args, ev.extRaised, ev.plainRaised = sh.argFilter(), false, false
	return newHandshake(sh, ev, cb)
}

// Shared.emitters holds the emitters of released handshakes for NewHandshake. The DTLS
// analyzer releases one per UDP connection; 512 cover the connections that end close
// together in a busy capture.

// Release ends the use of a handshake made by NewHandshake, and of the RecordEvents made
// with it: their event structs and large buffers are recycled. Neither may be used after.
func (h *Handshake) Release() {
	ev := h.ev
	if ev == nil {
		return
	}
	h.ev = nil
	for i := range h.dir {
		h.dir[i].release()
	}
	ev.h, ev.conn = nil, nil
	if h.sh != nil {
		h.sh.emitters.put(ev)
	}
}

func newHandshake(sh *Shared, ev *emitter, cb Callbacks) *Handshake {
	if cb.Violation == nil {
		cb.Violation = func(string, bool) {}
	}
	if cb.Confirm == nil {
		cb.Confirm = func() {}
	}
	cfg := sh.config()
	h := &Handshake{ev: ev, cb: cb, chosenCipher: noChosenCipher, sh: sh,
		maxMsg: cfg.MaxHandshakeMessage, maxFrags: cfg.MaxHandshakeFragments}
	h.dir[0].sh, h.dir[1].sh = sh, sh
	return h
}

// Flipped reports whether the TLS client is the connection's responder.
func (h *Handshake) Flipped() bool { return h.flipped }

// ChosenVersion is the version the server chose (0 until known).
func (h *Handshake) ChosenVersion() uint16 { return h.chosenVersion }

// ChosenCipher is the cipher suite of the last server hello (0xFFFFFF until known).
func (h *Handshake) ChosenCipher() uint32 { return h.chosenCipher }

// IsTLS13 reports whether the negotiated version is TLS 1.3 or one of its drafts, by
// Zeek's test.
func (h *Handshake) IsTLS13() bool {
	v := h.chosenVersion
	return v == versionTLS13 || v/0xFF == 0x7F
}

func (h *Handshake) isClient(isOrig bool) bool { return isOrig != h.flipped }

// Deliver hands the handshake layer the payload of one handshake record (a fragment of the
// direction's handshake byte stream). recordVersion is the record's version field; it is
// reported as record_version by the hello events of messages completed by this record.
func (h *Handshake) Deliver(ts int64, isOrig bool, recordVersion uint16, data []byte) {
	h.ev.ts = ts
	h.recordVersion = recordVersion
	r := &h.dir[dirIndex(isOrig)]
	for len(data) > 0 {
		if r.discard > 0 {
			n := min(r.discard, len(data))
			r.discard -= n
			data = data[n:]
			continue
		}
		if r.size() == 0 && len(data) >= 4 {
			n := msgLen(data)
			if n > h.maxMsg {
				h.tooLarge(r, n)
				data = data[4:]
				continue
			}
			if 4+n <= len(data) {
				if !h.message(isOrig, data[0], data[4:4+n], n) {
					return // parse error: the rest of this delivery is dropped
				}
				data = data[4+n:]
				continue
			}
			r.add(h.cache, data, 4+n)
			r.frags = 1
			return
		}
		if r.size() < 4 {
			take := min(4-len(r.buf), len(data))
			r.reserve(take, 0)
			r.buf = append(r.buf, data[:take]...)
			data = data[take:]
			if len(r.buf) < 4 {
				break
			}
			if n := msgLen(r.buf); n > h.maxMsg {
				r.buf = r.buf[:0]
				h.tooLarge(r, n)
				continue
			}
		}
		n := msgLen(r.header())
		take := min(4+n-r.size(), len(data))
		r.add(h.cache, data[:take], 4+n)
		data = data[take:]
		if r.size() == 4+n {
			buf := r.complete(h.cache)
			r.frags = 0
			h.msgID = r.proven()
			ok := h.message(isOrig, buf[0], buf[4:], n)
			h.msgID = nil
			r.remember(h.cache, 4+n)
			r.release()
			if !ok {
				return
			}
		}
	}
	if r.size() > 0 {
		r.frags++
		if r.frags > h.maxFrags {
			h.ev.emitWeird("SSL_handshake_too_fragmented", strconv.Itoa(r.frags))
			r.discard = 0
			if r.size() >= 4 {
				r.discard = 4 + msgLen(r.header()) - r.size()
			}
			r.release()
			r.frags = 0
		}
	}
}

// feed takes the leading bytes of a handshake record that is still arriving, as long as
// they only extend the message being reassembled (or are dropped as part of a skipped one),
// and returns how many it took. It never completes a message nor starts one, so it raises
// nothing: the record's events stay those of its completion, when Deliver gets the rest of
// the record (at least one byte: the caller feeds only bytes before the record's last
// one), counting the record among the message's fragments. Deliver would have done the
// same with these bytes, in the same state.
func (h *Handshake) feed(isOrig bool, data []byte) int {
	r := &h.dir[dirIndex(isOrig)]
	if r.discard > 0 {
		n := min(r.discard, len(data))
		r.discard -= n
		return n
	}
	if r.size() < 4 {
		return 0
	}
	total := 4 + msgLen(r.header())
	n := min(total-r.size()-1, len(data)) // the last byte of the message is Deliver's
	if n <= 0 {
		return 0
	}
	r.add(h.cache, data[:n], total)
	return n
}

// feedStart is feed for the first bytes of a clear handshake record, rest bytes long, that
// is still arriving: when they begin a message the message cache takes (hs_cache.go) and
// that covers the rest of the record, it starts the message with them, so that they are
// compared with the cached message as they come instead of being gathered by the record
// layer first (the record can complete no message but this one, whose last byte is
// Deliver's). It returns how many bytes it took (0: none, the record layer gathers them).
// Like feed it raises nothing, and Deliver, given the rest of the record, ends in the state
// it would have reached with the whole record (the message begun, counted in one record).
func (h *Handshake) feedStart(isOrig bool, data []byte, rest int) int {
	r := &h.dir[dirIndex(isOrig)]
	if h.cache == nil || r.size() != 0 || r.discard != 0 || len(data) < 4 || len(data) >= rest {
		return 0
	}
	n := msgLen(data)
	if total := 4 + n; n <= h.maxMsg && total > cacheMinMessage && total >= rest {
		r.add(h.cache, data, total)
		r.frags = 0 // Deliver counts the record when it gets the rest
		return len(data)
	}
	return 0
}

// DeliverMessage hands the handshake layer one message as the next bytes of the
// direction's handshake stream, exactly as Deliver of its header (msgType and the 24-bit
// length) then of body would (DTLS feeds its reassembled messages this way, as Zeek's
// SendHandshake does); body need not hold length bytes. A whole message (body of length
// bytes) arriving while nothing is buffered — the usual case — is parsed in place instead
// of being copied into the reassembly buffer first (1.4 % of the one-CPU CLI profile on
// perfmix went to that copy).
func (h *Handshake) DeliverMessage(ts int64, isOrig bool, recordVersion uint16, msgType uint8, length uint32, body []byte) {
	r := &h.dir[dirIndex(isOrig)]
	if n := int(length); len(body) == n && n <= h.maxMsg && r.size() == 0 && r.discard == 0 {
		h.ev.ts = ts
		h.recordVersion = recordVersion
		h.message(isOrig, msgType, body, n)
		return
	}
	h.hdr = [4]byte{msgType, byte(length >> 16), byte(length >> 8), byte(length)}
	h.Deliver(ts, isOrig, recordVersion, h.hdr[:])
	h.Deliver(ts, isOrig, recordVersion, body)
}

func (h *Handshake) tooLarge(r *hsReasm, n int) {
	h.ev.emitWeird("SSL_handshake_message_too_large", strconv.Itoa(n))
	r.discard = n
	r.frags = 0
}

func msgLen(b []byte) int { return int(b[1])<<16 | int(b[2])<<8 | int(b[3]) }

func dirIndex(isOrig bool) int {
	if isOrig {
		return 0
	}
	return 1
}

// Message parses one complete handshake message (msgType, its body, and the length its
// header announced) and raises its events. It returns false when the message was
// malformed; the violation has then been reported.
func (h *Handshake) Message(ts int64, isOrig bool, msgType uint8, body []byte, length int) bool {
	h.ev.ts = ts
	return h.message(isOrig, msgType, body, length)
}

// SetRecordVersion sets the record_version reported by the next hello events.
func (h *Handshake) SetRecordVersion(v uint16) { h.recordVersion = v }

func (h *Handshake) message(isOrig bool, msgType uint8, body []byte, length int) bool {
	var err error
	switch msgType {
	case hsHelloRequest:
		h.checkFlipped(false, isOrig)
	case hsClientHello:
		err = h.clientHello(isOrig, body)
	case hsServerHello:
		err = h.serverHello(isOrig, body)
	case hsHelloVerifyRequest:
		err = parseHelloVerifyRequest(body)
	case hsSessionTicket:
		err = h.sessionTicket(body)
	case hsCertificate:
		err = h.certificate(isOrig, body)
	case hsServerKeyExchange:
		err = h.serverKeyExchange(body)
	case hsCertificateRequest:
		err = h.certificateRequest(isOrig, body)
	case hsServerHelloDone, hsCertificateVerify, hsFinished, hsCertificateURL:
	case hsClientKeyExchange:
		h.clientKeyExchange(body)
	case hsCertificateStatus:
		err = h.certificateStatus(isOrig, body)
	default:
		h.cb.Violation("unknown handshake message ("+strconv.Itoa(int(msgType))+") from "+origLabel(isOrig), false)
	}
	if err != nil {
		h.cb.Violation("Binpac exception: "+err.Error(), false)
		return false
	}
	e := &h.ev.handshakeMsg
	*e = tlsmon.SSLHandshakeMessage{Meta: h.ev.meta(), IsClient: h.isClient(isOrig), MsgType: uint64(msgType), Length: uint64(length)}
	h.ev.h.HandleEvent(e)
	return true
}

func origLabel(isOrig bool) string {
	if isOrig {
		return "originator"
	}
	return "responder"
}

// checkFlipped compares the direction a message came from with the direction it should
// come from (desired: sent by the originator) and tracks which side is the client.
func (h *Handshake) checkFlipped(desired, isOrig bool) {
	if h.flipped {
		if desired == isOrig {
			h.flipped = false
			h.emitFlipped()
			if !h.alreadyAlerted {
				h.alreadyAlerted = true
				h.ev.emitWeird("SSL_unclear_connection_direction", "")
			}
		}
		return
	}
	if desired != isOrig {
		h.flipped = true
		h.emitFlipped()
	}
}

func (h *Handshake) emitFlipped() {
	h.ev.flipped.Meta = h.ev.meta()
	h.ev.h.HandleEvent(&h.ev.flipped)
}

// setVersion records the negotiated version; the first value set wins.
func (h *Handshake) setVersion(v uint16) {
	if h.chosenVersion == versionUnknown {
		h.chosenVersion = v
	}
}

// versionOK is Zeek's list of versions a hello may carry.
func versionOK(v uint16) bool {
	if v>>8 == 0x7F {
		return true
	}
	switch v {
	case versionSSLv2, versionSSLv3, versionTLS10, versionTLS11, versionTLS12, versionTLS13,
		versionDTLS10, versionDTLS12, versionDTLS13:
		return true
	}
	return false
}

// usesSigHashAlg reports whether signatures carry a SignatureAndHashAlgorithm (TLS 1.2+).
func (h *Handshake) usesSigHashAlg() bool {
	return h.chosenVersion > versionTLS11 && h.chosenVersion != versionDTLS10
}
