package quic

import (
	"testing"

	"github.com/tlsmon/tlsmon"
	"github.com/tlsmon/tlsmon/analyzer"
)

// splitDatagrams cuts fuzz input into datagrams: each is a 2-byte header (top bit: from the
// responder; 15 bits: length) followed by its bytes.
func splitDatagrams(b []byte, fn func(isOrig bool, d []byte)) {
	for len(b) >= 2 {
		n := int(b[0]&0x7f)<<8 | int(b[1])
		isOrig := b[0]&0x80 == 0
		b = b[2:]
		n = min(n, len(b))
		fn(isOrig, b[:n])
		b = b[n:]
	}
}

func datagramInput(parts ...[]byte) []byte {
	var out []byte
	for i, p := range parts {
		hi := byte(len(p) >> 8)
		if i%2 == 1 {
			hi |= 0x80
		}
		out = append(out, hi, byte(len(p)))
		out = append(out, p...)
	}
	return out
}

// FuzzDeliverPacket feeds datagrams to a QUIC analyzer backed by the real SSL analyzer.
func FuzzDeliverPacket(f *testing.F) {
	f.Add(datagramInput(readTestdata(f, "rfc9001-client-initial.hex")))
	f.Add(datagramInput(
		sealInitial(f, Version1, dcidA, dcidA, scidC, nil, true, 0, 2, padTo(cryptoFrame(0, message(300)), 1160)),
		sealInitial(f, Version1, dcidA, scidC, scidS, nil, false, 0, 1, padTo(cryptoFrame(0, message(90)), 40)),
	))
	f.Add(datagramInput(
		sealInitial(f, Version2, dcidB, dcidB, scidC, []byte("token"), true, 5, 4, padTo(cryptoFrame(100, message(300)[100:]), 1160)),
		[]byte{0xf0, 0, 0, 0, 1, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16},
	))
	f.Fuzz(func(t *testing.T, b []byte) {
		env := &analyzer.Env{Conn: &tlsmon.Conn{}, Events: tlsmon.HandlerFunc(func(tlsmon.Event) {}), Detach: func() {}}
		a := NewConfig(env, Config{MaxBuffered: 4096})
		var ts int64
		splitDatagrams(b, func(isOrig bool, d []byte) {
			ts++
			a.DeliverPacket(ts, isOrig, d)
			if held := heldBytes(a); held > 4096 {
				t.Fatalf("held %d bytes over the cap", held)
			}
		})
		a.Done(ts)
	})
}

// FuzzFrames feeds a decrypted payload to the frame parser and a CRYPTO stream, checking
// that what is forwarded is a record header followed by at most the announced message.
func FuzzFrames(f *testing.F) {
	f.Add(append(cryptoFrame(0, message(40)), 0, 0, 0))
	f.Add(append([]byte{frameACKECN, 5, 1, 2, 0, 1, 1, 0, 0, 0, framePing}, cryptoFrame(4, message(8)[4:])...))
	f.Add([]byte{frameConnClose, 1, 0, 3, 'a', 'b', 'c'})
	f.Add(append(cryptoFrame(2, []byte{0, 9, 1}), cryptoFrame(0, []byte{1, 0})...))
	f.Fuzz(func(t *testing.T, b []byte) {
		var s cryptoStream
		var out []byte
		sink := cryptoFunc(func(off uint64, d []byte) error {
			_, err := s.write(off, d, 1<<16, func(p []byte) { out = append(out, p...) })
			return err
		})
		_ = parseFrames(b, typeInitial, sink)
		if len(out) == 0 {
			return
		}
		if len(out) < 9 || out[0] != 0x16 || out[1] != 3 || out[2] != 3 {
			t.Fatalf("forwarded %x", out[:min(9, len(out))])
		}
		recLen := int(out[3])<<8 | int(out[4])
		if len(out)-5 > recLen || recLen > maxMessage {
			t.Fatalf("forwarded %d bytes for a %d-byte record", len(out)-5, recLen)
		}
		if s.finished && len(out)-5 != recLen {
			t.Fatalf("finished with %d of %d bytes", len(out)-5, recLen)
		}
	})
}
