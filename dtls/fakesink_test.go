package dtls

import (
	"errors"
	"fmt"

	"github.com/tlsmon/tlsmon"
	"github.com/tlsmon/tlsmon/analyzer"
	"golang.org/x/crypto/cryptobyte"
)

// call is one Sink call as recorded by recSink.
type call struct {
	Kind        string // "hs", "rec", "uni"
	Ts          int64
	IsOrig      bool
	MsgType     uint8
	Length      int
	ContentType uint8
	Version     uint16
	Encrypted   bool
	Body        []byte
}

func (c call) String() string {
	switch c.Kind {
	case "hs":
		return fmt.Sprintf("%d hs orig=%v type=%d len=%d body=%d", c.Ts, c.IsOrig, c.MsgType, c.Length, len(c.Body))
	case "rec":
		return fmt.Sprintf("%d rec orig=%v ct=%d v=%#x len=%d enc=%v", c.Ts, c.IsOrig, c.ContentType, c.Version, c.Length, c.Encrypted)
	}
	return fmt.Sprintf("%d uni orig=%v len=%d", c.Ts, c.IsOrig, c.Length)
}

// recSink records the calls and plays a minimal handshake layer: it confirms on a
// ClientHello, learns the negotiated version from a ServerHello (supported_versions or the
// legacy version), and remembers who sent the first ClientHello (Zeek's flip).
type recSink struct {
	ctl        Control
	calls      []call
	negotiated uint16
	clientSide int // 0 unknown, 1 originator, 2 responder
	recErr     error
}

func (s *recSink) Handshake(ts int64, isOrig bool, rv uint16, mt uint8, length uint32, body []byte) {
	s.calls = append(s.calls, call{Kind: "hs", Ts: ts, IsOrig: isOrig, MsgType: mt, Length: int(length), Version: rv, Body: append([]byte(nil), body...)})
	switch mt {
	case 1:
		if s.clientSide == 0 {
			s.clientSide = 2
			if isOrig {
				s.clientSide = 1
			}
		}
		s.ctl.Confirm(ts)
	case 2:
		if v := serverHelloVersion(body); v != 0 {
			s.negotiated = v
		}
	}
}

func (s *recSink) Record(ts int64, isOrig bool, ct uint8, v uint16, body []byte, enc bool) error {
	if s.recErr != nil {
		return s.recErr
	}
	// Zeek's record text: a CCS record holds one 1-byte element per byte.
	n := 1
	if !enc && ct == ContentChangeCipherSpec {
		n = len(body)
	}
	for range n {
		s.calls = append(s.calls, call{Kind: "rec", Ts: ts, IsOrig: isOrig, ContentType: ct, Version: v, Length: len(body), Encrypted: enc})
	}
	return nil
}

func (s *recSink) Unified(ts int64, isOrig bool, length int) {
	s.calls = append(s.calls, call{Kind: "uni", Ts: ts, IsOrig: isOrig, Length: length, Version: VersionDTLS13, ContentType: ContentApplicationData, Encrypted: true})
}

func (s *recSink) NegotiatedVersion() uint16 { return s.negotiated }
func (s *recSink) EndOfData(int64, bool)     {}
func (s *recSink) Done(int64)                {}

// flipped reports whether the client is the connection's responder.
func (s *recSink) flipped() bool { return s.clientSide == 2 }

// serverHelloVersion returns the version a ServerHello selects: supported_versions when
// present, else server_version.
func serverHelloVersion(b []byte) uint16 {
	s := cryptobyte.String(b)
	var v uint16
	var random, sid, exts cryptobyte.String
	var cipher uint16
	var comp uint8
	if !s.ReadUint16(&v) || !s.ReadBytes((*[]byte)(&random), 32) || !s.ReadUint8LengthPrefixed(&sid) ||
		!s.ReadUint16(&cipher) || !s.ReadUint8(&comp) {
		return 0
	}
	if !s.ReadUint16LengthPrefixed(&exts) {
		return v
	}
	for !exts.Empty() {
		var typ uint16
		var val cryptobyte.String
		if !exts.ReadUint16(&typ) || !exts.ReadUint16LengthPrefixed(&val) {
			return v
		}
		var sv uint16
		if typ == 43 && val.ReadUint16(&sv) {
			return sv
		}
	}
	return v
}

// harness is one analyzer with a recording sink and event log.
type harness struct {
	a        *Analyzer
	sink     *recSink
	events   []tlsmon.Event
	detaches int
}

func newHarness() *harness {
	h := &harness{}
	env := &analyzer.Env{
		Conn:   &tlsmon.Conn{UID: "Ctest"},
		Events: tlsmon.HandlerFunc(func(e tlsmon.Event) { h.events = append(h.events, e) }),
		Detach: func() { h.detaches++ },
	}
	h.a = New(env, func(_ *analyzer.Env, ctl Control) Sink {
		h.sink = &recSink{ctl: ctl}
		return h.sink
	})
	h.a.sinkNow() // the tests look at the sink before the first datagram
	return h
}

func (h *harness) violations() []string {
	var out []string
	for _, e := range h.events {
		if v, ok := e.(*tlsmon.AnalyzerViolation); ok {
			out = append(out, v.Reason)
		}
	}
	return out
}

var errTestRecord = errors.New("test record error")
