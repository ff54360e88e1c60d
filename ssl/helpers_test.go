package ssl

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/tlsmon/tlsmon"
	"github.com/tlsmon/tlsmon/analyzer"
	"golang.org/x/crypto/cryptobyte"
)

var testConn = &tlsmon.Conn{UID: "Ctest", ID: tlsmon.ConnID{
	OrigH: netip.MustParseAddr("10.0.0.1"), RespH: netip.MustParseAddr("10.0.0.2"),
	OrigP: 40000, RespP: 443, Proto: tlsmon.ProtoTCP}}

// recorder keeps a text line per event: "name args" for SSL events, "weird NAME ADDL",
// "violation REASON", "confirm", "cert IDX ISCLIENT LEN".
type recorder struct {
	lines    []string
	detached int
}

func (r *recorder) HandleEvent(e tlsmon.Event) {
	switch ev := e.(type) {
	case tlsmon.SSLEvent:
		r.lines = append(r.lines, ev.Name()+" "+string(ev.AppendArgs(nil)))
	case *tlsmon.Weird:
		r.lines = append(r.lines, "weird "+ev.WeirdName+" "+ev.Addl)
	case *tlsmon.AnalyzerViolation:
		r.lines = append(r.lines, "violation "+ev.Reason)
	case *tlsmon.AnalyzerConfirmation:
		r.lines = append(r.lines, "confirm")
	case *tlsmon.Certificate:
		r.lines = append(r.lines, fmt.Sprintf("cert %d %v %d", ev.Index, ev.IsClient, len(ev.DER)))
	}
}

func (r *recorder) names() []string {
	var out []string
	for _, l := range r.lines {
		out = append(out, strings.SplitN(l, " ", 2)[0])
	}
	return out
}

func (r *recorder) has(prefix string) bool {
	for _, l := range r.lines {
		if strings.HasPrefix(l, prefix) {
			return true
		}
	}
	return false
}

func newTestAnalyzer(opts analyzer.Options) (*Analyzer, *recorder) {
	r := &recorder{}
	env := &analyzer.Env{Conn: testConn, Events: r, Options: opts}
	env.Detach = func() { r.detached++ }
	return New(env).(*Analyzer), r
}

// record builds a TLS record.
func record(ct uint8, version uint16, body []byte) []byte {
	b := cryptobyte.NewBuilder(nil)
	b.AddUint8(ct)
	b.AddUint16(version)
	b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(body) })
	return b.BytesOrPanic()
}

// hsMsg builds a handshake message.
func hsMsg(typ uint8, body []byte) []byte {
	b := cryptobyte.NewBuilder(nil)
	b.AddUint8(typ)
	b.AddUint24LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(body) })
	return b.BytesOrPanic()
}

type ext struct {
	typ  uint16
	data []byte
}

func u16s(vs ...uint16) []byte {
	b := cryptobyte.NewBuilder(nil)
	for _, v := range vs {
		b.AddUint16(v)
	}
	return b.BytesOrPanic()
}

func prefixed16(data []byte) []byte {
	b := cryptobyte.NewBuilder(nil)
	b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(data) })
	return b.BytesOrPanic()
}

func prefixed8(data []byte) []byte {
	b := cryptobyte.NewBuilder(nil)
	b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(data) })
	return b.BytesOrPanic()
}

func extBlock(exts []ext) []byte {
	b := cryptobyte.NewBuilder(nil)
	b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
		for _, e := range exts {
			b.AddUint16(e.typ)
			b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(e.data) })
		}
	})
	return b.BytesOrPanic()
}

// clientHelloBody builds a ClientHello body.
func clientHelloBody(version uint16, random [32]byte, sessID []byte, ciphers []uint16, exts []ext) []byte {
	b := cryptobyte.NewBuilder(nil)
	b.AddUint16(version)
	b.AddBytes(random[:])
	b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(sessID) })
	b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(u16s(ciphers...)) })
	b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddUint8(0) })
	out := b.BytesOrPanic()
	if exts != nil {
		out = append(out, extBlock(exts)...)
	}
	return out
}

func serverHelloBody(version uint16, random [32]byte, sessID []byte, cipher uint16, exts []ext) []byte {
	b := cryptobyte.NewBuilder(nil)
	b.AddUint16(version)
	b.AddBytes(random[:])
	b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(sessID) })
	b.AddUint16(cipher)
	b.AddUint8(0)
	out := b.BytesOrPanic()
	if exts != nil {
		out = append(out, extBlock(exts)...)
	}
	return out
}

func seqRandom(start byte) (r [32]byte) {
	for i := range r {
		r[i] = start + byte(i)
	}
	return r
}
