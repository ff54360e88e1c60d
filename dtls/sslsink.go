package dtls

import (
	"github.com/tlsmon/tlsmon/analyzer"
	"github.com/tlsmon/tlsmon/ssl"
)

// sslSink is the Sink backed by the ssl package: its handshake parser and its record-level
// event logic (ssl.RecordEvents), shared with TLS over TCP. What is DTLS-specific stays
// here: a record is ciphertext when its epoch is not 0, and a direction becomes encrypted
// by a change_cipher_spec (unless the version is TLS 1.3) or by a unified-header record.
type sslSink struct {
	env *analyzer.Env
	ctl Control
	hs  *ssl.Handshake
	rec *ssl.RecordEvents
	ts  int64

	confirmed bool
}

// NewSSLSink is the SinkFactory of Spec: the handshake messages go to an ssl.Handshake
// raising its events as the "DTLS" analyzer.
func NewSSLSink(env *analyzer.Env, ctl Control) Sink { return newSSLSink(nil, env, ctl) }

// SSLSinkShared is NewSSLSink whose handshake parsers use sh (an engine's limits and free
// lists).
func SSLSinkShared(sh *ssl.Shared) SinkFactory {
	return func(env *analyzer.Env, ctl Control) Sink { return newSSLSink(sh, env, ctl) }
}

func newSSLSink(sh *ssl.Shared, env *analyzer.Env, ctl Control) Sink {
	s := &sslSink{env: env, ctl: ctl}
	s.hs = sh.NewHandshake(env.Conn, env.Events, AnalyzerName, ssl.Callbacks{
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
	s.rec = ssl.NewRecordEvents(s.hs, s.onEstablished)
	return s
}

// onEstablished applies Zeek's SSL::disable_analyzer_after_detection: by default the
// analyzer detaches after ssl_established if the protocol was confirmed.
func (s *sslSink) onEstablished() {
	if !s.env.Options.AnalyzeEncrypted && s.confirmed {
		s.ctl.DetachLater()
	}
}

// Handshake feeds the message to the handshake stream as Zeek's SendHandshake does: the
// type, the 24-bit length, then the body.
func (s *sslSink) Handshake(ts int64, isOrig bool, rv uint16, mt uint8, length uint32, body []byte) {
	s.ts = ts
	s.hs.DeliverMessage(ts, isOrig, rv, mt, length, body)
}

func (s *sslSink) NegotiatedVersion() uint16 { return s.hs.ChosenVersion() }

// Record reads the record text as Zeek's DTLS RecordText does: by epoch, the whole body
// as one ciphertext element, or a sequence of plaintext elements (handshake content was
// already handed to Handshake by the analyzer).
func (s *sslSink) Record(ts int64, isOrig bool, ct uint8, v uint16, body []byte, encrypted bool) error {
	s.ts = ts
	rec := ssl.Record{ContentType: int(ct), Version: v, Length: len(body)}
	if encrypted {
		s.rec.Ciphertext(ts, isOrig, rec)
		return nil
	}
	for off := 0; off < len(body); {
		n, err := s.rec.Plaintext(ts, isOrig, rec, body[off:])
		if err != nil {
			return err
		}
		s.rec.PlaintextData(ts, isOrig, rec)
		off += n
	}
	return nil
}

// Unified handles a DTLS 1.3 unified-header record: the direction is encrypted from now
// on, and the record is ciphertext of type application_data.
func (s *sslSink) Unified(ts int64, isOrig bool, length int) {
	s.ts = ts
	s.rec.StartEncryption(isOrig)
	s.rec.Ciphertext(ts, isOrig, ssl.Record{ContentType: int(ContentApplicationData), Version: VersionDTLS13, Length: length})
}

func (s *sslSink) EndOfData(int64, bool) {}
func (s *sslSink) Done(int64)            {}

// recycle gives the handshake's event structs (about 2 kB) and buffers back to the ssl
// package's pool once the analyzer is done: without it every UDP connection allocated and
// faulted in a fresh set (dtls.NewSSLSink was 4.5 % of the one-CPU CLI profile on perfmix).
func (s *sslSink) recycle() { s.hs.Release() }
