package smtp

import (
	"fmt"
	"slices"
	"testing"

	"github.com/tlsmon/tlsmon"
	"github.com/tlsmon/tlsmon/analyzer"
	"github.com/tlsmon/tlsmon/starttls"
)

// detailRec records every event with the fields that tell two runs apart.
type detailRec struct{ evs []string }

func (r *detailRec) HandleEvent(ev tlsmon.Event) {
	s := fmt.Sprintf("%d %s", ev.EventMeta().Ts, ev.Name())
	switch e := ev.(type) {
	case *tlsmon.Weird:
		s += " " + e.WeirdName + " " + e.Addl + " " + e.Source
	case *tlsmon.AnalyzerViolation:
		s += fmt.Sprintf(" %s %s %v", e.Analyzer, e.Reason, e.Ignored)
	case *tlsmon.AnalyzerConfirmation:
		s += " " + e.Analyzer
	}
	r.evs = append(r.evs, s)
}

// converse runs an SMTP analyzer (framing the message body line by line or not) over a
// conversation: each byte b of data's first quarter cuts the next delivery from the rest
// (length b%64+1, originator when b&0x80 is 0; 0x7f: a gap), as sttest.Fuzz does.
func converse(data []byte, frameBody bool) []string {
	r := &detailRec{}
	conn := &tlsmon.Conn{UID: "Ctest"}
	conn.ID.RespP, conn.ID.Proto = 25, tlsmon.ProtoTCP
	env := &analyzer.Env{Conn: conn, Events: r, Detach: func() { r.evs = append(r.evs, "detached") }}
	p := newParser()
	p.frameBody = frameBody
	a := starttls.NewHost(env, "SMTP", p)
	q := len(data) / 4
	ctl, rest := data[:q], data[q:]
	ts := int64(0)
	for _, b := range ctl {
		if len(rest) == 0 {
			break
		}
		ts++
		if b == 0x7f {
			a.Gap(ts, true, 10)
			continue
		}
		n := min(int(b%64)+1, len(rest))
		a.DeliverStream(ts, b&0x80 == 0, rest[:n])
		rest = rest[n:]
	}
	if len(rest) > 0 {
		a.DeliverStream(ts+1, true, rest)
	}
	a.EndOfData(ts+2, true)
	a.EndOfData(ts+2, false)
	a.Done(ts + 3)
	return r.evs
}

// smtpSeed lays out a conversation for converse: the server's and the client's turns in
// order, each turn one delivery (or several of at most 64 bytes).
func smtpSeed(turns ...string) []byte {
	var ctl, rest []byte
	for i, t := range turns {
		for len(t) > 0 {
			n := min(len(t), 64)
			b := byte(n - 1)
			if i%2 == 0 { // the server speaks first
				b |= 0x80
			}
			ctl, rest, t = append(ctl, b), append(rest, t[:n]...), t[n:]
		}
	}
	for len(ctl)*3 < len(rest) { // the control bytes are data's first quarter
		ctl = append(ctl, 0x3f)
	}
	return append(ctl, rest[:len(ctl)*3]...)
}

// smtpBodySeeds are conversations that reach a message body, for FuzzSMTP.
func smtpBodySeeds() [][]byte {
	body := "Subject: x\r\n\r\nline one\r\nline two with a long tail of text to cross deliveries\r\n"
	var seeds [][]byte
	for _, data := range []string{
		body + ".\r\n",
		body + "..stuffed\r\n.\r\n",
		body + "bare\rCR\r\n.\r\n",
		body + "bare LF\n.\r\n",
		body + "nul\x00here\r\n.\r\n",
		body + "\r\r\n.\r\n",
		body + ".\r\nSTARTTLS\r\n",
	} {
		seeds = append(seeds, smtpSeed("220 mx\r\n", "EHLO a\r\nMAIL FROM:<a@b>\r\nDATA\r\n", "250 ok\r\n250 ok\r\n354 go\r\n", data, "250 queued\r\n220 ready\r\n", "QUIT\r\n"))
	}
	return seeds
}

// sameWithoutSkip requires Lines.SkipPlain to change nothing: the events of a
// conversation are the same whether the message body is framed line by line or skipped.
func sameWithoutSkip(t *testing.T, data []byte) {
	framed, skipped := converse(data, true), converse(data, false)
	if !slices.Equal(framed, skipped) {
		t.Fatalf("framed:\n%q\nskipped:\n%q", framed, skipped)
	}
}

// TestSkipPlainSkips checks that the message body is skipped, not framed: the test above
// would pass if SkipPlain never skipped anything.
func TestSkipPlainSkips(t *testing.T) {
	var l starttls.Lines
	l.CR, l.NULs = true, true
	for _, tc := range []struct {
		in   string
		want int
		ok   bool
	}{
		{"a\r\nb\r\n.\r\nc\r\n", 6, true},
		{"a\r\nb\r\nc", 6, true},
		{"a\r\nb\rx\r\n", 0, false},
		{"a\r\nb\nc\r\n", 3, true},
		{"a\r\n\x00\r\n", 0, false},
		{".\r\n", 0, true},
		{"\r\n\r\n", 4, true},
	} {
		if got, ok := l.SkipPlain([]byte(tc.in), "."); got != tc.want || ok != tc.ok {
			t.Errorf("SkipPlain(%q) = %d, %v; want %d, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}
