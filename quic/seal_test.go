package quic

import (
	"crypto/aes"
	"crypto/cipher"
	"testing"
)

// sealInitial builds a protected Initial packet (the test's sender side): version,
// connection IDs, token, a packet number of pnLen bytes, and the plaintext payload. The
// keys are the Initial keys of dcidKeys for the given direction.
func sealInitial(t testing.TB, version uint32, dcidKeys, dcid, scid, token []byte, client bool, pn uint32, pnLen int, payload []byte) []byte {
	t.Helper()
	k, err := InitialKeys(version, dcidKeys, client)
	if err != nil {
		t.Fatal(err)
	}
	typeBits := byte(0) // Initial, v1 numbering
	if version == Version2 {
		typeBits = 1
	}
	first := 0xc0 | typeBits<<4 | byte(pnLen-1)
	hdr := []byte{first, byte(version >> 24), byte(version >> 16), byte(version >> 8), byte(version)}
	hdr = append(hdr, byte(len(dcid)))
	hdr = append(hdr, dcid...)
	hdr = append(hdr, byte(len(scid)))
	hdr = append(hdr, scid...)
	hdr = appendVarint(hdr, uint64(len(token)))
	hdr = append(hdr, token...)
	length := pnLen + len(payload) + tagLen
	hdr = append(hdr, 0x40|byte(length>>8), byte(length)) // two-byte varint
	pnOff := len(hdr)
	for i := pnLen - 1; i >= 0; i-- {
		hdr = append(hdr, byte(pn>>(8*i)))
	}
	blk, _ := aes.NewCipher(k.Key[:])
	aead, _ := cipher.NewGCM(blk)
	nonce := k.IV
	for i := range 8 {
		nonce[11-i] ^= byte(uint64(pn) >> (8 * i))
	}
	pkt := aead.Seal(append([]byte{}, hdr...), nonce[:], payload, hdr)
	hp, _ := aes.NewCipher(k.HP[:])
	var mask [16]byte
	hp.Encrypt(mask[:], pkt[pnOff+4:pnOff+20])
	pkt[0] ^= mask[0] & 0x0f
	for i := range pnLen {
		pkt[pnOff+i] ^= mask[1+i]
	}
	return pkt
}

func appendVarint(b []byte, v uint64) []byte {
	switch {
	case v < 1<<6:
		return append(b, byte(v))
	case v < 1<<14:
		return append(b, 0x40|byte(v>>8), byte(v))
	case v < 1<<30:
		return append(b, 0x80|byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
	}
	return append(b, 0xc0|byte(v>>56), byte(v>>48), byte(v>>40), byte(v>>32), byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
}

// cryptoFrame encodes a CRYPTO frame.
func cryptoFrame(off uint64, data []byte) []byte {
	b := appendVarint([]byte{frameCrypto}, off)
	b = appendVarint(b, uint64(len(data)))
	return append(b, data...)
}

// padTo pads a payload with PADDING frames to n bytes.
func padTo(b []byte, n int) []byte {
	for len(b) < n {
		b = append(b, 0)
	}
	return b
}

func TestSealOpenRoundTrip(t *testing.T) {
	dcid := []byte{1, 2, 3, 4, 5, 6, 7, 8}
	for _, v := range []uint32{Version1, Version2, 0xff00001d, 0xfaceb002} {
		payload := padTo(cryptoFrame(0, []byte("hello")), 40)
		pkt := sealInitial(t, v, dcid, dcid, nil, []byte("tok"), true, 7, 2, payload)
		h, err := parseLong(pkt)
		if err != nil {
			t.Fatal(err)
		}
		k, _ := InitialKeys(v, dcid, true)
		o, _ := NewOpener(k)
		plain, _, err := o.Open(nil, nil, pkt, h.pnOffset, h.length)
		if err != nil || string(plain) != string(payload) {
			t.Fatalf("%x: %v %x", v, err, plain)
		}
	}
}
