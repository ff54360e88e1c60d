package engine

import (
	"slices"
	"testing"

	"github.com/tlsmon/tlsmon"
	"github.com/tlsmon/tlsmon/budget"
	"github.com/tlsmon/tlsmon/packet"
	"github.com/tlsmon/tlsmon/ssl"
)

// handoffConn drives one connection of the default analyzers through a clear-text part
// (client's, server's, in turn) into TLS, then sends rec from the client (splitRecord: the
// first 100 bytes of a record whose header claims 16,000).
func handoffConn(e *Engine, port uint16, turns [][2]string, rec []byte) {
	ts := int64(1_000_000)
	var cseq, sseq uint32
	pkt := func(fromCli bool, flags uint8, payload []byte) {
		ts++
		p := tcpPacket(1, 40000, port, flags, cseq, sseq, ts)
		if !fromCli {
			p = tcpPacket(1, 40000, port, flags, sseq, cseq, ts)
			p.Src, p.Dst, p.SrcPort, p.DstPort = p.Dst, p.Src, port, 40000
		}
		p.Payload, p.PayloadLen, p.IPLen = payload, len(payload), 40+len(payload)
		e.Packet(p)
		if fromCli {
			cseq += uint32(len(payload))
		} else {
			sseq += uint32(len(payload))
		}
	}
	cseq, sseq = 100, 0
	pkt(true, packet.SYN, nil)
	cseq, sseq = 101, 500
	pkt(false, packet.SYN|packet.ACK, nil)
	cseq, sseq = 101, 501
	pkt(true, packet.ACK, nil)
	for _, t := range turns {
		if t[0] != "" {
			pkt(true, packet.PSH|packet.ACK, []byte(t[0]))
		}
		if t[1] != "" {
			pkt(false, packet.PSH|packet.ACK, []byte(t[1]))
		}
	}
	pkt(true, packet.PSH|packet.ACK, rec)
}

func splitRecord() []byte {
	rec := make([]byte, 100)
	rec[0], rec[1], rec[2], rec[3], rec[4] = 0x16, 0x03, 0x01, 16000>>8, 16000&0xff
	return rec
}

// TestHandoffDrawsOnBudget: the SSL analyzer RDP and the STARTTLS protocols start for
// their TLS part is the engine's (analyzer.Env.SSL): its session and the buffer of a record
// split over segments draw on the engine's memory budget (the Sessions and Records
// accounts), and all is given back when the connection ends; with a budget too small for
// the record, the draw is refused and reported as the memory_budget weird; and the
// engine's SSL limits (Options.SSL) apply to it.
func TestHandoffDrawsOnBudget(t *testing.T) {
	x224 := string([]byte{3, 0, 0, 19, 14, 0xe0, 0, 0, 0, 0, 0, 1, 0, 8, 0, 1, 0, 0, 0})
	x224cc := string([]byte{3, 0, 0, 19, 14, 0xd0, 0, 0, 0, 0, 0, 2, 0, 8, 0, 1, 0, 0, 0})
	cases := []struct {
		name  string
		port  uint16
		turns [][2]string
	}{
		{"SMTP", 25, [][2]string{{"", "220 mail ESMTP\r\n"}, {"EHLO x\r\n", "250 ok\r\n"}, {"STARTTLS\r\n", "220 go ahead\r\n"}}},
		{"IMAP", 143, [][2]string{{"", "* OK ready\r\n"}, {"a1 STARTTLS\r\n", "a1 OK begin\r\n"}}},
		{"RDP", 3389, [][2]string{{x224, x224cc}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := New(Options{MaxMemory: 64 << 20})
			handoffConn(e, c.port, c.turns, splitRecord())
			ms := e.MemoryStats()
			if ms.Accounts[budget.Sessions] == 0 || ms.Accounts[budget.Records] < 100 {
				t.Fatalf("the hand-off's SSL analyzer drew sessions %d, records %d bytes; want > 0 and >= 100",
					ms.Accounts[budget.Sessions], ms.Accounts[budget.Records])
			}
			e.Flush()
			if u := e.MemoryStats().Used; u != 0 {
				t.Errorf("%d bytes still drawn after Flush", u)
			}
		})
	}
	t.Run("refused", func(t *testing.T) {
		var weirds []string
		h := tlsmon.HandlerFunc(func(ev tlsmon.Event) {
			if w, ok := ev.(*tlsmon.Weird); ok && w.WeirdName == weirdMemoryBudget {
				weirds = append(weirds, w.Addl)
			}
		})
		// room for the connection and the SSL session, not for the record's buffer
		e := New(Options{Handler: h, MaxMemory: (connCost + 4096 + 64) * accountedShareDen / accountedShareNum})
		handoffConn(e, 25, cases[0].turns, splitRecord())
		if len(weirds) == 0 || weirds[len(weirds)-1] != "refused "+budget.Records.String() {
			t.Fatalf("memory_budget weirds %q, want a refused records draw", weirds)
		}
		e.Flush()
		if u := e.MemoryStats().Used; u != 0 {
			t.Errorf("%d bytes still drawn after Flush", u)
		}
	})
	t.Run("limits", func(t *testing.T) {
		// a whole record holding the start of a 5,000-byte ClientHello: over the engine's
		// MaxHandshakeMessage of 1,000, under the default
		rec := make([]byte, 5+100)
		rec[0], rec[1], rec[2], rec[4] = 0x16, 0x03, 0x01, 100
		rec[5], rec[7], rec[8] = 1, 5000>>8, 5000&0xff
		for _, c := range cases {
			var weirds []string
			h := tlsmon.HandlerFunc(func(ev tlsmon.Event) {
				if w, ok := ev.(*tlsmon.Weird); ok {
					weirds = append(weirds, w.WeirdName)
				}
			})
			e := New(Options{Handler: h, SSL: ssl.Config{MaxHandshakeMessage: 1000}})
			handoffConn(e, c.port, c.turns, rec)
			if !slices.Contains(weirds, "SSL_handshake_message_too_large") {
				t.Errorf("%s: weirds %q, want SSL_handshake_message_too_large (the engine's limit)", c.name, weirds)
			}
			e.Flush()
		}
	})
}
