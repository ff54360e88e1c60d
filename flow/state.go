package flow

import (
	"bytes"
	"cmp"
	"sort"
)

// tcpConnState is conn.log's conn_state for TCP (Zeek's Conn::conn_state).
func tcpConnState(o, r *Endpoint, hist string) string {
	oInactive := o.State == TCPInactive || o.State == TCPPartial
	rInactive := r.State == TCPInactive || r.State == TCPPartial
	switch {
	case r.State == TCPReset:
		if o.State == TCPSynSent || o.State == TCPSynAckSent ||
			(o.State == TCPReset && o.size(r) == 0 && r.size(o) == 0) {
			return "REJ"
		}
		if oInactive {
			return "RSTRH"
		}
		return "RSTR"
	case o.State == TCPReset:
		if rInactive {
			if rstos0(hist) {
				return "RSTOS0"
			}
			return "OTH"
		}
		return "RSTO"
	case r.State == TCPClosed && o.State == TCPClosed:
		return "SF"
	case o.State == TCPClosed:
		if rInactive {
			return "SH"
		}
		return "S2"
	case r.State == TCPClosed:
		if oInactive {
			return "SHR"
		}
		return "S3"
	case o.State == TCPSynSent && r.State == TCPInactive:
		return "S0"
	case o.State == TCPEstablished && r.State == TCPEstablished:
		return "S1"
	}
	return "OTH"
}

// rstos0 matches Zeek's /\^?S[^HAFGIQ]*R.*/ against the whole history.
func rstos0(h string) bool {
	i := 0
	if i < len(h) && h[i] == '^' {
		i++
	}
	if i >= len(h) || h[i] != 'S' {
		return false
	}
	for i++; i < len(h); i++ {
		switch h[i] {
		case 'R':
			return true
		case 'H', 'A', 'F', 'G', 'I', 'Q':
			return false
		}
	}
	return false
}

// sortByKey orders connections as Zeek drains its session table at the end of input when it
// runs with a fixed seed (as its tests, and the conformance reference, do): by the bytes of the
// canonical key — lower address, higher address, their ports in network byte order, protocol.
// Any fixed order would do for a live run; this one makes the logs comparable line by line.
func sortByKey(cs []*Conn) {
	sort.Slice(cs, func(i, j int) bool {
		a, b := cs[i].Key(), cs[j].Key()
		if c := CompareKeys(&a, &b); c != 0 {
			return c < 0
		}
		return cs[i].born() < cs[j].born()
	})
}

// CompareKeys orders keys as the end-of-input drain does (Table.Flush): -1, 0 or +1.
func CompareKeys(a, b *Key) int {
	if c := bytes.Compare(a.A[:], b.A[:]); c != 0 {
		return c
	}
	if c := bytes.Compare(a.B[:], b.B[:]); c != 0 {
		return c
	}
	if c := cmp.Compare(a.PA, b.PA); c != 0 {
		return c
	}
	if c := cmp.Compare(a.PB, b.PB); c != 0 {
		return c
	}
	return cmp.Compare(a.Proto, b.Proto)
}
