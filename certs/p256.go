package certs

import "filippo.io/nistec"

// onP256 reports whether the uncompressed point 04 || x || y (65 bytes) lies on P-256 with
// both coordinates reduced: what crypto/ecdh's P256().NewPublicKey checks of such a point.
// It asks filippo.io/nistec (the standard library's own P-256 code, exported) directly:
// crypto/ecdh's NewPublicKey makes the same check with five allocations (the key, a copy of
// the bytes, ...), ≈ 3 % of the CPU on a capture of distinct certificates, nearly all of
// which carry a P-256 key (docs/PERFORMANCE.md, "ubody"); the point here stays on the
// stack. TestOnP256MatchesECDH and FuzzOnP256 compare it with crypto/ecdh.
func onP256(p []byte) bool {
	if len(p) != 65 || p[0] != 4 {
		return false
	}
	var pt nistec.P256Point
	_, err := pt.SetBytes(p)
	return err == nil
}
