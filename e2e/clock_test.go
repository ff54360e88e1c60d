package e2e

import (
	"bytes"
	"crypto/tls"
	"net/netip"
	"testing"
	"time"

	"github.com/tlsmon/tlsmon/analyzer"
	"github.com/tlsmon/tlsmon/internal/testgen"
)

// TestClockNeverGoesBack: in a capture whose timestamps jump back (two captures pasted
// together), Zeek's network time stays at the newest time seen. A connection made of
// older packets has its inactivity timer in the past at once, so each of its packets is a
// connection of its own, removed at the next packet; none is analyzed (the SYN's has no
// data, the others are partial). Only the connection at the newest time raises events.
func TestClockNeverGoesBack(t *testing.T) {
	tr, err := testgen.Run(testgen.Config{MaxVersion: tls.VersionTLS12, ServerName: "clock.example.com"})
	if err != nil {
		t.Fatal(err)
	}
	write := func(start time.Time, client string) ([]byte, testgen.ConnRecord) {
		var buf bytes.Buffer
		c, err := testgen.NewCapture(&buf, start)
		if err != nil {
			t.Fatal(err)
		}
		ep := testgen.Endpoints{Client: netip.MustParseAddrPort(client), Server: netip.MustParseAddrPort("10.0.0.2:443")}
		rec, err := c.AddConnAt(tr, testgen.Framing{AckFlights: true}, ep)
		if err != nil {
			t.Fatal(err)
		}
		return buf.Bytes(), rec
	}
	late, lateConn := write(testgen.DefaultStart.Add(2*time.Hour), "10.0.0.1:40001")
	early, earlyConn := write(testgen.DefaultStart, "10.0.0.3:40002")
	const pcapHeader = 24
	pcap := append(late, early[pcapHeader:]...)
	col := runCapture(t, pcap, analyzer.Options{})
	if n := len(named(col.byConn(lateConn.Client.String()), "ssl_client_hello")); n != 1 {
		t.Fatalf("connection at the newest time: %d client hellos, want 1", n)
	}
	if rs := col.byConn(earlyConn.Client.String()); len(named(rs, "ssl_client_hello")) != 0 {
		t.Fatalf("connection from older packets analyzed: %d events", len(rs))
	}
}
