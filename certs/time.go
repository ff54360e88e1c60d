package certs

import (
	"time"

	"golang.org/x/crypto/cryptobyte"
	"golang.org/x/crypto/cryptobyte/asn1"
)

// readTime reads one UTCTime or GeneralizedTime and converts it as Zeek's
// GetTimeFromAsn1 does (including its leniency and its quirks); 0 when unusable, then
// with the weird Zeek raises for it, if any.
func readTime(s *cryptobyte.String) (int64, string) {
	var body cryptobyte.String
	var tag asn1.Tag
	if !readAnyASN1(s, &body, &tag) {
		return 0, ""
	}
	return asn1TimeWeird(body, tag)
}

func asn1Time(p []byte, tag asn1.Tag) int64 {
	t, _ := asn1TimeWeird(p, tag)
	return t
}

// asn1TimeWeird converts a time's content; a time Zeek rejects gives 0 and the weird
// Zeek's GetTimeFromAsn1 raises.
func asn1TimeWeird(p []byte, tag asn1.Tag) (int64, string) {
	var buf [16]byte
	n := 0
	rem := len(p)
	switch tag {
	case asn1.UTCTime:
		if rem < 11 || rem > 17 {
			return 0, "x509_utc_length"
		}
		if p[rem-1] != 'Z' { // RFC 2459 4.1.2.5.1
			return 0, "x509_utc_format"
		}
		if p[0] < '5' {
			buf[0], buf[1] = '2', '0'
		} else {
			buf[0], buf[1] = '1', '9'
		}
		copy(buf[2:], p[:10])
		n = 12
		p = p[10:]
	case asn1.GeneralizedTime:
		if rem < 12 || rem > 23 {
			return 0, "x509_gen_time_length"
		}
		copy(buf[:], p[:12])
		n = 12
		p = p[12:]
	default:
		return 0, "x509_invalid_time_type"
	}
	if len(p) == 0 || p[0] == 'Z' || p[0] == '-' || p[0] == '+' {
		buf[n], buf[n+1] = '0', '0'
	} else if len(p) >= 2 {
		buf[n], buf[n+1] = p[0], p[1]
		p = p[2:]
		if len(p) > 0 && p[0] == '.' {
			p = p[1:]
			for len(p) > 0 && p[0] >= '0' && p[0] <= '9' {
				p = p[1:]
			}
		}
	} else {
		return 0, "x509_time_add_char"
	}
	var off int64
	if len(p) != 0 && p[0] != 'Z' {
		if len(p) < 5 {
			return 0, "x509_time_offset_underflow"
		}
		if p[0] != '+' && p[0] != '-' {
			return 0, "x509_time_offset_type"
		}
		d := func(c byte) int64 { return int64(c) - '0' }
		// Zeek's arithmetic, kept as is for identical results
		off = d(p[1])*10 + d(p[2])*60 + d(p[3])*10 + d(p[4])
		if p[0] == '-' {
			off = -off
		}
	}
	d := func(i int) int { return int(buf[i]) - '0' }
	year := d(0)*1000 + d(1)*100 + d(2)*10 + d(3)
	if year > 1900 {
		year -= 1900
	}
	t := time.Date(year+1900, time.Month(d(4)*10+d(5)), d(6)*10+d(7),
		d(8)*10+d(9), d(10)*10+d(11), d(12)*10+d(13), 0, time.UTC)
	r := t.Unix()
	if r == 0 {
		return 0, ""
	}
	return r + off, ""
}
