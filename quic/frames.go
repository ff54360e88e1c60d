package quic

import "fmt"

// Frame types read in Initial packets.
const (
	framePadding   = 0x00
	framePing      = 0x01
	frameACK       = 0x02
	frameACKECN    = 0x03
	frameCrypto    = 0x06
	frameConnClose = 0x1c
)

// cryptoSink receives the data of one CRYPTO frame and its stream offset. A non-nil error
// aborts frame parsing.
type cryptoSink interface {
	crypto(offset uint64, data []byte) error
	connClose() // a CONNECTION_CLOSE frame was parsed
}

// parseFrames walks the frames of a decrypted Initial payload as Zeek's Frame unit does:
// PADDING, PING, ACK (with or without ECN counts), CRYPTO and CONNECTION_CLOSE (transport)
// are understood; any other frame type is an error, as is a truncated frame.
func parseFrames(b []byte, packetType int, sink cryptoSink) error {
	for len(b) > 0 {
		t := b[0]
		b = b[1:]
		var err error
		switch t {
		case framePadding:
			for len(b) > 0 && b[0] == 0 {
				b = b[1:]
			}
		case framePing:
		case frameACK, frameACKECN:
			b, err = skipACK(b, t == frameACKECN)
		case frameCrypto:
			var off, n uint64
			if b, off, err = readVarint(b); err != nil {
				break
			}
			if b, n, err = readVarint(b); err != nil {
				break
			}
			if n > uint64(len(b)) {
				err = errTruncated
				break
			}
			err = sink.crypto(off, b[:n])
			b = b[n:]
		case frameConnClose:
			if b, err = skipConnectionClose(b); err == nil {
				sink.connClose()
			}
		default:
			err = fmt.Errorf("unhandled frame type %d in %d", t, packetType)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func readVarint(b []byte) ([]byte, uint64, error) {
	v, n := varint(b)
	if n == 0 {
		return b, 0, errTruncated
	}
	return b[n:], v, nil
}

// skipACK skips an ACK frame's body. Every range takes at least two bytes, so a huge
// range count runs out of input quickly.
func skipACK(b []byte, ecn bool) ([]byte, error) {
	var count uint64
	var err error
	for range 2 { // largest acknowledged, ACK delay
		if b, _, err = readVarint(b); err != nil {
			return b, err
		}
	}
	if b, count, err = readVarint(b); err != nil {
		return b, err
	}
	if b, _, err = readVarint(b); err != nil { // first ACK range
		return b, err
	}
	for ; count > 0; count-- {
		for range 2 { // gap, ACK range length
			if b, _, err = readVarint(b); err != nil {
				return b, err
			}
		}
	}
	if ecn {
		for range 3 {
			if b, _, err = readVarint(b); err != nil {
				return b, err
			}
		}
	}
	return b, nil
}

// skipConnectionClose skips a transport CONNECTION_CLOSE frame's body: error code, frame
// type, reason phrase.
func skipConnectionClose(b []byte) ([]byte, error) {
	var n uint64
	var err error
	for range 2 {
		if b, _, err = readVarint(b); err != nil {
			return b, err
		}
	}
	if b, n, err = readVarint(b); err != nil {
		return b, err
	}
	if n > uint64(len(b)) {
		return b, errTruncated
	}
	return b[n:], nil
}
