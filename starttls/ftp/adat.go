package ftp

import (
	"bytes"
	"encoding/binary"

	"github.com/tlsmon/tlsmon/starttls"
)

// maxToken caps a decoded ADAT token (bytes); TLS records are at most 5+16384+2048.
const maxToken = 1 << 15

// adat feeds the SSL analyzer the TLS records carried base64-encoded in ADAT commands and
// "ADAT=" replies, as Zeek's FTP_ADAT support analyzer does, and removes it when the
// exchange ends.
type adat struct {
	on    bool
	first bool // the next client ADAT is the first token
	buf   []byte
}

func (a *adat) line(h *starttls.Host, ts int64, isOrig bool, line []byte) {
	var decoded []byte
	ok, done := false, false
	if isOrig {
		l := skipSpace(line)
		cmd := word(l)
		switch {
		case len(cmd) > 0 && bytes.HasPrefix([]byte("ADAT"), cmd):
			decoded, ok = a.decode(h, ts, skipSpace(l[len(cmd):]))
			if a.first {
				if !ok {
					h.WeirdFrom(ts, "ftp_adat_bad_first_token_encoding", "", "FTP_ADAT")
				}
				if !ok || len(decoded) < 5 || decoded[0] != 0x16 ||
					len(decoded)-5 != int(binary.BigEndian.Uint16(decoded[3:5])) {
					done, ok = true, false
				}
			}
			a.first = false
		case len(cmd) > 0 && bytes.HasPrefix([]byte("AUTH"), cmd):
			done = true
		}
	} else {
		switch replyCode(line) {
		case 232, 234:
			done = true
		case 235:
			done = true
			decoded, ok = a.reply(h, ts, line)
		case 334, 335:
			decoded, ok = a.reply(h, ts, line)
		case 421, 431, 500, 501, 503, 535, 631, 632, 633:
			done = true
		}
	}
	if ok {
		h.Forward(ts, isOrig, decoded)
	}
	if done {
		a.on = false
		a.buf = nil
		h.DropChild(ts)
	}
}

func (a *adat) reply(h *starttls.Host, ts int64, line []byte) ([]byte, bool) {
	l := line[3:]
	if len(line) > 3 && l[0] == '-' {
		l = l[1:]
	}
	l = skipSpace(l)
	if len(l) >= 5 && string(l[:5]) == "ADAT=" {
		return a.decode(h, ts, l[5:])
	}
	return nil, false
}

func (a *adat) decode(h *starttls.Host, ts int64, s []byte) ([]byte, bool) {
	if len(s) > maxToken*4/3+4 {
		h.Weird(ts, "ftp_adat_token_too_long", "")
		return nil, false
	}
	out, weird, ok := decodeBase64(a.buf[:0], s)
	a.buf = out
	if weird != "" {
		h.WeirdFrom(ts, "base64_illegal_encoding", weird, "")
	}
	return out, ok
}
