package rdp

import "encoding/binary"

// X.224 / COTP PDU codes of the frames the analyzer looks into.
const (
	pduConnectConfirm = 0xd0
	pduConnectRequest = 0xe0
	pduData           = 0xf0
)

// RDP negotiation record types that may follow a connection confirm.
const (
	negResponse = 0x02
	negFailure  = 0x03
)

// negRecordLen is the fixed length of the negotiation request/response/failure records, which
// is also the value their length field must carry.
const negRecordLen = 8

// tpktHeaderLen is the TPKT header: version, reserved, big-endian total length.
const tpktHeaderLen = 4

// frameLen is the number of stream bytes one TPKT occupies, given its 4-byte header: its
// length field, but never less than the header itself.
func frameLen(hdr []byte) int {
	return max(int(binary.BigEndian.Uint16(hdr[2:4])), tpktHeaderLen)
}

// frameResult is what parsing one TPKT decided.
type frameResult struct {
	// selected is the protocol a connection confirm's negotiation response selected; valid
	// when hasSelected.
	selected    uint32
	hasSelected bool
}

// violation is a malformed frame; its text is the analyzer_violation reason.
type violation string

func (v violation) Error() string { return string(v) }

const (
	errShort          violation = "RDP: frame shorter than its fields (out of bound)"
	errNegLength      violation = "RDP: negotiation record length is not 8"
	errConfirmRecord  violation = "RDP: unknown record type after connection confirm"
	errCookieNoCRLF   violation = "RDP: connection request cookie without CR LF terminator"
	errDataHeaderTrun violation = "RDP: data TPDU header truncated"
)

// parseFrame parses one complete TPKT (frameLen bytes): the COTP header and, for connection
// requests and confirms, the fields Zeek's RDP grammar reads. Anything the grammar would
// fail on is a violation. Data TPDUs are checked only for their 3-byte header: the MCS
// layer is not analyzed.
func parseFrame(frame []byte) (frameResult, error) {
	var r frameResult
	n := int(binary.BigEndian.Uint16(frame[2:4]))
	if n < tpktHeaderLen {
		n = tpktHeaderLen
	}
	body := frame[tpktHeaderLen:n]
	if len(body) < 2 {
		return r, errShort
	}
	cotpLen := int(body[0])
	pdu := body[1]
	p := body[2:]
	switch pdu {
	case pduConnectConfirm:
		return parseConfirm(p, cotpLen)
	case pduConnectRequest:
		return r, parseRequest(p, cotpLen)
	case pduData:
		if len(p) < 3 {
			return r, errDataHeaderTrun
		}
	}
	return r, nil
}

// hasMore reports whether the COTP length says bytes follow the first consumed bytes of
// the PDU's fields (the length counts the PDU code byte and everything after it).
func hasMore(cotpLen, consumed int) bool { return consumed+1 != cotpLen }

// parseConfirm parses a connection confirm: destination and source references and flags,
// then, when the COTP length says more follows, an RDP negotiation response or failure.
func parseConfirm(p []byte, cotpLen int) (frameResult, error) {
	var r frameResult
	const fixed = 5
	if len(p) < fixed {
		return r, errShort
	}
	if !hasMore(cotpLen, fixed) {
		return r, nil
	}
	p = p[fixed:]
	if len(p) < 1 {
		return r, errShort
	}
	switch p[0] {
	case negResponse, negFailure:
	default:
		return r, errConfirmRecord
	}
	rec := p[1:]
	if len(rec) < negRecordLen-1 {
		return r, errShort
	}
	if p[0] == negFailure {
		return r, nil
	}
	if binary.LittleEndian.Uint16(rec[1:3]) != negRecordLen {
		return r, errNegLength
	}
	r.selected = binary.LittleEndian.Uint32(rec[3:7])
	r.hasSelected = true
	return r, nil
}

var cookiePrefix = []byte("Cookie: mstshash=")

// parseRequest parses a connection request: references and class, the optional
// "Cookie: mstshash=" cookie ending in CR LF, and, when the COTP length says more follows,
// an RDP negotiation request.
func parseRequest(p []byte, cotpLen int) error {
	const fixed = 5
	if len(p) < fixed {
		return errShort
	}
	consumed := fixed
	rest := p[fixed:]
	if hasPrefix(rest, cookiePrefix) {
		rest = rest[len(cookiePrefix):]
		i := 0
		for i < len(rest) && rest[i] != '\r' {
			i++
		}
		if len(rest)-i < 2 || rest[i+1] != '\n' {
			return errCookieNoCRLF
		}
		consumed += len(cookiePrefix) + i + 2
		rest = rest[i+2:]
	}
	if !hasMore(cotpLen, consumed) {
		return nil
	}
	if len(rest) < negRecordLen {
		return errShort
	}
	if binary.LittleEndian.Uint16(rest[2:4]) != negRecordLen {
		return errNegLength
	}
	return nil
}

func hasPrefix(b, prefix []byte) bool {
	if len(b) < len(prefix) {
		return false
	}
	for i := range prefix {
		if b[i] != prefix[i] {
			return false
		}
	}
	return true
}
