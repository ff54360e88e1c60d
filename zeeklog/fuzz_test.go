package zeeklog

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"

	tlsmon "github.com/tlsmon/tlsmon"
)

// FuzzCertificateLogs feeds arbitrary certificates (twice, through one reused buffer) to
// the ssl and x509 logs of a Set: nothing panics, and ssl.log's fingerprints are the
// SHA-256 of the bytes whenever x509.log has a row for them.
func FuzzCertificateLogs(f *testing.F) {
	f.Add([]byte("garbage"))
	f.Add([]byte{0x30, 0x03, 0x30, 0x01, 0x00})
	f.Fuzz(func(t *testing.T, der []byte) {
		var sb, xb bytes.Buffer
		set := NewSet(Logs()[:2], func(spec LogSpec) Writer {
			if spec.Path == "ssl" {
				return NewTSVWriter(&sb, spec.Path, spec.Columns, 1)
			}
			return NewTSVWriter(&xb, spec.Path, spec.Columns, 1)
		})
		buf := make([]byte, 0, len(der))
		ev := &tlsmon.Certificate{}
		for i := range 2 {
			c := testConn()
			m := tlsmon.Meta{Ts: int64(i+1) * 1_000_000, Conn: c}
			set.HandleEvent(&tlsmon.SSLExtensionServerName{Meta: m, IsClient: true, Names: [][]byte{[]byte("a.example")}})
			buf = append(buf[:0], der...)
			*ev = tlsmon.Certificate{Meta: m, DER: buf}
			set.HandleEvent(ev)
			set.HandleEvent(&tlsmon.ConnectionStateRemove{Meta: m})
		}
		if err := set.Close(0); err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(der)
		fp := hex.EncodeToString(sum[:])
		logged := strings.Contains(xb.String(), "\t"+fp+"\t")
		if n := strings.Count(sb.String(), "\t"+fp+"\t"); logged && n != 2 || !logged && n != 0 {
			t.Errorf("x509 row %v, fingerprint in %d ssl rows", logged, n)
		}
	})
}

// FuzzTSVString checks appendTSVString's fast path for plain strings against the full
// escaping, inside and outside containers.
func FuzzTSVString(f *testing.F) {
	for _, s := range []string{"", "plain", "a,b", "tab\there", `back\slash`, "caf\xc3\xa9", "\xff", "-", "x\x7f"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, seps := range [][]string{fieldSeps, setSeps, {"ab"}} {
			got := string(appendTSVString(nil, s, seps))
			if want := string(appendTSVEscaped(nil, s, seps)); got != want {
				t.Errorf("%q with separators %q: %q, full escaping gives %q", s, seps, got, want)
			}
		}
	})
}
