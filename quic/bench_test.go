package quic

import "testing"

// BenchmarkDecryptInitial measures one client Initial (1200 bytes) decrypted and parsed.
func BenchmarkDecryptInitial(b *testing.B) {
	h := newHarness(Config{})
	pkt := sealInitial(b, Version1, dcidA, dcidA, scidC, nil, true, 0, 2, padTo([]byte{framePing}, 1160))
	h.a.DeliverPacket(1, true, pkt)
	b.SetBytes(int64(len(pkt)))
	b.ReportAllocs()
	for b.Loop() {
		h.a.DeliverPacket(2, true, pkt)
	}
}
