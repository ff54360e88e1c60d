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
