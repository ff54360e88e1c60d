// Package sttest holds test helpers for the starttls analyzers: an environment that
// records events, a minimal TLS client hello, and a fuzz driver.
package sttest

import (
	"testing"

	"github.com/tlsmon/tlsmon"
	"github.com/tlsmon/tlsmon/analyzer"
)

// Rec records the events an analyzer raises.
type Rec struct {
	Names    []string
	Confirms []string
	Detached bool
}

// HandleEvent records ev.
func (r *Rec) HandleEvent(ev tlsmon.Event) {
	r.Names = append(r.Names, ev.Name())
	if c, ok := ev.(*tlsmon.AnalyzerConfirmation); ok {
		r.Confirms = append(r.Confirms, c.Analyzer)
	}
}

// Count returns how many events named name were raised.
func (r *Rec) Count(name string) int {
	n := 0
	for _, s := range r.Names {
		if s == name {
			n++
		}
	}
	return n
}

// NewEnv returns an environment whose events go to the returned recorder.
func NewEnv(respPort uint16) (*analyzer.Env, *Rec) {
	r := &Rec{}
	conn := &tlsmon.Conn{UID: "Ctest"}
	conn.ID.RespP = respPort
	conn.ID.Proto = tlsmon.ProtoTCP
	return &analyzer.Env{Conn: conn, Events: r, Detach: func() { r.Detached = true }}, r
}

// ClientHello returns a TLS 1.2 client hello record (one cipher suite, no extension).
func ClientHello() []byte {
	body := []byte{0x03, 0x03}
	body = append(body, make([]byte, 32)...)    // random
	body = append(body, 0x00)                   // session id
	body = append(body, 0x00, 0x02, 0x00, 0x2f) // cipher suites
	body = append(body, 0x01, 0x00)             // compression methods
	hs := append([]byte{0x01, 0, 0, byte(len(body))}, body...)
	return append([]byte{0x16, 0x03, 0x01, 0, byte(len(hs))}, hs...)
}

// Step is one delivery of a scripted conversation.
type Step struct {
	Orig bool
	Data []byte
}

// Run delivers steps to a new analyzer and ends it; it returns the recorder.
func Run(t testing.TB, port uint16, newA analyzer.Factory, steps []Step) *Rec {
	t.Helper()
	env, rec := NewEnv(port)
	a := newA(env)
	for i, s := range steps {
		a.DeliverStream(int64(i+1), s.Orig, s.Data)
	}
	a.EndOfData(int64(len(steps)+1), true)
	a.Done(int64(len(steps) + 2))
	return rec
}

// Fuzz feeds data to a new analyzer as a conversation: each byte b of the first quarter
// splits the rest into deliveries (length b%64+1, direction b&0x80), with a gap for b==0x7f.
func Fuzz(data []byte, port uint16, newA analyzer.Factory) {
	env, _ := NewEnv(port)
	a := newA(env)
	q := len(data) / 4
	ctl, rest := data[:q], data[q:]
	ts := int64(0)
	for _, b := range ctl {
		if len(rest) == 0 {
			break
		}
		ts++
		isOrig := b&0x80 == 0
		if b == 0x7f {
			a.Gap(ts, isOrig, 10)
			continue
		}
		n := min(int(b%64)+1, len(rest))
		a.DeliverStream(ts, isOrig, rest[:n])
		rest = rest[n:]
	}
	if len(rest) > 0 {
		a.DeliverStream(ts+1, true, rest)
	}
	a.EndOfData(ts+2, true)
	a.EndOfData(ts+2, false)
	a.Done(ts + 3)
}
