package flood

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/binary"

	"github.com/tlsmon/tlsmon/quic"
)

// quicDatagrams is how many Initials each connection of the QUIC flood sends.
const quicDatagrams = 16

// quicCryptoLen is the CRYPTO bytes of each of them.
const quicCryptoLen = 1100

// quicConn is one connection of the QUIC flood.
type quicConn struct {
	src   [4]byte
	sport uint16
	dcid  [8]byte
	scid  [4]byte
	key   cipher.AEAD
	iv    [12]byte
	hp    cipher.Block
}

// quicStep writes datagram i%quicDatagrams of connection i/quicDatagrams: a client Initial
// to port 443 that decrypts (its keys come from its Destination Connection ID, as every
// Initial's) carrying a CRYPTO frame of random bytes past a hole at the stream's start
// that is never filled, so the receiver holds every byte (≈ 17 KiB a connection, within
// the QUIC analyzer's 64 KiB cap).
func (g *gen) quicStep(i int) {
	c, d := i/quicDatagrams, i%quicDatagrams
	q := &g.quic
	if d == 0 {
		q.src = source(c)
		q.sport = uint16(1024 + g.rng.IntN(60000))
		fillRand(g.rng, q.dcid[:])
		fillRand(g.rng, q.scid[:])
		k, err := quic.InitialKeys(quic.Version1, q.dcid[:], true)
		if err != nil {
			g.err = err
			return
		}
		blk, _ := aes.NewCipher(k.Key[:])
		q.key, _ = cipher.NewGCM(blk)
		q.iv = k.IV
		q.hp, _ = aes.NewCipher(k.HP[:])
	}
	// plaintext: CRYPTO frame (type 6, offset, length as two-byte varints), random data
	off := 2000 + d*quicCryptoLen
	plain := make([]byte, 5, 5+quicCryptoLen)
	plain[0] = 6
	binary.BigEndian.PutUint16(plain[1:], 0x4000|uint16(off))
	binary.BigEndian.PutUint16(plain[3:], 0x4000|quicCryptoLen)
	plain = plain[:5+quicCryptoLen]
	fillRand(g.rng, plain[5:])
	const pnLen = 2
	pn := uint16(d)
	hdr := []byte{0xc0 | (pnLen - 1), 0, 0, 0, 1, 8}
	hdr = append(hdr, q.dcid[:]...)
	hdr = append(hdr, 4)
	hdr = append(hdr, q.scid[:]...)
	hdr = append(hdr, 0) // no token
	length := pnLen + len(plain) + 16
	hdr = append(hdr, 0x40|byte(length>>8), byte(length))
	pnOff := len(hdr)
	hdr = append(hdr, byte(pn>>8), byte(pn))
	nonce := q.iv
	nonce[10] ^= byte(pn >> 8)
	nonce[11] ^= byte(pn)
	pkt := q.key.Seal(hdr, nonce[:], plain, hdr)
	var mask [16]byte
	q.hp.Encrypt(mask[:], pkt[pnOff+4:pnOff+20])
	pkt[0] ^= mask[0] & 0x0f
	pkt[pnOff] ^= mask[1]
	pkt[pnOff+1] ^= mask[2]

	seg := make([]byte, 8, 8+len(pkt))
	binary.BigEndian.PutUint16(seg[0:], q.sport)
	binary.BigEndian.PutUint16(seg[2:], 443)
	binary.BigEndian.PutUint16(seg[4:], uint16(8+len(pkt)))
	seg = append(seg, pkt...)
	binary.BigEndian.PutUint16(seg[6:], l4sum(q.src, serverIP, 17, seg))
	g.write(g.ipv4(q.src, serverIP, 17, uint16(i), 0, seg))
}
