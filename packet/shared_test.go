package packet

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/tlsmon/tlsmon/capture"
)

func sharedDir(t testing.TB) string {
	t.Helper()
	dir, _ := os.Getwd()
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("repository root not found")
		}
		dir = parent
	}
	shared := filepath.Join(dir, "..", "shared")
	if _, err := os.Stat(filepath.Join(shared, "conformance", "pcaps")); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("conformance corpus missing at %s (required under CI)", shared)
		}
		t.Skipf("conformance corpus not found at %s; skipping", shared)
	}
	return shared
}

// TestDecodeConformanceCaptures decodes every frame of every conformance capture: no
// panic, every Malformed comes with a *DecodeError, payloads lie within the frame.
func TestDecodeConformanceCaptures(t *testing.T) {
	pcaps := filepath.Join(sharedDir(t), "conformance", "pcaps")
	entries, _ := os.ReadDir(pcaps)
	counts := map[Status]int{}
	for _, e := range entries {
		r, err := capture.Open(filepath.Join(pcaps, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		d := NewDecoder(Config{})
		var f capture.Frame
		var p Packet
		for {
			if err := r.Next(&f); err != nil {
				if err != io.EOF {
					t.Errorf("%s: %v", e.Name(), err)
				}
				break
			}
			st, err := d.DecodeLen(f.LinkType, f.Ts, f.Data, f.WireLen, &p)
			counts[st]++
			var de *DecodeError
			if (st == Malformed) != errors.As(err, &de) {
				t.Errorf("%s: frame %d: status %v with error %v", e.Name(), f.Num, st, err)
			}
			if st == OK && (p.IPVersion != 4 && p.IPVersion != 6 || len(p.Payload) > p.IPLen && !slices.Contains(p.Weirds, "ip_hdr_len_zero")) {
				t.Errorf("%s: frame %d: %+v", e.Name(), f.Num, p)
			}
			if st == OK && (p.Proto == 6 || p.Proto == 17) && len(p.Payload) > p.PayloadLen {
				t.Errorf("%s: frame %d: payload %d > claimed %d", e.Name(), f.Num, len(p.Payload), p.PayloadLen)
			}
		}
		_ = r.Close()
	}
	t.Logf("statuses: ok %d skip %d fragment %d malformed %d", counts[OK], counts[Skip], counts[Fragment], counts[Malformed])
	if counts[OK] == 0 {
		t.Error("nothing decoded")
	}
}
