package engine

import (
	"testing"

	"github.com/tlsmon/tlsmon/packet"
)

// maxBytesHalfOpen is the heap a half-open TCP connection to port 443 may hold with the
// default analyzers attached (issue 10: ≤ 1 KiB): the analyzers' sessions are taken on the
// first bytes, so a SYN costs the connection state, its timers and the analyzer shells.
const maxBytesHalfOpen = 1024

// TestHalfOpenMemory measures the heap held per half-open TCP connection (one SYN to port
// 443, the default analyzers: a SYN flood).
func TestHalfOpenMemory(t *testing.T) {
	n := 100_000
	if testing.Short() {
		n = 20_000
	}
	per := connMemory(t, n, &packet.Packet{IPVersion: 4, Proto: 6, IPLen: 40, Window: 100, Flags: packet.SYN, SrcPort: 40000, DstPort: 443})
	t.Logf("half-open connection memory: %.0f bytes (%d connections)", per, n)
	if per > maxBytesHalfOpen {
		t.Errorf("half-open connection memory %.0f bytes, above %d", per, maxBytesHalfOpen)
	}
}

// TestScaledHistoryMemory measures a half-open connection that also has a scaled history
// counter (a SYN with a zero window: history 'W'). The table keeps those counters outside
// the connection (flow.Table's scaled map, one entry per connection that has any, dropped
// with it), so they are part of what a connection draws from the memory budget: connCost
// must cover them.
func TestScaledHistoryMemory(t *testing.T) {
	n := 100_000
	if testing.Short() {
		n = 20_000
	}
	per := connMemory(t, n, &packet.Packet{IPVersion: 4, Proto: 6, IPLen: 40, Window: 0, Flags: packet.SYN, SrcPort: 40000, DstPort: 443})
	t.Logf("half-open connection with a scaled counter: %.0f bytes (%d connections), connCost %d", per, n, connCost)
	if per > connCost {
		t.Errorf("half-open connection with a scaled counter holds %.0f bytes, above connCost %d", per, connCost)
	}
}
