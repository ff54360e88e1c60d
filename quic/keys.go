package quic

import (
	"crypto/hkdf"
	"crypto/sha256"
)

// Keys are the packet protection keys of one direction's Initial packets.
type Keys struct {
	Key [16]byte // AEAD_AES_128_GCM key
	IV  [12]byte
	HP  [16]byte // header protection key (AES-128-ECB)
}

// InitialSecret returns the client's (client true) or the server's Initial secret for a
// version and the Destination Connection ID of the client's first Initial. It fails for
// versions without known Initial salts.
func InitialSecret(version uint32, dcid []byte, client bool) ([]byte, error) {
	salt := initialSalt(version)
	if salt == nil {
		return nil, errNoKeysForV
	}
	prk, err := hkdf.Extract(sha256.New, dcid, salt)
	if err != nil {
		return nil, err
	}
	label := "server in"
	if client {
		label = "client in"
	}
	return expandLabel(prk, label, sha256.Size)
}

// InitialKeys derives the Initial packet protection keys of one direction.
func InitialKeys(version uint32, dcid []byte, client bool) (Keys, error) {
	var k Keys
	secret, err := InitialSecret(version, dcid, client)
	if err != nil {
		return k, err
	}
	prefix := "quic "
	if version == Version2 {
		prefix = "quicv2 "
	}
	for _, f := range []struct {
		label string
		dst   []byte
	}{{prefix + "key", k.Key[:]}, {prefix + "iv", k.IV[:]}, {prefix + "hp", k.HP[:]}} {
		b, err := expandLabel(secret, f.label, len(f.dst))
		if err != nil {
			return k, err
		}
		copy(f.dst, b)
	}
	return k, nil
}

// expandLabel is TLS 1.3's HKDF-Expand-Label with an empty context (RFC 8446 §7.1).
func expandLabel(secret []byte, label string, n int) ([]byte, error) {
	full := "tls13 " + label
	info := make([]byte, 0, 4+len(full))
	info = append(info, byte(n>>8), byte(n), byte(len(full)))
	info = append(info, full...)
	info = append(info, 0)
	return hkdf.Expand(sha256.New, secret, string(info), n)
}
