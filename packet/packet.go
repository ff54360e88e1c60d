// Package packet decodes link, network and transport headers of captured frames into a
// Packet: no allocation per packet on the common path.
package packet

// Packet is one decoded frame. It is reused by the caller between frames: Payload aliases
// the capture buffer (or the fragment-reassembly buffer) and is valid until the next Decode.
type Packet struct {
	Ts int64 // microseconds since the Unix epoch

	IPVersion uint8    // 4 or 6
	Src, Dst  [16]byte // IPv4 addresses are stored IPv4-mapped (::ffff:a.b.c.d)
	Proto     uint8    // IP protocol number of the transport (6 TCP, 17 UDP, ...)
	IPLen     int      // IP packet length as Zeek counts it for *_ip_bytes (total length incl. IP header)
	TTL       uint8

	SrcPort, DstPort uint16

	// TCP only.
	Seq, Ack uint32
	Flags    uint8 // TCP flag bits: FIN 0x01, SYN 0x02, RST 0x04, PSH 0x08, ACK 0x10, URG 0x20
	Window   uint16

	// Payload is the transport payload, cut to what was captured (snaplen) and to the IP
	// length (Ethernet padding removed).
	Payload []byte
	// PayloadLen is the payload length as the IP header claims it (>= len(Payload) when
	// the capture cut the frame).
	PayloadLen int

	// UDPLen is the UDP header's length field (UDP only). Zeek counts it for the UDP
	// endpoint sizes and raises UDP_datagram_length_mismatch (a connection weird) when it
	// differs from PayloadLen+8.
	UDPLen uint16

	// Reassembled is set when the packet is an IP datagram rebuilt from fragments.
	Reassembled bool

	// Transport is the captured transport segment (header and payload, cut like Payload),
	// for TransportChecksumOK; valid as Payload is.
	Transport []byte

	// Weirds lists non-fatal Zeek weirds (packet- or flow-level, by Zeek name) noticed while
	// decoding this frame, e.g. "ip_hdr_len_zero" or "fragment_overlap". Reused between
	// frames like the rest of the Packet.
	Weirds []string
}

// weird appends a weird to p.Weirds. Out of line: the decoder's hot functions then keep
// their registers for the common path instead of spilling them around append's growslice.
//
//go:noinline
func (p *Packet) weird(name string) {
	p.Weirds = append(p.Weirds, name)
}

// TCP flag bits.
const (
	FIN = 0x01
	SYN = 0x02
	RST = 0x04
	PSH = 0x08
	ACK = 0x10
	URG = 0x20
)
