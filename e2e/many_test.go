package e2e

import (
	"bytes"
	"testing"

	"github.com/tlsmon/tlsmon/analyzer"
	"github.com/tlsmon/tlsmon/internal/testgen"
)

// TestManyConnections runs a capture of many concurrently open connections and checks each
// one completes its handshake. (A memory-bound variant can reuse testgen.WriteMany with a
// larger n.)
func TestManyConnections(t *testing.T) {
	n, concurrent := 3000, 1000
	if testing.Short() {
		n, concurrent = 300, 100
	}
	var buf bytes.Buffer
	if _, err := testgen.WriteMany(&buf, nil, n, concurrent, testgen.Framing{}); err != nil {
		t.Fatal(err)
	}
	col := runCapture(t, buf.Bytes(), analyzer.Options{})
	est := map[string]int{}
	for _, r := range named(col.all, "ssl_established") {
		est[r.conn]++
	}
	if len(est) != n {
		t.Errorf("%d connections established, want %d", len(est), n)
	}
	for c, k := range est {
		if k != 1 {
			t.Errorf("%s: ssl_established %d times", c, k)
		}
	}
	if v := named(col.all, "analyzer_violation_info"); len(v) > 0 {
		t.Errorf("%d analyzer violations, first: %s", len(v), v[0].reason)
	}
}
