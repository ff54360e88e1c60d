package packet

import (
	"bytes"
	"testing"
)

// FuzzTunnel runs every tunnel parser on arbitrary bytes and decodes what they forward: no
// panic, and the inner frame always lies inside the input.
func FuzzTunnel(f *testing.F) {
	e := innerEth(f)
	ip := innerTCP4(f)
	f.Add(cat([]byte{0x08, 0, 0, 0, 0, 0, 42, 0}, e))
	f.Add(cat([]byte{0x02, 0, 0x65, 0x58, 0, 0, 7, 0, 1, 2, 3, 1, 1, 2, 3, 4}, e))
	f.Add(cat([]byte{0x34, 0xff, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0x85, 1, 0x10, 0x20, 0}, innerTCP6(f)))
	f.Add(cat([]byte{0, 1, 2, 1, 'i', 'd', 'a', 1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 1, 2, 3, 4, 5, 6}, innerTCP6(f)))
	f.Add(cat([]byte{0x30, 0x01, 0x88, 0x0b, 0, 0, 0, 0, 0, 0, 0, 1, 0xff, 0x03, 0x00, 0x21}, ip))
	f.Add(cat([]byte{0x10, 0x52, 0x11, 4, 0, 0, 0, 0, 0xaa, 0xbb}, make([]byte, 20), ip))
	d := NewDecoder(Config{MaxFragmentBytes: 1 << 16})
	var p Packet
	f.Fuzz(func(t *testing.T, b []byte) {
		UDPTunnelDetect(b)
		for _, fn := range []func([]byte) Inner{VXLAN, Geneve, GTPv1, AYIYA, Teredo, GRE} {
			in := fn(b)
			if in.Data == nil {
				continue
			}
			if len(in.Data) > len(b) || !bytes.Equal(b[len(b)-len(in.Data):], in.Data) {
				t.Fatalf("inner is not a suffix of the input")
			}
			d.Decode(in.LinkType, 1, in.Data, &p)
		}
	})
}
