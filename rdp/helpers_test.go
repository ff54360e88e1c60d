package rdp

import (
	"encoding/binary"
	"net/netip"

	"github.com/tlsmon/tlsmon"
	"github.com/tlsmon/tlsmon/analyzer"
)

func testConn(respPort uint16) *tlsmon.Conn {
	return &tlsmon.Conn{UID: "Crdp", ID: tlsmon.ConnID{
		OrigH: netip.MustParseAddr("10.0.0.1"), RespH: netip.MustParseAddr("10.0.0.2"),
		OrigP: 40000, RespP: respPort, Proto: tlsmon.ProtoTCP}}
}

// recorder keeps the events' names, the violation reasons and the analyzer of
// confirmations, and counts detaches.
type recorder struct {
	names      []string
	violations []string
	confirmed  []string
	detached   int
	partial    bool
}

func (r *recorder) HandleEvent(e tlsmon.Event) {
	switch ev := e.(type) {
	case *tlsmon.AnalyzerViolation:
		r.violations = append(r.violations, ev.Analyzer+": "+ev.Reason)
	case *tlsmon.AnalyzerConfirmation:
		r.confirmed = append(r.confirmed, ev.Analyzer)
	}
	r.names = append(r.names, e.Name())
}

func (r *recorder) has(name string) bool {
	for _, n := range r.names {
		if n == name {
			return true
		}
	}
	return false
}

func newTest(respPort uint16, encrypted bool) (*Analyzer, *recorder) {
	r := &recorder{}
	env := &analyzer.Env{
		Conn:    testConn(respPort),
		Events:  r,
		Detach:  func() { r.detached++ },
		Options: analyzer.Options{AnalyzeEncrypted: encrypted},
		Partial: func() bool { return r.partial },
	}
	return New(env).(*Analyzer), r
}

// tpkt wraps a COTP PDU (length byte first) in a TPKT header.
func tpkt(cotp []byte) []byte {
	b := []byte{3, 0, 0, 0}
	binary.BigEndian.PutUint16(b[2:], uint16(4+len(cotp)))
	return append(b, cotp...)
}

// cotp builds a COTP PDU: its length byte (the bytes after it), the PDU code and fields.
func cotp(pdu byte, fields []byte) []byte {
	return append([]byte{byte(1 + len(fields)), pdu}, fields...)
}

// negRecord is an 8-byte RDP negotiation request/response/failure.
func negRecord(typ, flags byte, length uint16, value uint32) []byte {
	b := []byte{typ, flags, 0, 0, 0, 0, 0, 0}
	binary.LittleEndian.PutUint16(b[2:], length)
	binary.LittleEndian.PutUint32(b[4:], value)
	return b
}

// connectRequest is an X.224 connection request with an optional cookie and an RDP
// negotiation request for the given protocols.
func connectRequest(cookie string, protocols uint32) []byte {
	f := []byte{0, 0, 0, 0, 0}
	if cookie != "" {
		f = append(f, "Cookie: mstshash="+cookie+"\r\n"...)
	}
	f = append(f, negRecord(negResponse-1, 0, 8, protocols)...)
	return tpkt(cotp(pduConnectRequest, f))
}

// connectConfirm is an X.224 connection confirm whose negotiation response selects proto.
func connectConfirm(proto uint32) []byte {
	f := append([]byte{0, 0, 0x12, 0x34, 0}, negRecord(negResponse, 0x1f, 8, proto)...)
	return tpkt(cotp(pduConnectConfirm, f))
}

// tlsRecord is one TLS record.
func tlsRecord(ct byte, body []byte) []byte {
	b := []byte{ct, 3, 1, 0, 0}
	binary.BigEndian.PutUint16(b[3:], uint16(len(body)))
	return append(b, body...)
}

// clientHello is a TLS 1.2 ClientHello record offering one cipher suite.
func clientHello() []byte {
	body := []byte{3, 3}
	body = append(body, make([]byte, 32)...) // random
	body = append(body, 0)                   // session id
	body = append(body, 0, 2, 0x00, 0x2f)    // cipher suites
	body = append(body, 1, 0)                // compression methods
	msg := []byte{1, 0, 0, byte(len(body))}
	return tlsRecord(22, append(msg, body...))
}

// alert is a TLS fatal alert record.
func alert() []byte { return tlsRecord(21, []byte{2, 40}) }
