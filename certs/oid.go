package certs

import (
	"strconv"
	"strings"
	"sync"
)

// oidString renders DER OID content bytes in dotted form as OpenSSL's OBJ_obj2txt does
// (the first arc pair split as 0/1/2). The OIDs of this package's tables come from
// knownOIDs (no formatting, no allocation: a certificate names a dozen of them).
func oidString(b []byte) string {
	if s, ok := commonOID(b); ok {
		return s
	}
	if s, ok := knownOIDs()[string(b)]; ok {
		return s
	}
	return formatOID(b)
}

// knownOIDs maps the DER content of every OID in this package's tables to its dotted
// form.
var knownOIDs = sync.OnceValue(func() map[string]string {
	m := make(map[string]string)
	add := func(dotted string) {
		if der, ok := encodeOID(dotted); ok && formatOID(der) == dotted {
			m[string(der)] = dotted
		}
	}
	for _, t := range []map[string]string{algLongNames, attrShortNames} {
		for k := range t {
			add(k)
		}
	}
	for k := range curveNames {
		add(k)
	}
	for k := range fieldBits {
		add(k)
	}
	return m
})

// encodeOID returns the DER content of a dotted OID.
func encodeOID(dotted string) ([]byte, bool) {
	var arcs []uint64
	for _, p := range strings.Split(dotted, ".") {
		v, err := strconv.ParseUint(p, 10, 56)
		if err != nil {
			return nil, false
		}
		arcs = append(arcs, v)
	}
	if len(arcs) < 2 || arcs[0] > 2 {
		return nil, false
	}
	arcs = append([]uint64{arcs[0]*40 + arcs[1]}, arcs[2:]...)
	var out []byte
	for _, v := range arcs {
		var tmp [9]byte
		i := len(tmp) - 1
		tmp[i] = byte(v & 0x7f)
		for v >>= 7; v > 0; v >>= 7 {
			i--
			tmp[i] = byte(v&0x7f) | 0x80
		}
		out = append(out, tmp[i:]...)
	}
	return out, true
}

// formatOID is oidString without the table.
func formatOID(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	out := make([]byte, 0, 3*len(b))
	first := true
	var v uint64
	for i, c := range b {
		if v > (1<<56)-1 { // too large for OpenSSL's fast path; keep a best effort
			return ""
		}
		v = v<<7 | uint64(c&0x7f)
		if c&0x80 != 0 {
			if i == len(b)-1 {
				return "" // truncated arc
			}
			continue
		}
		if first {
			first = false
			switch {
			case v < 40:
				out = append(out, '0', '.')
			case v < 80:
				out = append(out, '1', '.')
				v -= 40
			default:
				out = append(out, '2', '.')
				v -= 80
			}
			out = strconv.AppendUint(out, v, 10)
		} else {
			out = append(out, '.')
			out = strconv.AppendUint(out, v, 10)
		}
		v = 0
	}
	return string(out)
}
