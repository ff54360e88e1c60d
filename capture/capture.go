// Package capture reads packet captures (classic pcap, pcapng, either compressed with gzip,
// zstd, xz or bzip2) frame by
// frame, with one reused buffer and no allocation per packet, and merges several captures
// by timestamp the way Zeek does when given several -r options.
package capture

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
)

// Frame is one captured frame.
type Frame struct {
	Ts       int64  // µs since the Unix epoch (finer resolutions truncated toward zero, as libpcap does)
	LinkType uint32 // pcap LINKTYPE_* value of this frame's interface
	// Stable says that Data stays valid until the reader is closed, not only until the next
	// Next call: the frame comes from a mapped file (OpenMapped), so a consumer that keeps
	// frames for later (the sharded engine's dispatcher) need not copy them.
	Stable  bool
	Data    []byte // captured bytes; valid until the next Next call (Stable: until Close)
	WireLen int    // original length on the wire
	Num     uint64 // 1-based packet number within its file
	File    string // the path as given ("-" for stdin)
}

// Reader yields frames. Next returns io.EOF at a clean end of input and a *Error otherwise.
type Reader interface {
	Next(f *Frame) error
	Close() error
}

// AheadReader is implemented by readers that can read ahead of the frames they hand out
// (OpenMapped's: one byte per cache line beyond the record chain, so that its dependent
// loads find the lines in the cache). That pays only where the reader is the serial part of
// a sharded run; one engine gains no time from it (docs/PERFORMANCE.md, perf9) and would run
// 50 instructions a frame more, so it is off until ReadAhead is called.
type AheadReader interface {
	ReadAhead()
}

// Error is a capture read error. Packet is the 1-based number of the packet being read when
// the error occurred (0 for file-level errors such as a bad magic).
type Error struct {
	File   string
	Packet uint64
	Err    error
}

func (e *Error) Error() string {
	if e.Packet == 0 {
		return fmt.Sprintf("%s: %v", e.File, e.Err)
	}
	return fmt.Sprintf("%s: packet %d: %v", e.File, e.Packet, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// Sentinel causes, testable with errors.Is on a returned *Error.
var (
	ErrBadMagic      = errors.New("unknown capture file format (bad magic)")
	ErrTruncated     = errors.New("truncated capture file")
	ErrCapLen        = errors.New("invalid packet capture length")
	ErrBlockLength   = errors.New("invalid pcapng block length")
	ErrBadBlock      = errors.New("malformed pcapng block")
	ErrNoInterface   = errors.New("pcapng packet refers to an undefined interface")
	ErrUnsupportedTs = errors.New("unsupported pcapng timestamp resolution")
	ErrIsDir         = errors.New("is a directory, not a capture file")
)

const (
	bufSize = 512 << 10 // bufio size for file and decompressed reads

	// MaxCapLen is the largest captured length accepted for one packet: libpcap's
	// MAXIMUM_SNAPLEN (262144), which also bounds the per-reader buffer.
	MaxCapLen = 256 << 10
	// MaxBlockLen bounds a pcapng block's total length.
	MaxBlockLen = 64 << 20
)

var magicPcapng = [4]byte{0x0a, 0x0d, 0x0d, 0x0a}

// Open opens a capture file; "-" reads standard input. The format is sniffed from the magic
// number: classic pcap (µs or ns, either byte order), pcapng, and gzip, zstd, xz or bzip2
// around either. A directory is refused with an error saying so.
func Open(path string) (Reader, error) {
	var f *os.File
	if path == "-" {
		f = os.Stdin
	} else {
		var err error
		f, err = os.Open(path)
		if err != nil {
			return nil, &Error{File: path, Err: err}
		}
		if fi, err := f.Stat(); err == nil && fi.IsDir() {
			f.Close()
			return nil, &Error{File: path, Err: ErrIsDir}
		}
	}
	closer := func() error {
		if f == os.Stdin {
			return nil
		}
		return f.Close()
	}
	r, err := newReader(path, f, closer)
	if err != nil {
		_ = closer()
		return nil, err
	}
	return r, nil
}

// NewReader reads a capture from r (format sniffed as in Open); name is used in errors and
// Frame.File. Closing the returned Reader does not close r.
func NewReader(name string, r io.Reader) (Reader, error) {
	return newReader(name, r, func() error { return nil })
}

func newReader(name string, src io.Reader, closer func() error) (Reader, error) {
	br := bufio.NewReaderSize(src, bufSize)
	raw := br
	br, closer, err := decompressed(name, br, closer)
	if err != nil {
		return nil, err
	}
	head, err := br.Peek(4)
	if len(head) < 4 {
		switch {
		case err != nil && err != io.EOF:
			return nil, &Error{File: name, Err: err}
		case br != raw:
			return nil, &Error{File: name, Err: fmt.Errorf("%w: decompressed file too short (%d bytes)", ErrTruncated, len(head))}
		}
		return nil, &Error{File: name, Err: fmt.Errorf("%w: file too short (%d bytes)", ErrTruncated, len(head))}
	}
	if [4]byte(head) == magicPcapng {
		return newPcapng(name, br, closer)
	}
	return newPcap(name, br, closer)
}

// readErr turns a short read into a truncation error.
func readErr(err error, what string, want, got int) error {
	if err == io.EOF || err == io.ErrUnexpectedEOF || err == bufio.ErrBufferFull || err == nil {
		return fmt.Errorf("%w: tried to read %d %s bytes, only got %d", ErrTruncated, want, what, got)
	}
	return err
}
