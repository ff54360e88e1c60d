package tlsmon

import (
	"encoding/hex"
	"strconv"
)

// AppendTime appends a microsecond timestamp as seconds with exactly 6 decimals.
func AppendTime(b []byte, us int64) []byte {
	mag := uint64(us) // the magnitude, in uint64 so that -2^63 (a pcapng timestamp can be) negates
	if us < 0 {
		b = append(b, '-')
		mag = -mag
	}
	b = strconv.AppendUint(b, mag/1e6, 10)
	frac := mag % 1e6
	b = append(b, '.')
	var d [6]byte
	for i := 5; i >= 0; i-- {
		d[i] = byte('0' + frac%10)
		frac /= 10
	}
	return append(b, d[:]...)
}

// AppendCanonical appends the canonical JSON line (without newline) of an SSL event, as
// FORMAT.md of the conformance corpus defines it.
func AppendCanonical(b []byte, e SSLEvent) []byte {
	m := e.EventMeta()
	b = append(b, `{"ts":`...)
	b = AppendTime(b, m.Ts)
	b = append(b, `,"event":"`...)
	b = append(b, e.Name()...)
	b = append(b, `","id":{"orig_h":"`...)
	id := &m.Conn.ID
	b = id.OrigH.AppendTo(b)
	b = append(b, `","orig_p":`...)
	b = strconv.AppendUint(b, uint64(id.OrigP), 10)
	b = append(b, `,"resp_h":"`...)
	b = id.RespH.AppendTo(b)
	b = append(b, `","resp_p":`...)
	b = strconv.AppendUint(b, uint64(id.RespP), 10)
	b = append(b, `,"proto":"`...)
	b = append(b, id.Proto.String()...)
	b = append(b, `"},"args":`...)
	b = e.AppendArgs(b)
	return append(b, '}')
}

func appendBool(b []byte, v bool) []byte { return strconv.AppendBool(b, v) }

func appendCount(b []byte, v uint64) []byte { return strconv.AppendUint(b, v, 10) }

func appendInt(b []byte, v int64) []byte { return strconv.AppendInt(b, v, 10) }

// appendTime formats a Zeek time argument (seconds) with 6 decimals.
func appendTime(b []byte, v float64) []byte { return strconv.AppendFloat(b, v, 'f', 6, 64) }

func appendHex(b []byte, v []byte) []byte {
	b = append(b, '"')
	b = hex.AppendEncode(b, v)
	return append(b, '"')
}

func appendCounts(b []byte, v []uint64) []byte {
	b = append(b, '[')
	for i, x := range v {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendUint(b, x, 10)
	}
	return append(b, ']')
}

func appendHexes(b []byte, v [][]byte) []byte {
	b = append(b, '[')
	for i, x := range v {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendHex(b, x)
	}
	return append(b, ']')
}

func appendSigAlg(b []byte, v SignatureAndHashAlgorithm) []byte {
	b = append(b, `{"HashAlgorithm":`...)
	b = strconv.AppendUint(b, v.HashAlgorithm, 10)
	b = append(b, `,"SignatureAlgorithm":`...)
	b = strconv.AppendUint(b, v.SignatureAlgorithm, 10)
	return append(b, '}')
}

func appendSigAlgs(b []byte, v []SignatureAndHashAlgorithm) []byte {
	b = append(b, '[')
	for i, x := range v {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendSigAlg(b, x)
	}
	return append(b, ']')
}

func appendPSKIdentities(b []byte, v []PSKIdentity) []byte {
	b = append(b, '[')
	for i, x := range v {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"identity":`...)
		b = appendHex(b, x.Identity)
		b = append(b, `,"obfuscated_ticket_age":`...)
		b = strconv.AppendUint(b, x.ObfuscatedTicketAge, 10)
		b = append(b, '}')
	}
	return append(b, ']')
}
