//go:build !amd64

package capture

// prefetch does nothing where the reader has no prefetch instruction (prefetch_amd64.s).
func prefetch(p, q *byte) {}
