package capture

// pcapng reader (hand-written for the reasons given at the top of pcap.go). Blocks up to
// the bufio size are handed out in place (no copy); larger blocks are read into a spare
// buffer that grows only as the bytes actually arrive, so a lying length never makes us
// allocate more than the file really holds (and never more than MaxBlockLen).

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math/bits"
)

const (
	blockSHB = 0x0a0d0d0a
	blockIDB = 0x00000001
	blockOPB = 0x00000002 // obsolete Packet Block
	blockSPB = 0x00000003
	blockEPB = 0x00000006

	byteOrderMagic = 0x1a2b3c4d

	optEndOfOpt  = 0
	optTsResol   = 9
	optTsOffset  = 14
	maxIfaces    = 1 << 16 // more interfaces than this in one section is an error
	chunkReadLen = 1 << 20
)

type ngIface struct {
	linkType uint32
	snaplen  uint32
	res      uint64 // timestamp units per second
	offset   int64  // seconds added to every timestamp (if_tsoffset)
}

type pcapngReader struct {
	name   string
	br     *bufio.Reader
	closer func() error
	order  binary.ByteOrder
	ifaces []ngIface
	num    uint64
	err    error
	spare  []byte
}

func newPcapng(name string, br *bufio.Reader, closer func() error) (Reader, error) {
	r := &pcapngReader{name: name, br: br, closer: closer}
	// The first block must be a section header: read it now so format errors surface at Open.
	typ, body, err := r.readBlock()
	if err != nil {
		if err == io.EOF {
			err = &Error{File: name, Err: fmt.Errorf("%w: empty pcapng file", ErrTruncated)}
		}
		return nil, err
	}
	if typ != blockSHB {
		return nil, &Error{File: name, Err: fmt.Errorf("%w: first block is not a section header", ErrBadBlock)}
	}
	if err := r.section(body); err != nil {
		return nil, err
	}
	return r, nil
}

func (r *pcapngReader) fail(err error) error {
	r.err = &Error{File: r.name, Packet: r.num + 1, Err: err}
	return r.err
}

// readBlock reads one whole block and returns its type and body (without the 8-byte head
// and the 4-byte trailer). Unknown block types are skipped without buffering and returned
// with a nil body. io.EOF means a clean end between blocks.
func (r *pcapngReader) readBlock() (uint32, []byte, error) {
	h, err := r.br.Peek(12)
	if err != nil {
		if len(h) == 0 && err == io.EOF {
			return 0, nil, io.EOF
		}
		return 0, nil, r.fail(readErr(err, "block header", 12, len(h)))
	}
	typ := binary.LittleEndian.Uint32(h) // SHB's type is a palindrome
	if typ == blockSHB {
		switch binary.LittleEndian.Uint32(h[8:]) {
		case byteOrderMagic:
			r.order = binary.LittleEndian
		default:
			if binary.BigEndian.Uint32(h[8:]) != byteOrderMagic {
				return 0, nil, r.fail(fmt.Errorf("%w: section header with bad byte-order magic", ErrBadBlock))
			}
			r.order = binary.BigEndian
		}
	} else {
		typ = r.order.Uint32(h)
	}
	total := r.order.Uint32(h[4:])
	switch {
	case total < 12 || (typ == blockSHB && total < 28):
		return 0, nil, r.fail(fmt.Errorf("%w: block type %#x has length %d, too small", ErrBlockLength, typ, total))
	case total%4 != 0:
		return 0, nil, r.fail(fmt.Errorf("%w: block type %#x has length %d, not a multiple of 4", ErrBlockLength, typ, total))
	case total > MaxBlockLen:
		return 0, nil, r.fail(fmt.Errorf("%w: block type %#x has length %d, above the %d cap", ErrBlockLength, typ, total, MaxBlockLen))
	}
	n := int(total)
	switch typ {
	case blockSHB, blockIDB, blockEPB, blockSPB, blockOPB:
	default:
		if got, err := r.br.Discard(n); err != nil {
			return 0, nil, r.fail(readErr(err, "block", n, got))
		}
		return typ, nil, nil
	}
	var b []byte
	if n <= r.br.Size() {
		b, err = r.br.Peek(n)
		if err != nil {
			return 0, nil, r.fail(readErr(err, "block", n, len(b)))
		}
		_, _ = r.br.Discard(n)
	} else {
		b = r.spare[:0]
		for len(b) < n {
			c := min(n-len(b), chunkReadLen)
			b = append(b, make([]byte, c)...)
			got, err := io.ReadFull(r.br, b[len(b)-c:])
			if err != nil {
				return 0, nil, r.fail(readErr(err, "block", n, len(b)-c+got))
			}
		}
		r.spare = b
	}
	if tr := r.order.Uint32(b[n-4:]); tr != total {
		return 0, nil, r.fail(fmt.Errorf("%w: block type %#x: length %d in header but %d in trailer", ErrBlockLength, typ, total, tr))
	}
	return typ, b[8 : n-4], nil
}

func (r *pcapngReader) section(body []byte) error {
	if major := r.order.Uint16(body[4:]); major != 1 {
		return r.fail(fmt.Errorf("%w: unsupported pcapng version %d", ErrBadBlock, major))
	}
	r.ifaces = r.ifaces[:0]
	return nil
}

func (r *pcapngReader) iface(body []byte) error {
	if len(body) < 8 {
		return r.fail(fmt.Errorf("%w: interface description block too short", ErrBadBlock))
	}
	if len(r.ifaces) >= maxIfaces {
		return r.fail(fmt.Errorf("%w: more than %d interfaces", ErrBadBlock, maxIfaces))
	}
	ifc := ngIface{linkType: uint32(r.order.Uint16(body)), snaplen: r.order.Uint32(body[4:]), res: 1_000_000}
	opts := body[8:]
	for len(opts) >= 4 {
		code, l := r.order.Uint16(opts), int(r.order.Uint16(opts[2:]))
		opts = opts[4:]
		if code == optEndOfOpt {
			break
		}
		if l > len(opts) {
			return r.fail(fmt.Errorf("%w: interface option %d overruns its block", ErrBadBlock, code))
		}
		v := opts[:l]
		switch {
		case code == optTsResol && l == 1:
			e := uint(v[0] & 0x7f)
			if v[0]&0x80 != 0 {
				if e > 63 {
					return r.fail(fmt.Errorf("%w: 2^-%d", ErrUnsupportedTs, e))
				}
				ifc.res = 1 << e
			} else {
				if e > 19 {
					return r.fail(fmt.Errorf("%w: 10^-%d", ErrUnsupportedTs, e))
				}
				ifc.res = 1
				for range e {
					ifc.res *= 10
				}
			}
		case code == optTsOffset && l == 8:
			ifc.offset = int64(r.order.Uint64(v))
		}
		pad := (l + 3) &^ 3
		if pad > len(opts) {
			pad = len(opts)
		}
		opts = opts[pad:]
	}
	r.ifaces = append(r.ifaces, ifc)
	return nil
}

// micros converts a raw timestamp in ifc's units to µs since the epoch, truncating.
func (ifc *ngIface) micros(t uint64) int64 {
	if ifc.res == 1_000_000 {
		return int64(t) + ifc.offset*1_000_000
	}
	sec, frac := t/ifc.res, t%ifc.res
	hi, lo := bits.Mul64(frac, 1_000_000)
	us, _ := bits.Div64(hi, lo, ifc.res) // hi < res since frac < res
	return (int64(sec)+ifc.offset)*1_000_000 + int64(us)
}

func (r *pcapngReader) Next(f *Frame) error {
	if r.err != nil {
		return r.err
	}
	for {
		typ, body, err := r.readBlock()
		if err != nil {
			if err == io.EOF {
				r.err = io.EOF
			}
			return err
		}
		switch typ {
		case blockSHB:
			if err := r.section(body); err != nil {
				return err
			}
		case blockIDB:
			if err := r.iface(body); err != nil {
				return err
			}
		case blockEPB, blockOPB:
			var id uint32
			if typ == blockEPB {
				if len(body) < 20 {
					return r.fail(fmt.Errorf("%w: enhanced packet block too short", ErrBadBlock))
				}
				id = r.order.Uint32(body)
			} else {
				if len(body) < 20 {
					return r.fail(fmt.Errorf("%w: packet block too short", ErrBadBlock))
				}
				id = uint32(r.order.Uint16(body))
			}
			if int(id) >= len(r.ifaces) {
				return r.fail(fmt.Errorf("%w: interface %d of %d", ErrNoInterface, id, len(r.ifaces)))
			}
			ifc := &r.ifaces[id]
			ts := uint64(r.order.Uint32(body[4:]))<<32 | uint64(r.order.Uint32(body[8:]))
			capLen, wireLen := r.order.Uint32(body[12:]), r.order.Uint32(body[16:])
			if capLen > MaxCapLen {
				return r.fail(fmt.Errorf("%w %d, bigger than maximum of %d", ErrCapLen, capLen, MaxCapLen))
			}
			if int(capLen) > len(body)-20 {
				return r.fail(fmt.Errorf("%w: captured length %d overruns its block", ErrBadBlock, capLen))
			}
			r.num++
			f.Data = body[20 : 20+capLen]
			f.Ts = ifc.micros(ts)
			f.LinkType = ifc.linkType
			f.WireLen = int(wireLen)
			f.Num = r.num
			f.File = r.name
			f.Stable = false
			return nil
		case blockSPB:
			if len(r.ifaces) == 0 {
				return r.fail(fmt.Errorf("%w: simple packet block without interface", ErrNoInterface))
			}
			if len(body) < 4 {
				return r.fail(fmt.Errorf("%w: simple packet block too short", ErrBadBlock))
			}
			ifc := &r.ifaces[0]
			wireLen := r.order.Uint32(body)
			capLen := min(uint64(wireLen), uint64(len(body)-4))
			if ifc.snaplen != 0 {
				capLen = min(capLen, uint64(ifc.snaplen))
			}
			if capLen > MaxCapLen {
				return r.fail(fmt.Errorf("%w %d, bigger than maximum of %d", ErrCapLen, capLen, MaxCapLen))
			}
			r.num++
			f.Data = body[4 : 4+capLen]
			f.Ts = 0 // a simple packet block has no timestamp
			f.LinkType = ifc.linkType
			f.WireLen = int(wireLen)
			f.Num = r.num
			f.File = r.name
			f.Stable = false
			return nil
		}
	}
}

func (r *pcapngReader) Close() error {
	if r.closer == nil {
		return nil
	}
	c := r.closer
	r.closer = nil
	return c()
}
