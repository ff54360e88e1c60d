package policy

import (
	"encoding/binary"
	"errors"
	"net/netip"

	tlsmon "github.com/tlsmon/tlsmon"
	"github.com/tlsmon/tlsmon/internal/bindec"
	"github.com/tlsmon/tlsmon/zeeklog"
)

// A sharded run (the command's --workers on a file, docs/SCALING.md "Consumers in the
// shards") runs each shard's ssl.log and conn.log builders, and so the scripts' column
// extensions, in the shard. What the scripts keep of one connection stays there; their
// decisions across connections — notice suppression and the known certificates — are made
// by the run's one Site, serially, in one engine's order: a shard's Site hands each notice
// it raises and each certificate known-certs sees to a Forwarder (Shard), which encodes it
// (Encoder) for the merger, which hands it to the run's Site (Decode).
//
// The validate scripts' checks are such decisions too: the run's Site makes them, and
// completes the shards' ssl.log rows with their results (validatesplit.go).

// Forwarder receives the decisions of a shard's Site that span connections. The *Site of
// the run implements it: Notice is Zeek's NOTICE (suppression, notice.log), KnownCert is
// known-certs' check of a server's certificate (known_certs.log), Validate is one of the
// validate scripts' checks (validatesplit.go).
type Forwarder interface {
	Notice(n *Notice)
	KnownCert(ts int64, c *tlsmon.Conn, sha1 [20]byte, subject, issuer, serial string)
	Validate(v *Validation)
}

// Shard returns a Site for shard index of a sharded run of shards: its ShardExtensions keep
// each connection's state, with 1/shards of the certificate cache; the notices it raises,
// the certificates known-certs sees and the validate scripts' checks go to f. It must not
// be asked for Extensions' logs.
func (s *Site) Shard(f Forwarder, index, shards int) *Site {
	return &Site{cfg: s.cfg, forward: f, certCacheBytes: max(maxCertCacheBytes/max(shards, 1), 1),
		shardIndex: index, shards: shards}
}

// ShardExtensions returns the column extensions of a shard's Site (Shard): those of
// Extensions, without the logs (notice.log and known_certs.log are the run's Site's).
func (s *Site) ShardExtensions() zeeklog.Extensions {
	ext := s.Extensions()
	ext.Logs = nil
	return ext
}

// Notice implements Forwarder: the notice is raised (suppressed or logged) by s.
func (s *Site) Notice(n *Notice) { s.notices.raise(n) }

// KnownCert implements Forwarder: known-certs logs the certificate unless known.
func (s *Site) KnownCert(ts int64, c *tlsmon.Conn, sha1 [20]byte, subject, issuer, serial string) {
	s.known.seen(ts, c, sha1, subject, issuer, serial)
}

// Encoder is a Forwarder that encodes each decision as one line (ending in '\n') and hands
// it to Put (valid only during the call), for Decode on another goroutine.
type Encoder struct {
	Put func(line []byte)
	buf []byte
}

const (
	decNotice = 'N'
	decKnown  = 'K'
)

// Notice implements Forwarder.
func (e *Encoder) Notice(n *Notice) {
	b := append(e.buf[:0], decNotice)
	b = binary.AppendVarint(b, n.Ts)
	b = appendConn(b, n.Conn)
	for _, s := range [...]string{n.Note, n.Msg, n.Sub, n.FileDesc, n.Identifier} {
		b = appendString(b, s)
	}
	b = binary.AppendUvarint(b, n.N)
	b = appendBool(b, n.HasN)
	b = binary.AppendVarint(b, n.SuppressFor)
	e.put(b)
}

// KnownCert implements Forwarder.
func (e *Encoder) KnownCert(ts int64, c *tlsmon.Conn, sha1 [20]byte, subject, issuer, serial string) {
	b := append(e.buf[:0], decKnown)
	b = binary.AppendVarint(b, ts)
	b = appendConn(b, c)
	b = append(b, sha1[:]...)
	for _, s := range [...]string{subject, issuer, serial} {
		b = appendString(b, s)
	}
	e.put(b)
}

func (e *Encoder) put(b []byte) {
	b = append(b, '\n')
	e.Put(b)
	e.buf = b
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendBool(b []byte, v bool) []byte {
	if v {
		return append(b, 1)
	}
	return append(b, 0)
}

// appendConn encodes what the decisions' rows read of a connection: its uid, id and start.
func appendConn(b []byte, c *tlsmon.Conn) []byte {
	b = appendBool(b, c != nil)
	if c == nil {
		return b
	}
	b = appendString(b, c.UID)
	b = binary.AppendVarint(b, c.StartTs)
	b, _ = c.ID.OrigH.AppendBinary(appendLenAddr(b, c.ID.OrigH))
	b, _ = c.ID.RespH.AppendBinary(appendLenAddr(b, c.ID.RespH))
	b = binary.BigEndian.AppendUint16(b, c.ID.OrigP)
	b = binary.BigEndian.AppendUint16(b, c.ID.RespP)
	return append(b, byte(c.ID.Proto))
}

// appendLenAddr appends the length of a's binary form (0, 4 or 16, plus a zone).
func appendLenAddr(b []byte, a netip.Addr) []byte {
	n := 0
	if a.IsValid() {
		n = a.BitLen()/8 + len(a.Zone())
	}
	return binary.AppendUvarint(b, uint64(n))
}

var errDecode = errors.New("policy: malformed decision")

// decoder reads an Encoder's line.
type decoder struct{ bindec.Reader }

func (d *decoder) string() string { return string(d.Bytes(d.Uvarint())) }
func (d *decoder) bool() bool     { p := d.Bytes(1); return len(p) == 1 && p[0] != 0 }

func (d *decoder) addr() netip.Addr {
	var a netip.Addr
	if p := d.Bytes(d.Uvarint()); d.Err == nil && a.UnmarshalBinary(p) != nil {
		d.Err = errDecode
	}
	return a
}

func (d *decoder) conn(c *tlsmon.Conn) *tlsmon.Conn {
	if !d.bool() {
		return nil
	}
	*c = tlsmon.Conn{UID: d.string(), StartTs: d.Varint()}
	c.ID.OrigH, c.ID.RespH = d.addr(), d.addr()
	if p := d.Bytes(5); len(p) == 5 {
		c.ID.OrigP, c.ID.RespP, c.ID.Proto = binary.BigEndian.Uint16(p), binary.BigEndian.Uint16(p[2:]), tlsmon.Proto(p[4])
	}
	return c
}

// Decode hands the decision an Encoder encoded as line (with or without its '\n') to f.
// Its connection is a copy holding the uid, id and start of the connection when the
// decision was made.
func Decode(line []byte, f Forwarder) error {
	if n := len(line); n > 0 && line[n-1] == '\n' {
		line = line[:n-1]
	}
	if len(line) == 0 {
		return errDecode
	}
	d := &decoder{bindec.Reader{B: line[1:], Malformed: errDecode}}
	var c tlsmon.Conn
	switch line[0] {
	case decNotice:
		n := Notice{Ts: d.Varint()}
		n.Conn = d.conn(&c)
		n.Note, n.Msg, n.Sub, n.FileDesc, n.Identifier = d.string(), d.string(), d.string(), d.string(), d.string()
		n.N = d.Uvarint()
		n.HasN = d.bool()
		n.SuppressFor = d.Varint()
		if d.Err != nil || len(d.B) != 0 {
			return errDecode
		}
		f.Notice(&n)
	case decKnown:
		ts := d.Varint()
		conn := d.conn(&c)
		var sha1 [20]byte
		copy(sha1[:], d.Bytes(20))
		subject, issuer, serial := d.string(), d.string(), d.string()
		if d.Err != nil || len(d.B) != 0 || conn == nil {
			return errDecode
		}
		f.KnownCert(ts, conn, sha1, subject, issuer, serial)
	case decValidate:
		v, ok := d.validation(&c)
		if !ok {
			return errDecode
		}
		f.Validate(&v)
	default:
		return errDecode
	}
	return nil
}
