package smtp

import (
	"testing"

	"github.com/tlsmon/tlsmon/starttls/internal/sttest"
)

func FuzzSMTP(f *testing.F) {
	f.Add([]byte("\x05\x85\x10\x90ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"))
	for _, s := range smtpBodySeeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		sttest.Fuzz(data, 25, New)
		sameWithoutSkip(t, data)
	})
}
