package e2e

import (
	"net/netip"

	"github.com/tlsmon/tlsmon"
	"github.com/tlsmon/tlsmon/analyzer"
	"github.com/tlsmon/tlsmon/internal/testgen"
	"github.com/tlsmon/tlsmon/ssl"
)

// runDirect feeds a transcript's chunks straight into the SSL analyzer, each cut into
// pieces of at most piece bytes (0: whole chunks). The originator is the client.
func runDirect(tr *testgen.Transcript, piece int, opts analyzer.Options) *collector {
	col := &collector{}
	conn := &tlsmon.Conn{UID: "Cdirect", StartTs: testgen.DefaultStart.UnixMicro(), ID: tlsmon.ConnID{
		OrigH: netip.MustParseAddr("10.9.9.1"), OrigP: 40000,
		RespH: netip.MustParseAddr("10.9.9.2"), RespP: 443, Proto: tlsmon.ProtoTCP,
	}}
	detached := false
	env := &analyzer.Env{Conn: conn, Events: col, Detach: func() { detached = true }, Options: opts}
	a := ssl.New(env)
	ts := conn.StartTs
	for _, ch := range tr.Chunks {
		data := ch.Data
		for len(data) > 0 && !detached {
			n := len(data)
			if piece > 0 {
				n = min(n, piece)
			}
			ts += 100
			a.DeliverStream(ts, ch.FromClient, data[:n])
			data = data[n:]
		}
	}
	ts += 100
	if !detached {
		a.EndOfData(ts, true)
		a.EndOfData(ts, false)
	}
	a.Done(ts)
	return col
}

const directConn = "10.9.9.1:40000"
