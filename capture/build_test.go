package capture

import (
	"bytes"
	"encoding/binary"
)

// Test helpers that build capture files byte by byte (independently of the reader).

type pcapRec struct {
	sec, frac       uint32
	capLen, wireLen uint32 // capLen 0 means len(data)
	data            []byte
	rawCapLen       bool // use capLen as is even when 0
}

func pcapFile(order binary.ByteOrder, magic uint32, snaplen, link uint32, recs ...pcapRec) []byte {
	var b bytes.Buffer
	h := make([]byte, 24)
	order.PutUint32(h, magic)
	order.PutUint16(h[4:], 2)
	order.PutUint16(h[6:], 4)
	order.PutUint32(h[16:], snaplen)
	order.PutUint32(h[20:], link)
	b.Write(h)
	for _, r := range recs {
		rh := make([]byte, 16)
		c := r.capLen
		if c == 0 && !r.rawCapLen {
			c = uint32(len(r.data))
		}
		w := r.wireLen
		if w == 0 {
			w = uint32(len(r.data))
		}
		order.PutUint32(rh, r.sec)
		order.PutUint32(rh[4:], r.frac)
		order.PutUint32(rh[8:], c)
		order.PutUint32(rh[12:], w)
		b.Write(rh)
		b.Write(r.data)
	}
	return b.Bytes()
}

// ngBlock builds one pcapng block: type, body (padded to 4), total length in both places.
func ngBlock(order binary.ByteOrder, typ uint32, body []byte) []byte {
	pad := (4 - len(body)%4) % 4
	total := 12 + len(body) + pad
	b := make([]byte, total)
	order.PutUint32(b, typ)
	order.PutUint32(b[4:], uint32(total))
	copy(b[8:], body)
	order.PutUint32(b[total-4:], uint32(total))
	return b
}

func ngSHB(order binary.ByteOrder) []byte {
	body := make([]byte, 16)
	order.PutUint32(body, 0x1a2b3c4d)
	order.PutUint16(body[4:], 1)
	order.PutUint64(body[8:], ^uint64(0))
	return ngBlock(order, 0x0a0d0d0a, body)
}

type ngOpt struct {
	code uint16
	val  []byte
}

func ngIDB(order binary.ByteOrder, link uint16, snaplen uint32, opts ...ngOpt) []byte {
	body := make([]byte, 8)
	order.PutUint16(body, link)
	order.PutUint32(body[4:], snaplen)
	for _, o := range opts {
		oh := make([]byte, 4)
		order.PutUint16(oh, o.code)
		order.PutUint16(oh[2:], uint16(len(o.val)))
		body = append(body, oh...)
		body = append(body, o.val...)
		for len(body)%4 != 0 {
			body = append(body, 0)
		}
	}
	if len(opts) > 0 {
		body = append(body, 0, 0, 0, 0)
	}
	return ngBlock(order, 1, body)
}

func ngEPB(order binary.ByteOrder, iface uint32, ts uint64, wireLen uint32, data []byte) []byte {
	body := make([]byte, 20, 20+len(data))
	order.PutUint32(body, iface)
	order.PutUint32(body[4:], uint32(ts>>32))
	order.PutUint32(body[8:], uint32(ts))
	order.PutUint32(body[12:], uint32(len(data)))
	if wireLen == 0 {
		wireLen = uint32(len(data))
	}
	order.PutUint32(body[16:], wireLen)
	return ngBlock(order, 6, append(body, data...))
}

func ngSPB(order binary.ByteOrder, wireLen uint32, data []byte) []byte {
	body := make([]byte, 4, 4+len(data))
	order.PutUint32(body, wireLen)
	return ngBlock(order, 3, append(body, data...))
}

func ngOPB(order binary.ByteOrder, iface uint16, ts uint64, data []byte) []byte {
	body := make([]byte, 20, 20+len(data))
	order.PutUint16(body, iface)
	order.PutUint32(body[4:], uint32(ts>>32))
	order.PutUint32(body[8:], uint32(ts))
	order.PutUint32(body[12:], uint32(len(data)))
	order.PutUint32(body[16:], uint32(len(data)))
	return ngBlock(order, 2, append(body, data...))
}

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

func u64(order binary.ByteOrder, v uint64) []byte {
	b := make([]byte, 8)
	order.PutUint64(b, v)
	return b
}
