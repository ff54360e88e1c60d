package engine

import (
	"testing"

	"github.com/tlsmon/tlsmon"
	"github.com/tlsmon/tlsmon/analyzer"
	"github.com/tlsmon/tlsmon/capture"
	"github.com/tlsmon/tlsmon/packet"
)

type weirdRec struct {
	name, addl, source string
	conn               *tlsmon.Conn
}

func collect(evs *[]tlsmon.Event, weirds *[]weirdRec) tlsmon.Handler {
	return tlsmon.HandlerFunc(func(ev tlsmon.Event) {
		switch x := ev.(type) {
		case *tlsmon.Weird:
			*weirds = append(*weirds, weirdRec{x.WeirdName, x.Addl, x.Source, x.Conn})
		case *tlsmon.ConnectionStateRemove:
			c := *x
			*evs = append(*evs, &c)
		}
	})
}

func TestUDPLengthMismatchWeird(t *testing.T) {
	var evs []tlsmon.Event
	var ws []weirdRec
	e := New(Options{Analyzers: []analyzer.Spec{}, Handler: collect(&evs, &ws)})
	pl := make([]byte, 18)
	p := &packet.Packet{Ts: 1, IPVersion: 4, Proto: 17, Src: cli, Dst: srv, SrcPort: 40000, DstPort: 443,
		Payload: pl, PayloadLen: len(pl), IPLen: 20 + 8 + len(pl), UDPLen: 256}
	e.Packet(p)
	p.UDPLen = 26 // consistent: no weird
	p.Ts = 2
	e.Packet(p)
	e.Flush()
	if len(ws) != 1 || ws[0].name != "UDP_datagram_length_mismatch" || ws[0].addl != "256 != 26" ||
		ws[0].source != "UDP" || ws[0].conn == nil {
		t.Fatalf("weirds %+v", ws)
	}
	st := evs[0].(*tlsmon.ConnectionStateRemove).Stats
	if st.OrigBytes != 248+18 {
		t.Fatalf("orig_bytes %d, want the UDP length fields' sum %d", st.OrigBytes, 248+18)
	}
}

func TestICMPConnection(t *testing.T) {
	var evs []tlsmon.Event
	var ws []weirdRec
	e := New(Options{Handler: collect(&evs, &ws)})
	for i, typ := range []uint8{8, 0, 8, 0} {
		pl := make([]byte, 8+56)
		pl[0] = typ
		src, dst := cli, srv
		if typ == 0 {
			src, dst = srv, cli
		}
		e.Packet(&packet.Packet{Ts: int64(i + 1), IPVersion: 4, Proto: 1, Src: src, Dst: dst,
			Payload: pl, PayloadLen: len(pl), IPLen: 20 + len(pl)})
	}
	short := &packet.Packet{Ts: 9, IPVersion: 4, Proto: 1, Src: cli, Dst: srv, Payload: make([]byte, 4), PayloadLen: 4, IPLen: 24}
	e.Packet(short)
	e.Flush()
	if len(evs) != 1 {
		t.Fatalf("%d connections, want 1", len(evs))
	}
	r := evs[0].(*tlsmon.ConnectionStateRemove)
	id, st := r.Conn.ID, r.Stats
	if id.Proto != tlsmon.ProtoICMP || id.OrigP != 8 || id.RespP != 0 || id.OrigH.As16() != cli {
		t.Fatalf("id %+v", id)
	}
	if st.OrigPkts != 2 || st.RespPkts != 2 || st.OrigBytes != 112 || st.RespBytes != 112 || st.State != "OTH" || st.IPProto != 1 {
		t.Fatalf("stats %+v", st)
	}
	if len(ws) != 1 || ws[0].name != "truncated_header" || ws[0].conn != nil {
		t.Fatalf("weirds %+v", ws)
	}
}

func TestPacketWeirdsRaised(t *testing.T) {
	var evs []tlsmon.Event
	var ws []weirdRec
	e := New(Options{Analyzers: []analyzer.Spec{}, Handler: collect(&evs, &ws)})
	// An IPv4 packet whose total length field is zero (segmentation offload): the decoder
	// reports ip_hdr_len_zero and Zeek still analyzes the packet; the engine must raise it.
	frame := []byte{
		0x45, 0, 0, 0, 0, 0, 0, 0, 64, 17, 0, 0, 10, 1, 1, 1, 10, 2, 2, 2,
		0x9c, 0x40, 0x01, 0xbb, 0, 8, 0, 0,
	}
	e.Frame(&capture.Frame{LinkType: 101, Ts: 1, Data: frame, WireLen: len(frame)}) // LINKTYPE_RAW
	e.Flush()
	if len(evs) != 1 {
		t.Fatalf("%d connections, want the packet's UDP connection", len(evs))
	}
	found := false
	for _, w := range ws {
		found = found || (w.name == "ip_hdr_len_zero" && w.conn == nil && w.source == "IP")
	}
	if !found {
		t.Fatalf("weirds %+v", ws)
	}
}
