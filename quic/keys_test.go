package quic

import (
	"bytes"
	"encoding/hex"
	"strings"
	"testing"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// rfcDCID is the client's Destination Connection ID of RFC 9001 Appendix A and RFC 9369
// Appendix A.
const rfcDCID = "8394c8f03e515708"

// Keys of RFC 9001 A.1 (v1) and RFC 9369 A.1 (v2).
var keyVectors = []struct {
	name                    string
	version                 uint32
	clientSecret, serverSec string
	cKey, cIV, cHP          string
	sKey, sIV, sHP          string
}{
	{"v1", Version1,
		"c00cf151ca5be075ed0ebfb5c80323c42d6b7db67881289af4008f1f6c357aea",
		"3c199828fd139efd216c155ad844cc81fb82fa8d7446fa7d78be803acdda951b",
		"1f369613dd76d5467730efcbe3b1a22d", "fa044b2f42a3fd3b46fb255c", "9f50449e04a0e810283a1e9933adedd2",
		"cf3a5331653c364c88f0f379b6067e37", "0ac1493ca1905853b0bba03e", "c206b8d9b9f0f37644430b490eeaa314"},
	{"v2", Version2,
		"14ec9d6eb9fd7af83bf5a668bc17a7e283766aade7ecd0891f70f9ff7f4bf47b",
		"0263db1782731bf4588e7e4d93b7463907cb8cd8200b5da55a8bd488eafc37c1",
		"8b1a0bc121284290a29e0971b5cd045d", "91f73e2351d8fa91660e909f", "45b95e15235d6f45a6b19cbcb0294ba9",
		"82db637861d55e1d011f19ea71d5d2a7", "dd13c276499c0249d3310652", "edf6d05c83121201b436e16877593c3a"},
}

func TestInitialKeysRFC(t *testing.T) {
	dcid := unhex(t, rfcDCID)
	for _, v := range keyVectors {
		for _, client := range []bool{true, false} {
			sec, err := InitialSecret(v.version, dcid, client)
			if err != nil {
				t.Fatal(err)
			}
			k, err := InitialKeys(v.version, dcid, client)
			if err != nil {
				t.Fatal(err)
			}
			want := []string{v.serverSec, v.sKey, v.sIV, v.sHP}
			if client {
				want = []string{v.clientSecret, v.cKey, v.cIV, v.cHP}
			}
			got := []string{hex.EncodeToString(sec), hex.EncodeToString(k.Key[:]), hex.EncodeToString(k.IV[:]), hex.EncodeToString(k.HP[:])}
			for i := range want {
				if got[i] != want[i] {
					t.Errorf("%s client=%v field %d: got %s want %s", v.name, client, i, got[i], want[i])
				}
			}
		}
	}
}

func TestInitialKeysUnknownVersion(t *testing.T) {
	if _, err := InitialKeys(0x0a0a0a0a, []byte{1, 2, 3}, true); err == nil {
		t.Fatal("keys derived for a version without a salt")
	}
}

// The server Initial of RFC 9001 A.3 (v1) and RFC 9369 A.3 (v2): an ACK and a CRYPTO
// frame holding the ServerHello.
var serverInitials = []struct {
	version      uint32
	packet, head string
}{
	{Version1, `cf000000010008f067a5502a4262b5004075c0d95a482cd0991cd25b0aac406a
		5816b6394100f37a1c69797554780bb38cc5a99f5ede4cf73c3ec2493a1839b3
		dbcba3f6ea46c5b7684df3548e7ddeb9c3bf9c73cc3f3bded74b562bfb19fb84
		022f8ef4cdd93795d77d06edbb7aaf2f58891850abbdca3d20398c276456cbc4
		2158407dd074ee`, "c1000000010008f067a5502a4262b50040750001"},
	{Version2, `dc6b3343cf0008f067a5502a4262b5004075d92faaf16f05d8a4398c47089698
		baeea26b91eb761d9b89237bbf87263017915358230035f7fd3945d88965cf17
		f9af6e16886c61bfc703106fbaf3cb4cfa52382dd16a393e42757507698075b2
		c984c707f0a0812d8cd5a6881eaf21ceda98f4bd23f6fe1a3e2c43edd9ce7ca8
		4bed8521e2e140`, "d16b3343cf0008f067a5502a4262b50040750001"},
}

const serverPayload = `02000000000600405a020000560303eefce7f7b37ba1d1632e96677825ddf739
	88cfc79825df566dc5430b9a045a1200130100002e00330024001d00209d3c94
	0d89690b84d08a60993c144eca684d1081287c834d5311bcf32bb9da1a002b00
	020304`

func TestOpenServerInitialRFC(t *testing.T) {
	dcid := unhex(t, rfcDCID)
	for _, v := range serverInitials {
		pkt := unhex(t, v.packet)
		h, err := parseLong(pkt)
		if err != nil {
			t.Fatal(err)
		}
		if h.ptype != typeInitial || h.size != len(pkt) || h.version != v.version {
			t.Fatalf("header: %+v", h)
		}
		k, err := InitialKeys(v.version, dcid, false)
		if err != nil {
			t.Fatal(err)
		}
		o, err := NewOpener(k)
		if err != nil {
			t.Fatal(err)
		}
		plain, hdr, err := o.Open(nil, nil, pkt, h.pnOffset, h.length)
		if err != nil {
			t.Fatalf("%x: %v", v.version, err)
		}
		if want := unhex(t, v.head); !bytes.Equal(hdr, want) {
			t.Errorf("%x header %x want %x", v.version, hdr, want)
		}
		if want := unhex(t, serverPayload); !bytes.Equal(plain, want) {
			t.Errorf("%x payload %x want %x", v.version, plain, want)
		}
		// The client's keys must not open the server's packet.
		kc, _ := InitialKeys(v.version, dcid, true)
		oc, _ := NewOpener(kc)
		if _, _, err := oc.Open(nil, nil, pkt, h.pnOffset, h.length); err == nil {
			t.Errorf("%x: opened with the wrong direction's keys", v.version)
		}
		// A flipped bit in the ciphertext fails authentication.
		bad := bytes.Clone(pkt)
		bad[len(bad)-20] ^= 1
		if _, _, err := o.Open(nil, nil, bad, h.pnOffset, h.length); err == nil {
			t.Errorf("%x: forged packet opened", v.version)
		}
	}
}

func TestOpenClientInitialRFC(t *testing.T) {
	pkt := readTestdata(t, "rfc9001-client-initial.hex")
	h, err := parseLong(pkt)
	if err != nil {
		t.Fatal(err)
	}
	k, err := InitialKeys(Version1, h.dcid, true)
	if err != nil {
		t.Fatal(err)
	}
	o, _ := NewOpener(k)
	plain, hdr, err := o.Open(nil, nil, pkt, h.pnOffset, h.length)
	if err != nil {
		t.Fatal(err)
	}
	if want := unhex(t, "c300000001088394c8f03e5157080000449e00000002"); !bytes.Equal(hdr, want) {
		t.Errorf("header %x want %x", hdr, want)
	}
	if len(plain) != 1162 {
		t.Fatalf("plaintext %d bytes, want 1162", len(plain))
	}
	var crypto []byte
	if err := parseFrames(plain, typeInitial, cryptoFunc(func(off uint64, b []byte) error {
		if off != 0 {
			t.Errorf("CRYPTO offset %d", off)
		}
		crypto = append(crypto, b...)
		return nil
	})); err != nil {
		t.Fatal(err)
	}
	// A ClientHello (type 1) of 0xed bytes, TLS 1.2 legacy version.
	if len(crypto) != 0xf1 || crypto[0] != 1 || crypto[3] != 0xed || crypto[4] != 3 || crypto[5] != 3 {
		t.Fatalf("CRYPTO data %x", crypto[:min(8, len(crypto))])
	}
}
