package dtls

import (
	"fmt"
	"strconv"

	"github.com/tlsmon/tlsmon"
	"github.com/tlsmon/tlsmon/analyzer"
	"github.com/tlsmon/tlsmon/ssl"
)

// errAlert and errHeartbeat are records too short for their structure (binpac
// out-of-bound exceptions in Zeek).
var (
	errAlert     = fmt.Errorf("out_of_bound: Alert")
	errHeartbeat = fmt.Errorf("out_of_bound: Heartbeat")
)

// sslSink is the Sink backed by the ssl package's handshake parser. It also carries the
// DTLS flavour of the record-level events (ssl-dtls-analyzer.pac): encryption is decided
// by the record epoch, and a direction becomes encrypted by a change_cipher_spec (unless
// the version is TLS 1.3) or by a unified-header record.
type sslSink struct {
	env *analyzer.Env
	ctl Control
	hs  *ssl.Handshake
	ts  int64

	encrypted   [2]bool // by direction: originator, responder
	established bool
	confirmed   bool
	hdr         [4]byte

	plaintext tlsmon.SSLPlaintextData
	cipher    tlsmon.SSLEncryptedData
	ccs       tlsmon.SSLChangeCipherSpec
	alert     tlsmon.SSLAlert
	heartbeat tlsmon.SSLHeartbeat
	estab     tlsmon.SSLEstablished
	probable  tlsmon.SSLProbableEncryptedHandshakeMessage
	weird     tlsmon.Weird
}

// NewSSLSink is the SinkFactory of Spec: the handshake messages go to an ssl.Handshake
// raising its events as the "DTLS" analyzer.
func NewSSLSink(env *analyzer.Env, ctl Control) Sink {
	s := &sslSink{env: env, ctl: ctl}
	s.hs = ssl.NewHandshake(env.Conn, env.Events, AnalyzerName, ssl.Callbacks{
		Violation: func(reason string, skip bool) {
			ctl.Violation(s.ts, reason, nil)
			if skip {
				ctl.Skip()
			}
		},
		Confirm: func() {
			s.confirmed = true
			ctl.Confirm(s.ts)
		},
	})
	return s
}

func dir(isOrig bool) int {
	if isOrig {
		return 0
	}
	return 1
}

func (s *sslSink) meta() tlsmon.Meta { return tlsmon.Meta{Ts: s.ts, Conn: s.env.Conn} }

func (s *sslSink) isClient(isOrig bool) bool { return isOrig != s.hs.Flipped() }

// Handshake feeds the message to the handshake stream as Zeek's SendHandshake does: the
// type, the 24-bit length, then the body.
func (s *sslSink) Handshake(ts int64, isOrig bool, rv uint16, mt uint8, length uint32, body []byte) {
	s.ts = ts
	s.hdr = [4]byte{mt, byte(length >> 16), byte(length >> 8), byte(length)}
	s.hs.Deliver(ts, isOrig, rv, s.hdr[:])
	s.hs.Deliver(ts, isOrig, rv, body)
}

func (s *sslSink) NegotiatedVersion() uint16 { return s.hs.ChosenVersion() }

func (s *sslSink) Record(ts int64, isOrig bool, ct uint8, v uint16, body []byte, encrypted bool) error {
	s.ts = ts
	if encrypted {
		if !s.established && s.hs.IsTLS13() {
			s.probable = tlsmon.SSLProbableEncryptedHandshakeMessage{Meta: s.meta(), IsClient: isOrig, Length: uint64(len(body))}
			s.env.Events.HandleEvent(&s.probable)
		}
		s.checkEstablished()
		s.emitEncrypted(isOrig, v, ct, len(body))
		return nil
	}
	switch ct {
	case ContentChangeCipherSpec:
		// One element per byte, each a change_cipher_spec.
		for range body {
			if !s.hs.IsTLS13() {
				s.encrypted[dir(isOrig)] = true
			}
			s.ccs = tlsmon.SSLChangeCipherSpec{Meta: s.meta(), IsClient: s.isClient(isOrig)}
			s.env.Events.HandleEvent(&s.ccs)
			s.emitPlaintext(isOrig, v, ct, len(body))
		}
		return nil
	case ContentAlert:
		if err := s.alerts(isOrig, body); err != nil {
			return err
		}
	case ContentHeartbeat:
		if len(body) < 3 {
			return errHeartbeat
		}
		s.heartbeat = tlsmon.SSLHeartbeat{Meta: s.meta(), IsClient: s.isClient(isOrig), Length: uint64(len(body)),
			HeartbeatType: uint64(body[0]), PayloadLength: uint64(body[1])<<8 | uint64(body[2]), Payload: body[3:]}
		s.env.Events.HandleEvent(&s.heartbeat)
	case ContentHandshake, ContentApplicationData:
	default:
		label := "responder"
		if isOrig {
			label = "originator"
		}
		s.ctl.Violation(ts, fmt.Sprintf("unknown SSL record type (%d) from %s", ct, label), nil)
	}
	s.emitPlaintext(isOrig, v, ct, len(body))
	return nil
}

// alerts raises one ssl_alert per two bytes, at most ssl.MaxAlertsPerRecord (one with
// TLS 1.3), reporting the excess as a weird.
func (s *sslSink) alerts(isOrig bool, b []byte) error {
	n := len(b)
	maxLen := ssl.MaxAlertsPerRecord * 2
	if s.hs.IsTLS13() {
		maxLen = 2
	}
	if n > maxLen {
		s.weird = tlsmon.Weird{Meta: s.meta(), WeirdName: "SSL_excessive_alerts_in_record", Addl: strconv.Itoa(n / 2), Source: AnalyzerName}
		s.env.Events.HandleEvent(&s.weird)
		n = maxLen
	}
	for i := 0; i < n; i += 2 {
		if i+1 >= n {
			return errAlert
		}
		s.alert = tlsmon.SSLAlert{Meta: s.meta(), IsClient: s.isClient(isOrig), Level: uint64(b[i]), Desc: uint64(b[i+1])}
		s.env.Events.HandleEvent(&s.alert)
	}
	return nil
}

func (s *sslSink) Unified(ts int64, isOrig bool, length int) {
	s.ts = ts
	s.encrypted[dir(isOrig)] = true
	s.checkEstablished()
	s.emitEncrypted(isOrig, VersionDTLS13, ContentApplicationData, length)
}

// checkEstablished raises ssl_established once both directions are encrypted; by default
// (Zeek's SSL::disable_analyzer_after_detection) the analyzer then detaches if confirmed.
func (s *sslSink) checkEstablished() {
	if s.established || !s.encrypted[0] || !s.encrypted[1] {
		return
	}
	s.established = true
	s.estab = tlsmon.SSLEstablished{Meta: s.meta()}
	s.env.Events.HandleEvent(&s.estab)
	if !s.env.Options.AnalyzeEncrypted && s.confirmed {
		s.ctl.DetachLater()
	}
}

func (s *sslSink) emitPlaintext(isOrig bool, v uint16, ct uint8, n int) {
	s.plaintext = tlsmon.SSLPlaintextData{Meta: s.meta(), IsClient: s.isClient(isOrig), RecordVersion: uint64(v),
		ContentType: uint64(ct), Length: uint64(n)}
	s.env.Events.HandleEvent(&s.plaintext)
}

func (s *sslSink) emitEncrypted(isOrig bool, v uint16, ct uint8, n int) {
	s.cipher = tlsmon.SSLEncryptedData{Meta: s.meta(), IsClient: s.isClient(isOrig), RecordVersion: uint64(v),
		ContentType: uint64(ct), Length: uint64(n)}
	s.env.Events.HandleEvent(&s.cipher)
}

func (s *sslSink) EndOfData(int64, bool) {}
func (s *sslSink) Done(int64)            {}
