package packet

import (
	"encoding/binary"
	"time"

	"github.com/tlsmon/tlsmon/budget"
)

// Status is the outcome of Decode.
type Status uint8

const (
	// OK: p holds an IPv4/IPv6 packet (TCP/UDP ports and payload filled; other protocols
	// have Proto set, ports 0 and Payload the IP payload).
	OK Status = iota
	// Skip: not IP (ARP, LLDP, ...) or nothing to deliver.
	Skip
	// Fragment: an IP fragment was buffered; nothing to deliver yet.
	Fragment
	// Malformed: the frame was dropped; the error is a *DecodeError.
	Malformed
)

func (s Status) String() string {
	switch s {
	case OK:
		return "ok"
	case Skip:
		return "skip"
	case Fragment:
		return "fragment"
	case Malformed:
		return "malformed"
	}
	return "status?"
}

// DecodeError describes a dropped frame.
type DecodeError struct {
	Weird  string // the weird Zeek raises for this, if any (e.g. "truncated_IP"); "" if none
	Detail string
	// Conn is true when p's addresses, Proto and ports were filled before the error: Zeek
	// creates (or updates) the connection before it drops such a packet (bad_TCP_header_len,
	// TCP options truncated_header), so the weird belongs to that connection.
	Conn bool
}

func (e *DecodeError) Error() string {
	if e.Weird == "" {
		return e.Detail
	}
	return e.Weird + ": " + e.Detail
}

// Config bounds the decoder's memory. Zero values mean the defaults.
type Config struct {
	MaxFragmentBytes        int           // total bytes buffered for IP reassembly (default 16 MiB)
	MaxFragmentsPerDatagram int           // fragments kept per datagram (default 512)
	FragmentTimeout         time.Duration // like Zeek's frag_timeout (default 5 min)
	// VerifyChecksums drops IPv4 packets with a bad header checksum (weird bad_IP_checksum)
	// and those whose total length is 0 (ip_hdr_len_zero), as Zeek without -C does; the
	// transport checksums are checked by the caller (Packet.TransportChecksumOK).
	VerifyChecksums bool
	// Budget, if set, is the memory budget fragment reassembly draws on (within
	// MaxFragmentBytes); give it ShedFragments as its Fragments shedder.
	Budget *budget.Budget
}

const (
	defaultMaxFragmentBytes = 16 << 20
	defaultMaxFragsPerDgram = 512
	defaultFragTimeout      = 5 * time.Minute
)

// DecoderStats counts what the decoder did.
type DecoderStats struct {
	Packets, OK, Skipped, Malformed uint64
	Fragments                       uint64 // fragments accepted into reassembly
	Reassembled                     uint64 // datagrams rebuilt
	FragTimeouts                    uint64 // datagrams dropped by the timeout
	FragBytesCapHits                uint64 // fragments dropped by MaxFragmentBytes
	FragShed                        uint64 // datagrams dropped by the memory budget (ShedFragments)
	FragCountCapHits                uint64 // datagrams dropped by MaxFragmentsPerDatagram
	FragTooLarge                    uint64 // fragments dropped for reaching past 64 KiB
	FragBytes                       int    // bytes buffered now
	FragPending                     int    // datagrams pending now
}

// Decoder decodes frames. It is not safe for concurrent use.
type Decoder struct {
	cfg   Config
	stats DecoderStats
	frags fragTable
	reasm []byte // reassembled datagram of the current packet
}

// NewDecoder returns a decoder with the given limits.
func NewDecoder(cfg Config) *Decoder {
	if cfg.MaxFragmentBytes <= 0 {
		cfg.MaxFragmentBytes = defaultMaxFragmentBytes
	}
	if cfg.MaxFragmentsPerDatagram <= 0 {
		cfg.MaxFragmentsPerDatagram = defaultMaxFragsPerDgram
	}
	if cfg.FragmentTimeout <= 0 {
		cfg.FragmentTimeout = defaultFragTimeout
	}
	d := &Decoder{cfg: cfg}
	d.frags.init()
	d.frags.mem = cfg.Budget
	return d
}

// Stats returns the counters.
func (d *Decoder) Stats() DecoderStats {
	s := d.stats
	s.FragBytes = d.frags.bytes
	s.FragPending = len(d.frags.m)
	return s
}

// Decode decodes one frame of the given link type, captured at ts (µs). It is DecodeLen
// with an unknown wire length: the truncated_IP_len check (wire length shorter than the IP
// length) is skipped.
func (d *Decoder) Decode(linkType uint32, ts int64, data []byte, p *Packet) (Status, error) {
	return d.DecodeLen(linkType, ts, data, -1, p)
}

// decodeLen is DecodeLen without the fast path: every frame the fast path takes decodes
// here to the same Packet (FuzzDecode compares them).
func (d *Decoder) decodeLen(linkType uint32, ts int64, data []byte, wireLen int, p *Packet) (Status, error) {
	p.reset(ts)
	d.stats.Packets++
	if d.frags.due(ts) {
		d.stats.FragTimeouts += d.frags.expire(ts)
	}
	var st Status
	var err error
	if linkType == LinkEthernet && len(data) >= 14+20 && binary.BigEndian.Uint16(data[12:]) == etherIPv4 && data[14]>>4 == 4 {
		// The IPv4 case of decode's fast path, without the calls of decode and ip.
		wire := -1
		if wireLen >= 0 {
			wire = wireLen - 14
		}
		st, err = d.ipv4(data[14:], wire, p)
	} else {
		st, err = d.decode(linkType, data, wireLen, p)
	}
	switch st {
	case OK:
		d.stats.OK++
	case Skip:
		d.stats.Skipped++
	case Malformed:
		d.stats.Malformed++
	}
	return st, err
}

func (p *Packet) reset(ts int64) {
	w := p.Weirds[:0]
	*p = Packet{Ts: ts, Weirds: w}
}

func (d *Decoder) decode(linkType uint32, data []byte, wireLen int, p *Packet) (Status, error) {
	// Fast path for Ethernet II straight to IPv4/IPv6, the frames of nearly every capture:
	// what ethernet and ethertype return for them, without their calls and multi-value
	// returns. BenchmarkPerfmixDecode (one core, interleaved medians of 11 at load 2.5,
	// noisy): 143 → 128 ms.
	if linkType == LinkEthernet && len(data) > 16 {
		if t := binary.BigEndian.Uint16(data[12:]); t == etherIPv4 || t == etherIPv6 {
			wire := -1
			if wireLen >= 0 {
				wire = wireLen - 14
			}
			return d.ip(data[14:], wire, p)
		}
	}
	ip, hdr, st, err := link(linkType, data, p)
	if st != OK {
		return st, err
	}
	wire := -1
	if wireLen >= 0 {
		wire = wireLen - hdr
	}
	return d.ip(ip, wire, p)
}
