package quic

import (
	"crypto/aes"
	"crypto/cipher"
	"fmt"
)

const (
	sampleLen     = 16
	tagLen        = 16
	maxPNLen      = 4
	minPayloadLen = maxPNLen + sampleLen // Zeek's lower bound on an Initial's Length field
	maxPayloadLen = 10000                // Zeek's upper bound on a decrypted payload
)

// Opener removes the packet protection of one direction's Initial packets. It is not safe
// for concurrent use.
type Opener struct {
	aead cipher.AEAD
	hp   cipher.Block
	iv   [12]byte

	mask  [aes.BlockSize]byte // scratch, kept here so that Open does not allocate
	nonce [12]byte
}

// NewOpener prepares the ciphers of k.
func NewOpener(k Keys) (*Opener, error) {
	blk, err := aes.NewCipher(k.Key[:])
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(blk)
	if err != nil {
		return nil, err
	}
	hp, err := aes.NewCipher(k.HP[:])
	if err != nil {
		return nil, err
	}
	return &Opener{aead: aead, hp: hp, iv: k.IV}, nil
}

// Open decrypts one long-header packet. pkt is the packet (from its first byte to the end
// of its payload), pnOffset the offset of its packet number and payloadLen its Length
// field (packet number, ciphertext and tag). The plaintext is appended to dst; scratch is
// used for the unprotected header. Both may be nil; pass reused slices to avoid
// allocating. As in Zeek, the packet number is the truncated one as sent.
func (o *Opener) Open(dst, scratch, pkt []byte, pnOffset, payloadLen int) (plain, hdr []byte, err error) {
	if payloadLen < minPayloadLen {
		return dst, scratch, fmt.Errorf("payload too small %d < %d", payloadLen, minPayloadLen)
	}
	if pnOffset < 1 || len(pkt) < pnOffset+payloadLen {
		return dst, scratch, fmt.Errorf("packet too small %d %d", len(pkt), pnOffset+payloadLen)
	}
	mask := o.mask[:]
	o.hp.Encrypt(mask, pkt[pnOffset+maxPNLen:pnOffset+maxPNLen+sampleLen])
	first := pkt[0]
	if first&0x80 != 0 {
		first ^= mask[0] & 0x0f
	} else {
		first ^= mask[0] & 0x1f
	}
	pnLen := int(first&3) + 1
	hdr = append(scratch[:0], pkt[:pnOffset+pnLen]...)
	hdr[0] = first
	var pn uint64
	for i := range pnLen {
		hdr[pnOffset+i] ^= mask[1+i]
		pn = pn<<8 | uint64(hdr[pnOffset+i])
	}
	if payloadLen < pnLen+tagLen {
		return dst, hdr, fmt.Errorf("payload too small %d < %d", payloadLen, pnLen+tagLen)
	}
	if payloadLen > maxPayloadLen {
		return dst, hdr, fmt.Errorf("payload_length too large %d", payloadLen)
	}
	o.nonce = o.iv
	for i := range 8 {
		o.nonce[11-i] ^= byte(pn >> (8 * i))
	}
	ct := pkt[pnOffset+pnLen : pnOffset+payloadLen]
	plain, err = o.aead.Open(dst, o.nonce[:], ct, hdr)
	if err != nil {
		return dst, hdr, errDecrypt
	}
	return plain, hdr, nil
}

var errDecrypt = errorString("decryption failed")
