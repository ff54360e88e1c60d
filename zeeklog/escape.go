package zeeklog

import (
	"strings"
	"unicode/utf8"
)

const hexDigits = "0123456789abcdef"

func appendHexByte(b []byte, c byte) []byte {
	return append(b, '\\', 'x', hexDigits[c>>4], hexDigits[c&0xf])
}

// utf8OK reports whether s starts with a multi-byte UTF-8 character Zeek accepts as
// printable, and its length. Zeek rejects invalid sequences, C1 controls, the private use
// area U+E000..U+F8FF and U+FFF0..U+FFFF.
func utf8OK(s string) (int, bool) {
	r, n := utf8.DecodeRuneInString(s)
	if n <= 1 {
		return 1, false
	}
	if r <= 0x1f || r == 0x7f || (r >= 0x80 && r <= 0x9f) ||
		(r >= 0xe000 && r <= 0xf8ff) || (r >= 0xfff0 && r <= 0xffff) {
		return n, false
	}
	return n, true
}

// appendEscapeUTF8 mirrors Zeek's escape_utf8: printable ASCII is kept; the controls \b \f
// \n \r \t are kept unless escapeTextControls; other controls and bytes that are not part
// of an acceptable UTF-8 character are written \xNN. Once one bad byte is found, every
// non-ASCII byte of s is written \xNN, valid UTF-8 included.
func appendEscapeUTF8(b []byte, s string, escapeTextControls bool) []byte {
	// fast path: plain printable ASCII
	plain := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 32 || c >= 127 {
			plain = false
			break
		}
	}
	if plain {
		return append(b, s...)
	}
	bad := false
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 32 && c < 127 || !escapeTextControls && isTextControl(c) {
			i++
			continue
		}
		n, ok := utf8OK(s[i:])
		if !ok {
			bad = true
			break
		}
		i += n
	}
	if !bad {
		return append(b, s...)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 32 && c < 127 || !escapeTextControls && isTextControl(c) {
			b = append(b, c)
			continue
		}
		b = appendHexByte(b, c)
	}
	return b
}

func isTextControl(c byte) bool {
	return c == '\b' || c == '\f' || c == '\n' || c == '\r' || c == '\t'
}

// appendTSVString writes s as Zeek's ASCII writer does, with the given separators in
// effect (the field separator always; the set separator inside containers): backslash
// becomes \\, a separator becomes \xNN per byte, and the stretches between those are
// escaped as by escape_utf8 with every control escaped.
func appendTSVString(b []byte, s string, seps []string) []byte {
	if plainTSV(s, seps) {
		return append(b, s...)
	}
	return appendTSVEscaped(b, s, seps)
}

// appendTSVEscaped is appendTSVString without its fast path.
func appendTSVEscaped(b []byte, s string, seps []string) []byte {
	start := 0
	for i := 0; i < len(s); {
		n := 0
		if s[i] == '\\' {
			n = 1
		} else {
			for _, sep := range seps {
				if len(sep) > 0 && len(s)-i >= len(sep) && s[i:i+len(sep)] == sep {
					n = len(sep)
					break
				}
			}
		}
		if n == 0 {
			i++
			continue
		}
		b = appendEscapeUTF8(b, s[start:i], true)
		for j := i; j < i+n; j++ {
			if s[j] == '\\' {
				b = append(b, '\\', '\\')
			} else {
				b = appendHexByte(b, s[j])
			}
		}
		i += n
		start = i
	}
	return appendEscapeUTF8(b, s[start:], true)
}

// plainTSV reports whether appendTSVString writes s unchanged: printable ASCII without
// backslashes or separators.
func plainTSV(s string, seps []string) bool {
	if !printableNoBackslash(s) {
		return false
	}
	for _, sep := range seps {
		switch {
		case len(sep) == 1 && sep[0] < 32:
			// a control byte (the tab of every field): the loop above has ruled it
			// out, so no second scan of s
		case len(sep) == 1:
			if strings.IndexByte(s, sep[0]) >= 0 {
				return false
			}
		case sep != "" && strings.Contains(s, sep):
			return false
		}
	}
	return true
}

// printableNoBackslash reports whether every byte of s is printable ASCII (32..126) and
// not a backslash. Every string of every TSV row is tested, so eight bytes at a time.
func printableNoBackslash[T string | []byte](s T) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	i := 0
	for ; i+8 <= len(s); i += 8 {
		w := s[i : i+8]
		x := uint64(w[0]) | uint64(w[1])<<8 | uint64(w[2])<<16 | uint64(w[3])<<24 |
			uint64(w[4])<<32 | uint64(w[5])<<40 | uint64(w[6])<<48 | uint64(w[7])<<56
		// exact tests for "some byte is": below 32; above 126 (its high bit, or 127 + 1
		// reaching it); zero once XORed with the backslash
		below := (x - 32*ones) &^ x
		above := x | (x + ones)
		y := x ^ '\\'*ones
		bs := (y - ones) &^ y
		if (below|above|bs)&highs != 0 {
			return false
		}
	}
	for ; i < len(s); i++ {
		if c := s[i]; c < 32 || c >= 127 || c == '\\' {
			return false
		}
	}
	return true
}

// appendJSONString writes s as a JSON string the way Zeek's JSON formatter does with the
// default hex escape policy: escape_utf8 (text controls kept), then rapidjson's escaping.
func appendJSONString(b []byte, s string) []byte {
	var tmp [64]byte
	esc := appendEscapeUTF8(tmp[:0], s, false)
	b = append(b, '"')
	for _, c := range esc {
		switch c {
		case '"':
			b = append(b, '\\', '"')
		case '\\':
			b = append(b, '\\', '\\')
		case '\b':
			b = append(b, '\\', 'b')
		case '\f':
			b = append(b, '\\', 'f')
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		default:
			if c < 0x20 {
				b = append(b, '\\', 'u', '0', '0', hexUpper[c>>4], hexUpper[c&0xf])
			} else {
				b = append(b, c)
			}
		}
	}
	return append(b, '"')
}

const hexUpper = "0123456789ABCDEF"
