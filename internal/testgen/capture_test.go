package testgen

import (
	"bytes"
	"crypto/tls"
	"encoding/binary"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// readBack parses a pcap written by Capture, independently of the writer.
type readPkt struct {
	ts  int64
	tcp *layers.TCP
	src string
}

func readBack(t *testing.T, b []byte) []readPkt {
	t.Helper()
	if len(b) < 24 || binary.LittleEndian.Uint32(b) != 0xa1b2c3d4 || binary.LittleEndian.Uint32(b[20:]) != 1 {
		t.Fatal("bad pcap header")
	}
	b = b[24:]
	var out []readPkt
	for len(b) > 0 {
		if len(b) < 16 {
			t.Fatal("truncated record header")
		}
		ts := int64(binary.LittleEndian.Uint32(b))*1e6 + int64(binary.LittleEndian.Uint32(b[4:]))
		n := int(binary.LittleEndian.Uint32(b[8:]))
		if int(binary.LittleEndian.Uint32(b[12:])) != n || len(b) < 16+n {
			t.Fatal("bad record lengths")
		}
		pk := gopacket.NewPacket(b[16:16+n], layers.LayerTypeEthernet, gopacket.Default)
		if el := pk.ErrorLayer(); el != nil {
			t.Fatalf("decode: %v", el.Error())
		}
		tcp, _ := pk.Layer(layers.LayerTypeTCP).(*layers.TCP)
		if tcp == nil {
			t.Fatal("packet without TCP")
		}
		src := pk.NetworkLayer().NetworkFlow().Src().String()
		out = append(out, readPkt{ts: ts, tcp: tcp, src: src})
		b = b[16+n:]
	}
	return out
}

// reassemble rebuilds one direction's stream from the segments, by sequence number.
func reassemble(t *testing.T, pkts []readPkt, src string) []byte {
	t.Helper()
	var isn uint32
	var have bool
	var stream []byte
	var filled []bool
	for _, p := range pkts {
		if p.src != src {
			continue
		}
		if p.tcp.SYN {
			isn, have = p.tcp.Seq, true
			continue
		}
		if !have {
			t.Fatal("data before SYN")
		}
		off := int(p.tcp.Seq - isn - 1)
		for i, c := range p.tcp.Payload {
			for off+i >= len(stream) {
				stream = append(stream, 0)
				filled = append(filled, false)
			}
			if filled[off+i] && stream[off+i] != c {
				t.Fatalf("inconsistent retransmission at offset %d", off+i)
			}
			stream[off+i], filled[off+i] = c, true
		}
	}
	for i, f := range filled {
		if !f {
			t.Fatalf("hole at offset %d", i)
		}
	}
	return stream
}

func joined(chunks []Chunk, fromClient bool) []byte {
	var b []byte
	for _, c := range chunks {
		if c.FromClient == fromClient {
			b = append(b, c.Data...)
		}
	}
	return b
}

func TestCaptureFramings(t *testing.T) {
	tr := mustRun(t, Config{MaxVersion: tls.VersionTLS12, ServerName: "example.com", ALPN: []string{"h2"}, ClientCert: true})
	framings := map[string]Framing{
		"plain":      {},
		"ipv6":       {IPv6: true, AckFlights: true},
		"tiny":       {MSS: 7, MinSegment: 1, Seed: 1},
		"reorder":    {MSS: 50, Reorder: 0.5, Seed: 2},
		"retransmit": {MSS: 30, Duplicate: 0.3, Overlap: 0.5, Seed: 3},
		"coalesce":   {CoalesceRecords: true, CoalesceWrites: true},
		"split":      {MaxHandshakeRecord: 100, MSS: 200},
	}
	for name, f := range framings {
		t.Run(name, func(t *testing.T) { checkFramed(t, tr, f) })
	}
}

// checkFramed writes tr with f, reads the pcap back independently and checks the TCP
// framing: handshake, teardown, increasing timestamps, ack bounds, and streams that
// reassemble to exactly the transcript's bytes.
func checkFramed(t *testing.T, tr *Transcript, f Framing) {
	t.Helper()
	var buf bytes.Buffer
	c, err := NewCapture(&buf, DefaultStart)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := c.AddConn(tr, f)
	if err != nil {
		t.Fatal(err)
	}
	pkts := readBack(t, buf.Bytes())
	if len(pkts) != rec.Packets {
		t.Fatalf("read %d packets, record says %d", len(pkts), rec.Packets)
	}
	for i := 1; i < len(pkts); i++ {
		if pkts[i].ts <= pkts[i-1].ts {
			t.Fatalf("timestamps not increasing at packet %d", i)
		}
	}
	if !pkts[0].tcp.SYN || pkts[0].tcp.ACK || !pkts[1].tcp.SYN || !pkts[1].tcp.ACK || pkts[1].tcp.Ack != pkts[0].tcp.Seq+1 {
		t.Fatal("no three-way handshake")
	}
	if !f.NoTeardown && (!pkts[len(pkts)-3].tcp.FIN || !pkts[len(pkts)-2].tcp.FIN) {
		t.Fatal("no FIN teardown")
	}
	cl, sv := rec.Client.Addr().String(), rec.Server.Addr().String()
	if pkts[0].src != cl {
		t.Fatalf("first packet from %s, want client %s", pkts[0].src, cl)
	}
	gotC, gotS := reassemble(t, pkts, cl), reassemble(t, pkts, sv)
	if !bytes.Equal(gotC, joined(rec.Chunks, true)) || !bytes.Equal(gotS, joined(rec.Chunks, false)) {
		t.Fatal("reassembled streams differ from the framed chunks")
	}
	if !f.CoalesceRecords && f.MaxHandshakeRecord == 0 &&
		(!bytes.Equal(gotC, joined(tr.Chunks, true)) || !bytes.Equal(gotS, joined(tr.Chunks, false))) {
		t.Fatal("reassembled streams differ from the transcript")
	}
	// Every ACK acknowledges no more than the peer has sent so far.
	isn := map[string]uint32{cl: pkts[0].tcp.Seq, sv: pkts[1].tcp.Seq}
	sent := map[string]uint32{}
	for _, p := range pkts {
		peer := sv
		if p.src == sv {
			peer = cl
		}
		if end := p.tcp.Seq - isn[p.src] + uint32(len(p.tcp.Payload)); end > sent[p.src] {
			sent[p.src] = end
		}
		if p.tcp.FIN {
			sent[p.src]++
		}
		if p.tcp.ACK && p.tcp.Ack-isn[peer] > sent[peer]+1 {
			t.Fatalf("ack %d beyond what %s sent", p.tcp.Ack-isn[peer], peer)
		}
	}
}

func TestCoalesceAndSplitRecords(t *testing.T) {
	tr := mustRun(t, Config{MaxVersion: tls.VersionTLS12, CipherSuites: []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256}})
	count := func(chunks []Chunk) (n int) {
		for _, c := range chunks {
			recs, ok := splitRecords(c.Data)
			if !ok {
				t.Fatal("chunk is not whole records")
			}
			n += len(recs)
		}
		return n
	}
	co := CoalesceRecords(tr.Chunks)
	sp := SplitRecords(tr.Chunks, 16)
	if n0, n1, n2 := count(tr.Chunks), count(co), count(sp); !(n1 < n0 && n2 > n0) {
		t.Fatalf("records: original %d, coalesced %d, split %d", n0, n1, n2)
	}
	// The server's first flight (ServerHello … ServerHelloDone) becomes a single record.
	for _, c := range co {
		if !c.FromClient {
			if recs, _ := splitRecords(c.Data); len(recs) != 1 {
				t.Fatalf("coalesced server flight has %d records", len(recs))
			}
			break
		}
	}
	// Handshake bytes are unchanged by both rewritings, modulo record boundaries, for the
	// cleartext part: compare the concatenated handshake payloads before the first non-handshake record.
	prefix := func(chunks []Chunk, fromClient bool) []byte {
		var b []byte
		for _, c := range chunks {
			if c.FromClient != fromClient {
				continue
			}
			recs, _ := splitRecords(c.Data)
			for _, r := range recs {
				if r.typ != recHandshake {
					return b
				}
				b = append(b, r.body...)
			}
		}
		return b
	}
	for _, dir := range []bool{true, false} {
		if !bytes.Equal(prefix(tr.Chunks, dir), prefix(co, dir)) || !bytes.Equal(prefix(tr.Chunks, dir), prefix(sp, dir)) {
			t.Errorf("cleartext handshake bytes changed (client=%v)", dir)
		}
	}
}

func TestInterleaved(t *testing.T) {
	tr := mustRun(t, Config{MinVersion: tls.VersionTLS13, NoAppData: true})
	var buf bytes.Buffer
	c, err := NewCapture(&buf, DefaultStart)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := c.AddInterleaved([]*Transcript{tr, tr, tr}, Framing{})
	if err != nil {
		t.Fatal(err)
	}
	pkts := readBack(t, buf.Bytes())
	if len(pkts) != 3*recs[0].Packets {
		t.Fatalf("%d packets", len(pkts))
	}
	for i, r := range recs[1:] {
		if r.Client == recs[i].Client {
			t.Fatal("two connections share a client endpoint")
		}
	}
	// The first three packets are the three SYNs.
	for i := range 3 {
		if !pkts[i].tcp.SYN || pkts[i].tcp.ACK {
			t.Fatalf("packet %d is not a SYN", i)
		}
	}
}

func TestWriteMany(t *testing.T) {
	var buf bytes.Buffer
	n, err := WriteMany(&buf, nil, 25, 10, Framing{})
	if err != nil {
		t.Fatal(err)
	}
	pkts := readBack(t, buf.Bytes())
	if len(pkts) != n {
		t.Fatalf("read %d packets, WriteMany reported %d", len(pkts), n)
	}
	syns := map[string]bool{}
	for _, p := range pkts {
		if p.tcp.SYN && !p.tcp.ACK {
			syns[p.src+":"+p.tcp.SrcPort.String()] = true
		}
	}
	if len(syns) != 25 {
		t.Fatalf("%d distinct connections, want 25", len(syns))
	}
}
