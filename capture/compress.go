package capture

import (
	"bufio"
	"bytes"
	"compress/bzip2"
	"compress/gzip"
	"fmt"
	"io"

	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"
)

// Magic numbers of the compressed formats a capture may come in.
var (
	magicGzip  = []byte{0x1f, 0x8b}
	magicZstd  = []byte{0x28, 0xb5, 0x2f, 0xfd}
	magicXz    = []byte{0xfd, '7', 'z', 'X', 'Z', 0x00}
	magicBzip2 = []byte{'B', 'Z', 'h'} // then the block size, '1' to '9'
)

// zstdMaxWindow bounds the window a zstd stream may ask for (the memory its decoder
// holds): 128 MiB, zstd's limit for --long streams, well above what `zstd -19` uses.
const zstdMaxWindow = 128 << 20

// decompressor returns a reader of the decompressed stream of br, if br starts with the
// magic number of gzip, zstd, xz or bzip2, and a function releasing the decoder; ok is
// false for an uncompressed input. Each of these is a well-kept implementation: the
// standard library's gzip and bzip2, klauspost/compress's zstd, ulikunitz/xz.
func decompressor(br *bufio.Reader) (r io.Reader, format string, release func() error, ok bool, err error) {
	head, _ := br.Peek(len(magicXz))
	nop := func() error { return nil }
	switch {
	case bytes.HasPrefix(head, magicGzip):
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, "gzip", nil, true, err
		}
		zr.Multistream(true)
		return zr, "gzip", zr.Close, true, nil
	case bytes.HasPrefix(head, magicZstd):
		zr, err := zstd.NewReader(br, zstd.WithDecoderMaxWindow(zstdMaxWindow))
		if err != nil {
			return nil, "zstd", nil, true, err
		}
		return zr, "zstd", func() error { zr.Close(); return nil }, true, nil
	case bytes.HasPrefix(head, magicXz):
		if err := checkXzDict(br); err != nil {
			return nil, "xz", nil, true, err
		}
		xr, err := xz.NewReader(br)
		if err != nil {
			return nil, "xz", nil, true, err
		}
		return xr, "xz", nop, true, nil
	case len(head) >= 4 && bytes.HasPrefix(head, magicBzip2) && head[3] >= '1' && head[3] <= '9':
		return bzip2.NewReader(br), "bzip2", nop, true, nil
	}
	return nil, "", nil, false, nil
}

// xzMaxDict bounds the LZMA2 dictionary an xz stream may ask for: the decoder allocates it
// whole, and a header may claim up to 4 GiB. 256 MiB is four times what `xz -9` uses.
const xzMaxDict = 256 << 20

// checkXzDict refuses an xz stream whose first block asks for a dictionary larger than
// xzMaxDict (the decoder would allocate it before reading any data). Only the first
// block's header is looked at (the others are found only by decoding): a stream of several
// blocks may still ask for more in a later one.
func checkXzDict(br *bufio.Reader) error {
	const streamHeader = 12
	b, _ := br.Peek(streamHeader + 1)
	if len(b) <= streamHeader || b[streamHeader] == 0 { // no block (an empty stream's index)
		return nil
	}
	size := (int(b[streamHeader]) + 1) * 4
	h, _ := br.Peek(streamHeader + size)
	if len(h) < streamHeader+size {
		return nil // the decoder reports the truncation
	}
	h = h[streamHeader+1 : streamHeader+size-4] // after the size byte, before the CRC32
	if len(h) < 1 {
		return nil
	}
	flags := h[0]
	h = h[1:]
	varint := func() (uint64, bool) {
		var v uint64
		for i := 0; i < 9 && i < len(h); i++ {
			v |= uint64(h[i]&0x7f) << (7 * i)
			if h[i]&0x80 == 0 {
				h = h[i+1:]
				return v, true
			}
		}
		return 0, false
	}
	for _, present := range []bool{flags&0x40 != 0, flags&0x80 != 0} { // compressed, uncompressed size
		if present {
			if _, ok := varint(); !ok {
				return nil
			}
		}
	}
	for range int(flags&3) + 1 {
		id, ok1 := varint()
		n, ok2 := varint()
		if !ok1 || !ok2 || uint64(len(h)) < n {
			return nil
		}
		if id == 0x21 && n == 1 { // LZMA2: the dictionary size code
			if d := h[0]; d > 40 || lzma2Dict(d) > xzMaxDict {
				return fmt.Errorf("dictionary of %d MiB, above tlsmon's limit of %d MiB", lzma2Dict(d)>>20, xzMaxDict>>20)
			}
		}
		h = h[n:]
	}
	return nil
}

// lzma2Dict is the dictionary size an LZMA2 dictionary code stands for (code 40 and up: 4 GiB).
func lzma2Dict(d byte) uint64 {
	if d >= 40 {
		return 1<<32 - 1
	}
	return uint64(2|d&1) << (d/2 + 11)
}

// decompressed wraps br in the decoder its magic number asks for, if any; closer is then
// extended to release the decoder.
func decompressed(name string, br *bufio.Reader, closer func() error) (*bufio.Reader, func() error, error) {
	r, format, release, ok, err := decompressor(br)
	if !ok {
		return br, closer, nil
	}
	if err != nil {
		return nil, nil, &Error{File: name, Err: fmt.Errorf("%s: %w", format, err)}
	}
	inner := closer
	closer = func() error {
		rerr := release()
		if cerr := inner(); cerr != nil {
			return cerr
		}
		return rerr
	}
	return bufio.NewReaderSize(r, bufSize), closer, nil
}
