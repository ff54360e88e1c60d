package quic

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/tlsmon/tlsmon/capture"
	"github.com/tlsmon/tlsmon/internal/corpus"
	"github.com/tlsmon/tlsmon/packet"
)

// The seed corpora of FuzzDeliverPacket and FuzzDecrypted (testdata/fuzz/) include inputs
// cut from the real QUIC captures of the conformance corpus: the first datagrams of each
// capture's first QUIC connection (protected, as captured) and the decrypted payloads of
// their Initial packets. Regenerate them with
//
//	TLSMON_WRITE_QUIC_SEEDS=1 go test -run '^TestWriteQUICSeeds$' ./quic
const writeSeedsEnv = "TLSMON_WRITE_QUIC_SEEDS"

// Seed size limits: enough datagrams to carry the client's and the server's Initials.
const (
	seedMaxDatagrams = 6
	seedMaxPayloads  = 8
)

type seedDatagram struct {
	isOrig bool
	data   []byte
}

// connDatagrams returns the UDP datagrams of the first QUIC connection of a capture (the
// first datagram starting with a long header opens it; its sender is the originator), in
// capture order, up to and including the responder's first Initial and at most
// seedMaxDatagrams. Datagrams without a long header packet are left out.
func connDatagrams(t *testing.T, path string) []seedDatagram {
	r, err := capture.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	dec := packet.NewDecoder(packet.Config{})
	var (
		f     capture.Frame
		p     packet.Packet
		out   []seedDatagram
		found bool
		cs    [16]byte
		cp    uint16
	)
	for len(out) < seedMaxDatagrams {
		if err := r.Next(&f); err != nil {
			if !errors.Is(err, io.EOF) {
				t.Fatal(err)
			}
			break
		}
		if st, _ := dec.DecodeLen(f.LinkType, f.Ts, f.Data, f.WireLen, &p); st != packet.OK || p.Proto != 17 {
			continue
		}
		if len(p.Payload) == 0 || p.Payload[0]&0xc0 != 0xc0 {
			continue
		}
		if !found {
			if _, err := parseLong(p.Payload); err != nil {
				continue
			}
			found, cs, cp = true, p.Src, p.SrcPort
		}
		isOrig := p.Src == cs && p.SrcPort == cp
		if !isOrig && !(p.Dst == cs && p.DstPort == cp) {
			continue
		}
		out = append(out, seedDatagram{isOrig, bytes.Clone(p.Payload)})
		if h, err := parseLong(p.Payload); !isOrig && err == nil && h.ptype == typeInitial {
			break
		}
	}
	return out
}

// decryptInitials opens the Initial packets of the datagrams as the analyzer does (keys
// from the Destination Connection ID of the client's first Initial; a Retry starts over)
// and returns their plaintext payloads, trailing PADDING left out.
func decryptInitials(ds []seedDatagram) []seedDatagram {
	var (
		dcid []byte
		out  []seedDatagram
	)
	for _, d := range ds {
		b := d.data
		for len(b) > 0 && b[0]&0xc0 == 0xc0 && len(out) < seedMaxPayloads {
			h, err := parseLong(b)
			if err != nil {
				break
			}
			pkt := b[:h.size]
			b = b[h.size:]
			if h.ptype == typeRetry {
				dcid = nil
				continue
			}
			if h.ptype != typeInitial {
				continue
			}
			if d.isOrig && dcid == nil {
				dcid = bytes.Clone(h.dcid)
			}
			if dcid == nil {
				continue
			}
			k, err := InitialKeys(h.version, dcid, d.isOrig)
			if err != nil {
				continue
			}
			o, err := NewOpener(k)
			if err != nil {
				continue
			}
			plain, _, err := o.Open(nil, nil, pkt, h.pnOffset, h.length)
			if err != nil {
				continue
			}
			out = append(out, seedDatagram{d.isOrig, bytes.TrimRight(plain, "\x00")})
		}
	}
	return out
}

// framed encodes datagrams (or payloads) as the fuzz targets read them (splitDatagrams).
func framed(ds []seedDatagram) []byte {
	var out []byte
	for _, d := range ds {
		hi := byte(len(d.data) >> 8)
		if !d.isOrig {
			hi |= 0x80
		}
		out = append(out, hi, byte(len(d.data)))
		out = append(out, d.data...)
	}
	return out
}

// writeSeed writes a []byte input in the format of Go's fuzzing corpus files, named
// after the capture; an input already present under another name is not written again.
func writeSeed(t *testing.T, target, name string, in []byte, seen map[[32]byte]bool) {
	h := sha256.Sum256(in)
	if seen[h] || len(in) == 0 {
		return
	}
	seen[h] = true
	dir := filepath.Join("testdata", "fuzz", target)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	body := fmt.Sprintf("go test fuzz v1\n[]byte(%s)\n", strconv.Quote(string(in)))
	if err := os.WriteFile(filepath.Join(dir, "corpus-"+name), []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestWriteQUICSeeds(t *testing.T) {
	if os.Getenv(writeSeedsEnv) == "" {
		t.Skipf("set %s=1 to regenerate the QUIC seed corpora from the conformance captures", writeSeedsEnv)
	}
	dir := corpus.Dir(t)
	seenP, seenD := map[[32]byte]bool{}, map[[32]byte]bool{}
	for _, c := range corpus.Index(t, dir, "quic") {
		ds := connDatagrams(t, filepath.Join(dir, "pcaps", c.File))
		plain := decryptInitials(ds)
		if len(plain) == 0 {
			t.Errorf("%s: no Initial decrypted", c.Name)
		}
		writeSeed(t, "FuzzDeliverPacket", c.Name, framed(ds), seenP)
		writeSeed(t, "FuzzDecrypted", c.Name, framed(plain), seenD)
		t.Logf("%s: %d datagrams, %d Initial payloads", c.Name, len(ds), len(plain))
	}
}
