package smtp

import (
	"testing"

	"github.com/tlsmon/tlsmon/starttls/internal/sttest"
)

func conv(startReply string) []sttest.Step {
	return []sttest.Step{
		{Orig: false, Data: []byte("220 mx.example ESMTP\r\n")},
		{Orig: true, Data: []byte("EHLO me\r\n")},
		{Orig: false, Data: []byte("250-mx.example\r\n250-PIPELINING\r\n250 STARTTLS\r\n")},
		{Orig: true, Data: []byte("STARTTLS\r\n")},
		{Orig: false, Data: []byte(startReply)},
		{Orig: true, Data: sttest.ClientHello()},
	}
}

func TestStartTLS(t *testing.T) {
	rec := sttest.Run(t, 25, New, conv("220 2.0.0 Ready to start TLS\r\n"))
	if rec.Count("ssl_client_hello") != 1 {
		t.Fatalf("no client hello after STARTTLS/220: %v", rec.Names)
	}
	if len(rec.Confirms) < 2 || rec.Confirms[0] != "SMTP" || rec.Confirms[1] != "SSL" {
		t.Fatalf("confirmations %v, want SMTP then SSL", rec.Confirms)
	}
}

func TestRefused(t *testing.T) {
	rec := sttest.Run(t, 25, New, conv("454 TLS not available\r\n"))
	if rec.Count("ssl_client_hello") != 0 {
		t.Fatalf("hand-off without a 220: %v", rec.Names)
	}
}

func TestSplitLinesAndBadReply(t *testing.T) {
	steps := conv("22")
	steps = append(steps[:5], sttest.Step{Orig: false, Data: []byte("0 go\r\n")}, steps[5])
	if rec := sttest.Run(t, 25, New, steps); rec.Count("ssl_client_hello") != 1 {
		t.Fatalf("reply split over deliveries not joined: %v", rec.Names)
	}
	rec := sttest.Run(t, 25, New, []sttest.Step{{Orig: false, Data: []byte("hello\r\n")}})
	if rec.Count("analyzer_violation_info") != 1 || !rec.Detached {
		t.Fatalf("bad reply code: %v detached=%v", rec.Names, rec.Detached)
	}
}
