package packet

import (
	"encoding/binary"
	"testing"
)

// wifi builds an 802.11 data frame (QoS when qos is set) carrying ip over LLC/SNAP.
func wifi(ip []byte, qos, protected, toFromDS bool) []byte {
	fc0 := byte(0x08) // type data, subtype 0
	if qos {
		fc0 = 0x88 // QoS data
	}
	var fc1 byte
	if protected {
		fc1 |= 0x40
	}
	if toFromDS {
		fc1 |= 0x03
	}
	h := append([]byte{fc0, fc1}, make([]byte, 22)...)
	if toFromDS {
		h = append(h, make([]byte, 6)...)
	}
	if qos {
		h = append(h, 0, 0)
	}
	h = append(h, 0xaa, 0xaa, 0x03, 0, 0, 0, 0x08, 0x00)
	return append(h, ip...)
}

func radiotapHdr(f []byte) []byte {
	h := []byte{0, 0, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0}
	return append(h, f...)
}

func nflogFrame(af byte, ip []byte) []byte {
	b := []byte{af, 0, 0, 0}
	tlv := func(typ uint16, v []byte) {
		var h [4]byte
		binary.LittleEndian.PutUint16(h[:], uint16(4+len(v)))
		binary.LittleEndian.PutUint16(h[2:], typ)
		b = append(b, h[:]...)
		b = append(b, v...)
		for len(b)%4 != 0 {
			b = append(b, 0)
		}
	}
	tlv(1, []byte{8, 0, 1, 0})    // packet header
	tlv(10, []byte("prefix\x00")) // prefix, padded
	tlv(9, ip)
	return b
}

// TestZeekRootLinkTypes: the link types of Zeek's root packet analyzer beyond Ethernet.
func TestZeekRootLinkTypes(t *testing.T) {
	ip := tcp4(t, "hello")
	fddiFrame := append(make([]byte, 21), ip...)
	cases := []struct {
		name  string
		lt    uint32
		frame []byte
		st    Status
		weird string
	}{
		{"802.11 data", LinkIEEE80211, wifi(ip, false, false, false), OK, ""},
		{"802.11 QoS 4-address", LinkIEEE80211, wifi(ip, true, false, true), OK, ""},
		{"802.11 protected QoS", LinkIEEE80211, wifi(ip, true, true, false), Skip, ""},
		{"802.11 management", LinkIEEE80211, append([]byte{0x80, 0}, make([]byte, 40)...), Skip, ""},
		{"802.11 truncated", LinkIEEE80211, []byte{0x08, 0, 1, 2}, Malformed, "truncated_802_11_header"},
		{"radiotap", LinkIEEE80211Radio, radiotapHdr(wifi(ip, true, false, false)), OK, ""},
		{"radiotap truncated", LinkIEEE80211Radio, []byte{0, 0, 200, 0, 1, 2}, Malformed, "truncated_radiotap_header"},
		{"nflog", LinkNFLOG, nflogFrame(2, ip), OK, ""},
		{"nflog other family", LinkNFLOG, nflogFrame(7, ip), Skip, ""},
		{"nflog version", LinkNFLOG, []byte{2, 1, 0, 0, 0, 0, 0, 0}, Malformed, "unknown_nflog_version"},
		{"nflog no payload", LinkNFLOG, []byte{2, 0, 0, 0, 8, 0, 1, 0, 0, 0, 0, 0}, Malformed, "nflog_no_pcap_payload"},
		{"nflog bad tlv", LinkNFLOG, []byte{2, 0, 0, 0, 2, 0, 1, 0, 0, 0, 0, 0}, Malformed, "nflog_bad_tlv_len"},
		{"fddi", LinkFDDI, fddiFrame, OK, ""},
		{"fddi truncated", LinkFDDI, make([]byte, 21), Malformed, "FDDI_analyzer_failed"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var p Packet
			st, err := NewDecoder(Config{}).DecodeLen(c.lt, 1, c.frame, len(c.frame), &p)
			if st != c.st {
				t.Fatalf("status %v (%v), want %v", st, err, c.st)
			}
			if st == OK && (string(p.Payload) != "hello" || p.DstPort != 443) {
				t.Fatalf("packet %+v", p)
			}
			if c.weird != "" {
				de, ok := err.(*DecodeError)
				if !ok || de.Weird != c.weird {
					t.Fatalf("error %v, want weird %s", err, c.weird)
				}
			}
		})
	}
	for _, lt := range []uint32{LinkIEEE80211, LinkIEEE80211Radio, LinkNFLOG, LinkFDDI, LinkRaw, LinkEthernet, LinkLoop} {
		if !KnownLinkType(lt) {
			t.Errorf("link type %d unknown", lt)
		}
	}
	if KnownLinkType(147) {
		t.Error("link type 147 (user-defined) known")
	}
}
