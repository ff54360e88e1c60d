package zeeklog

import (
	"io"
	"strconv"
)

type jsonWriter struct {
	w    io.Writer
	cols []Column
	keys [][]byte // `"name":` per column, precomputed
	buf  []byte
}

// NewJSONWriter returns a writer of Zeek's JSON log format (LogAscii::use_json=T): one
// object per line, keys in column order, unset fields omitted, times as epoch seconds
// (with the digits of rapidjson's Grisu2, as Zeek prints doubles: grisu.go), containers as
// arrays.
func NewJSONWriter(w io.Writer, cols []Column) Writer {
	j := &jsonWriter{w: w, cols: cols}
	for _, c := range cols {
		k := appendJSONString(nil, c.Name)
		j.keys = append(j.keys, append(k, ':'))
	}
	return j
}

func (j *jsonWriter) Write(vals []Value) error {
	if len(vals) != len(j.cols) {
		return ErrColumns
	}
	b := append(j.buf[:0], '{')
	first := true
	for i, v := range vals {
		if v.k == kUnset {
			continue
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		b = append(b, j.keys[i]...)
		b = appendJSONValue(b, v)
	}
	b = append(b, '}', '\n')
	j.buf = b
	_, err := j.w.Write(b)
	return err
}

func appendJSONValue(b []byte, v Value) []byte {
	switch v.k {
	case kBool:
		if v.u != 0 {
			return append(b, "true"...)
		}
		return append(b, "false"...)
	case kInt:
		return strconv.AppendInt(b, v.i, 10)
	case kCount, kPort:
		return strconv.AppendUint(b, v.u, 10)
	case kAddr:
		return appendJSONString(b, addrString(v.a))
	case kDouble, kTime, kInterval:
		return appendJSONDouble(b, v.f)
	case kString, kEnum:
		return appendJSONString(b, v.s)
	case kStrings:
		b = append(b, '[')
		for i, s := range v.ss {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, s)
		}
		return append(b, ']')
	case kCounts:
		b = append(b, '[')
		for i, c := range v.cs {
			if i > 0 {
				b = append(b, ',')
			}
			b = strconv.AppendUint(b, c, 10)
		}
		return append(b, ']')
	}
	return append(b, "null"...)
}

func (j *jsonWriter) Close(int64) error { return nil }
