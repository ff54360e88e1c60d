package main

import (
	"bytes"
	"encoding/hex"
	"io"
	"unicode/utf8"

	"github.com/tlsmon/tlsmon"
)

// eventFile writes every SSL event it receives as one JSON line: the canonical line of
// FORMAT.md of the conformance corpus plus the connection's "uid" (after "event"), so that
// events join with ssl.log and conn.log. With text set, the string arguments that are
// printable UTF-8 are written as JSON text instead of hex (--events-text). Other events are
// ignored. It reuses its line buffers: no allocation per event once they have grown to the
// longest line. w is expected to buffer (a lazyFile).
type eventFile struct {
	w     io.Writer
	text  bool
	canon []byte
	line  []byte
	err   error // first write error; later events are dropped
}

func newEventFile(w io.Writer, text bool) *eventFile {
	return &eventFile{w: w, text: text, canon: make([]byte, 0, 1024), line: make([]byte, 0, 1024)}
}

// idKey is where the canonical line's connection starts: the uid goes before it.
var idKey = []byte(`,"id":{`)

// idStart returns where idKey starts in the canonical line c of the event named name:
// after `{"ts":` TIME `,"event":"` NAME `"`, TIME holding no comma. (Computed rather than
// searched: a search cost 6 % of an --events run on perfmix.)
func idStart(c []byte, name string) int {
	const head = len(`{"ts":`)
	if j := bytes.IndexByte(c[head:], ','); j >= 0 {
		i := head + j + len(`,"event":"`) + len(name) + 1
		if i <= len(c) && bytes.HasPrefix(c[i:], idKey) {
			return i
		}
	}
	return bytes.Index(c, idKey)
}

// HandleEvent implements tlsmon.Handler. The line goes out in pieces (before the uid,
// the uid, the rest): w buffers them into one line without another copy of the line.
func (f *eventFile) HandleEvent(e tlsmon.Event) {
	ev, ok := e.(tlsmon.SSLEvent)
	if !ok || f.err != nil {
		return
	}
	c := tlsmon.AppendCanonical(f.canon[:0], ev)
	c = append(c, '\n')
	f.canon = c
	i := idStart(c, ev.Name())
	u := append(f.line[:0], `,"uid":"`...)
	u = append(u, ev.EventMeta().Conn.UID...) // "C" and base62: nothing to escape
	u = append(u, '"')
	if f.text {
		u = appendTextArgs(u, c[i:])
	}
	f.line = u
	if _, f.err = f.w.Write(c[:i]); f.err != nil {
		return
	}
	if _, f.err = f.w.Write(u); f.err != nil || f.text {
		return
	}
	_, f.err = f.w.Write(c[i:])
}

// Err returns the first write error met.
func (f *eventFile) Err() error { return f.err }

// appendTextArgs appends the rest of a canonical line (from its "id"), with every string
// value of "args" that is hex of printable UTF-8 written as that text. In the canonical
// form every string value inside "args" is hex (FORMAT.md) and no string holds a quote or
// a backslash, so a string followed by ':' is a key and any other one is a value.
func appendTextArgs(b, rest []byte) []byte {
	args := bytes.Index(rest, []byte(`"args":`))
	if args < 0 {
		return append(b, rest...)
	}
	b = append(b, rest[:args+len(`"args":`)]...)
	rest = rest[args+len(`"args":`):]
	var tmp [256]byte
	for len(rest) > 0 {
		q := bytes.IndexByte(rest, '"')
		if q < 0 {
			break
		}
		end := bytes.IndexByte(rest[q+1:], '"')
		if end < 0 {
			break
		}
		end += q + 1
		b = append(b, rest[:q]...)
		s := rest[q+1 : end]
		isKey := end+1 < len(rest) && rest[end+1] == ':'
		if !isKey && len(s)%2 == 0 {
			raw := tmp[:0]
			if len(s)/2 > len(tmp) {
				raw = make([]byte, 0, len(s)/2)
			}
			if raw, err := hex.AppendDecode(raw, s); err == nil && printableUTF8(raw) {
				b = appendJSONString(b, raw)
				rest = rest[end+1:]
				continue
			}
		}
		b = append(b, rest[q:end+1]...)
		rest = rest[end+1:]
	}
	return append(b, rest...)
}

// printableUTF8 reports whether s is valid UTF-8 without control characters: text a
// person reads (server names, ALPN protocols, PSK identities that are names).
func printableUTF8(s []byte) bool {
	for len(s) > 0 {
		r, n := utf8.DecodeRune(s)
		if r == utf8.RuneError && n <= 1 || r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return false
		}
		s = s[n:]
	}
	return true
}

// appendJSONString appends s (printable UTF-8) as a JSON string.
func appendJSONString(b, s []byte) []byte {
	b = append(b, '"')
	for _, c := range s {
		if c == '"' || c == '\\' {
			b = append(b, '\\')
		}
		b = append(b, c)
	}
	return append(b, '"')
}
