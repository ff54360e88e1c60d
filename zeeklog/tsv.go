package zeeklog

import (
	"errors"
	"io"
	"strconv"
	"time"
)

const (
	tsvSeparator    = "\t"
	tsvSetSeparator = ","
	tsvEmpty        = "(empty)"
	tsvUnset        = "-"
)

var (
	fieldSeps = []string{tsvSeparator}
	setSeps   = []string{tsvSeparator, tsvSetSeparator}
)

// ErrColumns is returned when a row does not have one value per column.
var ErrColumns = errors.New("zeeklog: row has the wrong number of values")

type tsvWriter struct {
	w         io.Writer
	path      string
	cols      []Column
	openTs    int64
	headerOut bool
	rowsOnly  bool // NewRowWriter's: no header, no #close (lines.go)
	buf       []byte
}

// NewTSVWriter returns a writer of Zeek's default ASCII log format: the # header lines
// (separator, set_separator, empty_field, unset_field, path, open, fields, types), one
// tab-separated line per row, and a #close line. Like Zeek, which creates a log file only
// when its first row is written, it writes nothing at all until the first row. openTs
// (µs since the epoch; 0 means now) is printed in #open in local time, as Zeek does.
func NewTSVWriter(w io.Writer, path string, cols []Column, openTs int64) Writer {
	return &tsvWriter{w: w, path: path, cols: cols, openTs: openTs}
}

func stamp(b []byte, us int64) []byte {
	t := time.Now()
	if us != 0 {
		t = time.UnixMicro(us)
	}
	return t.Local().AppendFormat(b, "2006-01-02-15-04-05")
}

func (t *tsvWriter) header(b []byte) []byte {
	b = append(b, "#separator \\x09\n"...)
	b = append(b, "#set_separator\t,\n"...)
	b = append(b, "#empty_field\t(empty)\n"...)
	b = append(b, "#unset_field\t-\n"...)
	b = append(b, "#path\t"...)
	b = appendHeaderEscaped(b, t.path)
	b = append(b, "\n#open\t"...)
	b = stamp(b, t.openTs)
	b = append(b, "\n#fields"...)
	for _, c := range t.cols {
		b = append(b, '\t')
		b = append(b, c.Name...)
	}
	b = append(b, "\n#types"...)
	for _, c := range t.cols {
		b = append(b, '\t')
		b = append(b, c.Type...)
	}
	return append(b, '\n')
}

// appendHeaderEscaped escapes as Zeek's get_escaped_string(s, false): whitespace and
// non-printable bytes as \xNN, backslash as \\.
func appendHeaderEscaped(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\':
			b = append(b, '\\', '\\')
		case c <= ' ' || c >= 127:
			b = appendHexByte(b, c)
		default:
			b = append(b, c)
		}
	}
	return b
}

func (t *tsvWriter) Write(vals []Value) error {
	if len(vals) != len(t.cols) {
		return ErrColumns
	}
	b := t.buf[:0]
	if !t.headerOut {
		b = t.header(b)
		t.headerOut = true
	}
	lineStart := len(b)
	for i, v := range vals {
		if i > 0 {
			b = append(b, '\t')
		}
		b = appendTSVValue(b, v)
	}
	if len(b) > lineStart && b[lineStart] == '#' {
		b = escapeRowHash(b, lineStart)
	}
	b = append(b, '\n')
	t.buf = b
	_, err := t.w.Write(b)
	return err
}

// escapeRowHash writes the '#' that starts the row at lineStart as \x23: a row must not
// look like a header line, so Zeek escapes its first byte.
func escapeRowHash(b []byte, lineStart int) []byte {
	b = append(b, "xxx"...)
	copy(b[lineStart+4:], b[lineStart+1:len(b)-3])
	copy(b[lineStart:], `\x23`)
	return b
}

func appendTSVValue(b []byte, v Value) []byte {
	switch v.k {
	case kUnset:
		return append(b, tsvUnset...)
	case kBool:
		if v.u != 0 {
			return append(b, 'T')
		}
		return append(b, 'F')
	case kInt:
		return strconv.AppendInt(b, v.i, 10)
	case kCount, kPort:
		return strconv.AppendUint(b, v.u, 10)
	case kAddr:
		return appendAddr(b, v.a)
	case kDouble:
		return appendZeekDouble(b, v.f)
	case kTime, kInterval:
		return appendFixed6(b, v.f)
	case kString, kEnum:
		if v.u == plainString && v.s != "" && v.s != tsvUnset && v.s != tsvEmpty {
			return append(b, v.s...)
		}
		return appendTSVField(b, v.s, fieldSeps)
	case kStrings:
		if len(v.ss) == 0 {
			return append(b, tsvEmpty...)
		}
		for i, s := range v.ss {
			if i > 0 {
				b = append(b, tsvSetSeparator...)
			}
			b = appendTSVField(b, s, setSeps)
		}
		return b
	case kCounts:
		if len(v.cs) == 0 {
			return append(b, tsvEmpty...)
		}
		for i, c := range v.cs {
			if i > 0 {
				b = append(b, tsvSetSeparator...)
			}
			b = strconv.AppendUint(b, c, 10)
		}
		return b
	}
	return b
}

// appendTSVField writes one string field: empty is "(empty)"; a string equal to the
// unset or empty marker gets its first byte escaped so it cannot be mistaken for one.
func appendTSVField(b []byte, s string, seps []string) []byte {
	switch s {
	case "":
		return append(b, tsvEmpty...)
	case tsvUnset, tsvEmpty:
		b = appendHexByte(b, s[0])
		return append(b, s[1:]...)
	}
	return appendTSVString(b, s, seps)
}

func (t *tsvWriter) Close(closeTs int64) error {
	if !t.headerOut || t.rowsOnly {
		return nil
	}
	b := append(t.buf[:0], "#close\t"...)
	b = stamp(b, closeTs)
	b = append(b, '\n')
	t.buf = b
	_, err := t.w.Write(b)
	return err
}
