package main

import (
	"fmt"
	"runtime"
	"time"

	"github.com/tlsmon/tlsmon"
	"github.com/tlsmon/tlsmon/engine"
)

// summaryLine is the one line printed on stderr at the end of a run.
func summaryLine(st engine.Stats, elapsed time.Duration) string {
	sec := elapsed.Seconds()
	if sec <= 0 {
		sec = 1e-9
	}
	return fmt.Sprintf("tlsmon: %s; elapsed %.3f s, %s packets/s, %s/s",
		st.String(), sec, human(float64(st.Packets)/sec, ""), human(float64(st.Bytes)/sec, "B"))
}

// human formats v with an SI prefix (k, M, G) and a unit.
func human(v float64, unit string) string {
	switch {
	case v >= 1e9:
		return fmt.Sprintf("%.2f G%s", v/1e9, unit)
	case v >= 1e6:
		return fmt.Sprintf("%.2f M%s", v/1e6, unit)
	case v >= 1e3:
		return fmt.Sprintf("%.1f k%s", v/1e3, unit)
	}
	if unit == "" {
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.0f %s", v, unit)
}

// memLine reports the Go allocation counters of the whole run.
func memLine(packets float64) string {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	per := 0.0
	if packets > 0 {
		per = float64(ms.Mallocs) / packets
	}
	return fmt.Sprintf("tlsmon: memstats: %d allocations (%.3f per packet), %s allocated, %s heap in use, %s from the OS, %d GC cycles",
		ms.Mallocs, per, human(float64(ms.TotalAlloc), "B"), human(float64(ms.HeapInuse), "B"),
		human(float64(ms.Sys), "B"), ms.NumGC)
}

// tally counts what the end summary reports of the event stream: the connections on which
// TLS, DTLS or QUIC was confirmed, and the certificates seen. The log set hands it only the
// events it counts (zeeklog.Set.Observe).
type tally struct {
	tls, dtls, quic, certs uint64
}

// HandleEvent implements tlsmon.Handler.
func (t *tally) HandleEvent(e tlsmon.Event) {
	switch ev := e.(type) {
	case *tlsmon.AnalyzerConfirmation:
		switch ev.Analyzer {
		case "SSL":
			if ev.Conn != nil && ev.Conn.ID.Proto == tlsmon.ProtoTCP { // QUIC's handshake confirms SSL on UDP
				t.tls++
			}
		case "DTLS":
			t.dtls++
		case "QUIC":
			t.quic++
		}
	case *tlsmon.Certificate:
		t.certs++
	}
}

// resultLine is the summary's first line: what was found and where the logs went
// (outputs.where).
func resultLine(st engine.Stats, t *tally, where string) string {
	var caps uint64
	for _, n := range st.CapHits {
		caps += n
	}
	return fmt.Sprintf("tlsmon: %d connections; sessions: %d TLS, %d DTLS, %d QUIC; %d certificates; %d caps hit; %s",
		st.Connections, t.tls, t.dtls, t.quic, t.certs, caps, where)
}
