package engine

import "github.com/tlsmon/tlsmon/packet"

// badChecksum drops a packet whose transport checksum is wrong (Options.VerifyChecksums),
// as Zeek without -C does: its connection exists (a new one is announced), the packet is
// not counted nor analyzed, the history notes it and the connection gets Zeek's weird.
func (e *Engine) badChecksum(p *packet.Packet) {
	c, isNew := e.table.ChecksumError(p)
	if c == nil {
		return
	}
	cs := stateOf(c)
	if isNew {
		cs.start()
	}
	if e.tun.depth > 0 || cs.tun != nil {
		e.checkEncap(cs, isNew)
	}
	switch p.Proto {
	case 6:
		e.raiseWeird(&c.Info, "bad_TCP_checksum", "", "TCP")
	case 17:
		e.raiseWeird(&c.Info, "bad_UDP_checksum", "", "UDP")
	default:
		e.raiseWeird(&c.Info, "bad_ICMP_checksum", "", "ICMP")
	}
}
