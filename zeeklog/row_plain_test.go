package zeeklog

import (
	"testing"

	tlsmon "github.com/tlsmon/tlsmon"
)

// TestProtoNamesPlain checks that rowBuf.proto may write the transport names unescaped.
func TestProtoNamesPlain(t *testing.T) {
	for p := range 256 {
		if s := tlsmon.Proto(p).String(); !plainTSVField(s) {
			t.Errorf("Proto(%d).String() = %q needs escaping in TSV", p, s)
		}
	}
}
