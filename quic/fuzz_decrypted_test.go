package quic

import (
	"bytes"
	"testing"

	"github.com/tlsmon/tlsmon"
	"github.com/tlsmon/tlsmon/analyzer"
	"github.com/tlsmon/tlsmon/ssl"
)

// Mutating protected datagrams (FuzzDeliverPacket) almost always breaks their AEAD tag, so
// the fuzzer rarely gets past decryption. FuzzDecrypted mutates the decrypted payloads
// instead: each is sealed as a valid Initial of its direction (the test's sender side,
// sealInitial; an empty payload stands for a server's Retry) and delivered to the real
// analyzer, so that frame parsing, CRYPTO
// reassembly and the SSL analyzer behind it are what the fuzzer explores. Its seeds are the
// Initial payloads of the conformance captures (seeds_test.go).
//
// The bytes the analyzer forwards to the SSL analyzer are checked against a model of the
// CRYPTO stream kept by the test: a byte map where the first arrival at an offset wins.

// modelLimit bounds the offsets the model keeps: past the largest message forwarded.
const modelLimit = maxMessage + 8

// cryptoModel is one direction's CRYPTO stream as the frames of the decrypted packets
// give it.
type cryptoModel struct {
	buf    [modelLimit]byte
	have   [modelLimit]bool
	prefix int // contiguous bytes from offset 0
}

func (m *cryptoModel) add(off uint64, d []byte) {
	if off+uint64(len(d)) < off { // not placeable: the analyzer drops it too
		return
	}
	for i, c := range d {
		o := off + uint64(i)
		if o >= modelLimit {
			break
		}
		if !m.have[o] {
			m.have[o], m.buf[o] = true, c
		}
	}
	for m.prefix < modelLimit && m.have[m.prefix] {
		m.prefix++
	}
}

// message returns the length of the first handshake message with its header (0 while
// unknown) and whether it is small enough to be forwarded.
func (m *cryptoModel) message() (n int, ok bool) {
	if m.prefix < 4 {
		return 0, false
	}
	n = int(m.buf[1])<<16 | int(m.buf[2])<<8 | int(m.buf[3]) + 4
	return n, n <= maxMessage
}

// finished reports whether the whole message was forwarded (the analyzer then decrypts
// no more packets of the direction).
func (m *cryptoModel) finished() bool {
	n, ok := m.message()
	return ok && m.prefix >= n
}

// want returns what the analyzer must have forwarded of the stream: a record header and
// the message's bytes received in order.
func (m *cryptoModel) want() []byte {
	n, ok := m.message()
	if !ok {
		return nil
	}
	out := []byte{0x16, 3, 3, byte(n >> 8), byte(n)}
	return append(out, m.buf[:min(n, m.prefix)]...)
}

// teeSSL records what the QUIC analyzer forwards and passes it on to the real SSL analyzer.
type teeSSL struct {
	analyzer.Analyzer
	got *[2][]byte
}

func (t teeSSL) DeliverStream(ts int64, isOrig bool, b []byte) {
	i := dirIndex(isOrig)
	t.got[i] = append(t.got[i], b...)
	t.Analyzer.DeliverStream(ts, isOrig, b)
}

// retryPacket is a server's Retry (the analyzer does not check its token or tag).
var retryPacket = append([]byte{0xf0, 0, 0, 0, 1, 4, 0xc1, 0xc2, 0xc3, 0xc4, 2, 0x51, 0x52}, bytes.Repeat([]byte{0x77}, 30)...)

// maxSealed is the longest plaintext sealed: Zeek's bound on an Initial's payload.
const maxSealed = maxPayloadLen - 2 - tagLen

func FuzzDecrypted(f *testing.F) {
	ch := message(300)
	f.Add(framed([]seedDatagram{
		{true, cryptoFrame(0, ch[:100])},
		{true, append([]byte{framePing}, cryptoFrame(100, ch[100:])...)},
		{false, cryptoFrame(0, message(90))},
	}))
	f.Add(framed([]seedDatagram{
		{false, cryptoFrame(0, message(90))}, // before any client Initial: not decrypted
		{true, append(cryptoFrame(150, ch[150:]), cryptoFrame(0, ch[:160])...)},
		{true, cryptoFrame(0, ch)}, // after the message: not decrypted
	}))
	f.Add(framed([]seedDatagram{{true, append(cryptoFrame(0, ch), cryptoFrame(304, []byte{1})...)}}))
	f.Add(framed([]seedDatagram{ // a Retry (empty payload) between two client Initials
		{true, cryptoFrame(0, ch[:200])}, {false, nil}, {true, cryptoFrame(0, ch)}, {false, cryptoFrame(0, message(90))},
	}))
	f.Fuzz(func(t *testing.T, b []byte) {
		var (
			got      [2][]byte
			detached bool
			violated bool
			models   [2]cryptoModel
			clientOK bool
		)
		events := tlsmon.HandlerFunc(func(e tlsmon.Event) {
			if v, ok := e.(*tlsmon.AnalyzerViolation); ok && v.Analyzer == AnalyzerName {
				violated = true
			}
		})
		newSSL := func(env *analyzer.Env) analyzer.Analyzer {
			inner := *env
			inner.Detach = func() { detached = true; env.Detach() }
			return teeSSL{Analyzer: ssl.New(&inner), got: &got}
		}
		env := &analyzer.Env{Conn: &tlsmon.Conn{}, Events: events, Detach: func() {}}
		a := NewConfig(env, Config{MaxBuffered: 1 << 30, NewSSL: newSSL})
		var ts int64
		n := 0
		splitDatagrams(b, func(isOrig bool, plain []byte) {
			if violated || n >= 64 {
				return
			}
			n++
			ts++
			if len(plain) == 0 { // a Retry from the server: the crypto state starts afresh
				a.DeliverPacket(ts, false, retryPacket)
				models, clientOK, got = [2]cryptoModel{}, false, [2][]byte{}
				return
			}
			plain = padTo(bytes.Clone(plain[:min(len(plain), maxSealed)]), 4)
			m := &models[dirIndex(isOrig)]
			// The packets the analyzer decrypts: a server's only after a client's, a
			// direction's only until its message is complete.
			if (isOrig || clientOK) && !m.finished() {
				_ = parseFrames(plain, typeInitial, cryptoFunc(func(off uint64, d []byte) error {
					m.add(off, d)
					return nil
				}))
				clientOK = clientOK || isOrig
			}
			scid := scidC
			if !isOrig {
				scid = scidS
			}
			a.DeliverPacket(ts, isOrig, sealInitial(t, Version1, dcidA, dcidA, scid, nil, isOrig, uint32(n), 2, plain))
			for i := range got {
				if want := models[i].want(); !bytes.HasPrefix(want, got[i]) {
					t.Fatalf("direction %d: forwarded\n%x\nnot a prefix of the stream\n%x", i, got[i], want)
				}
				if size, ok := models[i].message(); ok && models[i].prefix > size && !violated {
					t.Fatalf("direction %d: %d bytes received in order for a %d-byte message, no violation", i, models[i].prefix, size)
				}
			}
		})
		if !violated && !detached {
			for i := range got {
				if want := models[i].want(); !bytes.Equal(got[i], want) {
					t.Fatalf("direction %d: forwarded\n%x\nwant\n%x", i, got[i], want)
				}
			}
		}
		a.Done(ts)
	})
}
