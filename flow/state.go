package flow

import "sort"

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

func sortByStart(cs []*Conn) {
	sort.Slice(cs, func(i, j int) bool {
		if cs[i].Info.StartTs != cs[j].Info.StartTs {
			return cs[i].Info.StartTs < cs[j].Info.StartTs
		}
		return cs[i].serial < cs[j].serial
	})
}
