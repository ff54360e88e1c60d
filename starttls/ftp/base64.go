package ftp

import "strconv"

var b64 = func() (t [256]int8) {
	for i := range t {
		t[i] = -1
	}
	const alpha = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	for i := 0; i < len(alpha); i++ {
		t[alpha[i]] = int8(i)
	}
	t['='] = 0
	return t
}()

// decodeBase64 decodes s into dst as Zeek's decode_base64 does: '=' counts as padding, any
// other byte outside the alphabet makes the whole decoding fail (ok false, weird says
// why), groups after padding are dropped with a weird, and an incomplete last group is
// padded with zero bits (with a weird, the result being kept).
func decodeBase64(dst, s []byte) (out []byte, weird string, ok bool) {
	var group [4]byte
	n, padding, afterPadding := 0, 0, false
	failed := false
	flush := func() {
		if afterPadding {
			if weird == "" {
				weird = "extra base64 groups after '=' padding are ignored"
			}
			failed = true
			n = 0
			return
		}
		v := uint32(group[0])<<18 | uint32(group[1])<<12 | uint32(group[2])<<6 | uint32(group[3])
		k := 3 - padding
		if k > 0 {
			dst = append(dst, byte(v>>16))
		}
		if k > 1 {
			dst = append(dst, byte(v>>8))
		}
		if k > 2 {
			dst = append(dst, byte(v))
		}
		if padding > 0 {
			afterPadding = true
		}
		n, padding = 0, 0
	}
	for _, c := range s {
		if c == '=' {
			padding++
		}
		k := b64[c]
		if k < 0 {
			if weird == "" {
				weird = "character " + strconv.Itoa(int(c)) + " ignored by Base64 decoding"
			}
			failed = true
			continue
		}
		group[n] = byte(k)
		n++
		if n == 4 {
			flush()
		}
	}
	if failed {
		return dst, weird, false
	}
	if n != 0 {
		weird = "incomplete base64 group, padding with " + strconv.Itoa((4-n)*6) + " bits of 0"
		for n < 4 {
			padding++
			group[n] = 0
			n++
		}
		flush()
	}
	return dst, weird, true
}
