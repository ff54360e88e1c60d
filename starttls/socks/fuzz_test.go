package socks

import (
	"testing"

	"github.com/tlsmon/tlsmon/starttls/internal/sttest"
)

func FuzzSOCKS(f *testing.F) {
	f.Add([]byte("\x05\x85\x10\x90ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"))
	f.Fuzz(func(t *testing.T, data []byte) { sttest.Fuzz(data, 1080, New) })
}
