package packet

import (
	"bufio"
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/tlsmon/tlsmon/capture"
)

const benchFrames = 100_000

// writeBenchPcap writes an Ethernet pcap of TCP frames (600-byte payloads, ~ 67 MB).
func writeBenchPcap(b *testing.B) string {
	frame := serialize(b, eth(layers.EthernetTypeIPv4), gopacket.Payload(tcp4(b, string(make([]byte, 600)))))
	p := filepath.Join(b.TempDir(), "bench.pcap")
	f, err := os.Create(p)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	le := binary.LittleEndian
	h := make([]byte, 24)
	le.PutUint32(h, 0xa1b2c3d4)
	le.PutUint16(h[4:], 2)
	le.PutUint16(h[6:], 4)
	le.PutUint32(h[16:], 65535)
	le.PutUint32(h[20:], 1)
	_, _ = w.Write(h)
	rh := make([]byte, 16)
	for i := range benchFrames {
		le.PutUint32(rh, uint32(1400000000+i/1000))
		le.PutUint32(rh[4:], uint32(i%1000)*1000)
		le.PutUint32(rh[8:], uint32(len(frame)))
		le.PutUint32(rh[12:], uint32(len(frame)))
		_, _ = w.Write(rh)
		_, _ = w.Write(frame)
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	f.Close()
	return p
}

func BenchmarkReadDecode(b *testing.B) {
	path := writeBenchPcap(b)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		r, err := capture.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		d := NewDecoder(Config{})
		var f capture.Frame
		var p Packet
		n := 0
		for r.Next(&f) == nil {
			if st, _ := d.DecodeLen(f.LinkType, f.Ts, f.Data, f.WireLen, &p); st == OK {
				n++
			}
		}
		_ = r.Close()
		if n != benchFrames {
			b.Fatalf("decoded %d", n)
		}
	}
	b.ReportMetric(float64(b.N*benchFrames)/b.Elapsed().Seconds(), "packets/s")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*benchFrames), "ns/packet")
}

func BenchmarkDecode(b *testing.B) {
	frame := serialize(b, eth(layers.EthernetTypeIPv4), gopacket.Payload(tcp4(b, string(make([]byte, 600)))))
	d := NewDecoder(Config{})
	var p Packet
	b.ReportAllocs()
	for range b.N {
		_, _ = d.Decode(1, 1, frame, &p)
	}
}
