package dtls

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tlsmon/tlsmon/internal/corpus"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/tlsmon/tlsmon"
	"github.com/tlsmon/tlsmon/analyzer"
)

// conformanceDir locates the conformance corpus (see internal/corpus).
func conformanceDir(t *testing.T) string { return corpus.Dir(t) }

// udpCaptures lists the captures of kind udp in INDEX.tsv.
func udpCaptures(t *testing.T, dir string) (names, files []string) {
	for _, c := range corpus.Index(t, dir, "udp") {
		names, files = append(names, c.Name), append(files, c.File)
	}
	if len(names) == 0 {
		t.Fatal("no udp capture in INDEX.tsv")
	}
	return names, files
}

// datagram is one UDP payload of a capture.
type datagram struct {
	ts       int64
	src, dst netip.AddrPort
	payload  []byte
}

func readDatagrams(t *testing.T, path string) []datagram {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var r io.Reader = f
	if strings.HasSuffix(path, ".gz") {
		gz, err := gzip.NewReader(f)
		if err != nil {
			t.Fatal(err)
		}
		r = gz
	}
	raw, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	var out []datagram
	for _, fr := range readPcap(t, raw) {
		p := gopacket.NewPacket(fr.data, fr.link, gopacket.DecodeOptions{Lazy: true, NoCopy: true})
		u, _ := p.Layer(layers.LayerTypeUDP).(*layers.UDP)
		if u == nil {
			continue
		}
		var src, dst netip.Addr
		if ip4, ok := p.Layer(layers.LayerTypeIPv4).(*layers.IPv4); ok {
			src, _ = netip.AddrFromSlice(ip4.SrcIP.To4())
			dst, _ = netip.AddrFromSlice(ip4.DstIP.To4())
		} else if ip6, ok := p.Layer(layers.LayerTypeIPv6).(*layers.IPv6); ok {
			src, _ = netip.AddrFromSlice(ip6.SrcIP)
			dst, _ = netip.AddrFromSlice(ip6.DstIP)
		} else {
			continue
		}
		out = append(out, datagram{
			ts:      fr.ts,
			src:     netip.AddrPortFrom(src, uint16(u.SrcPort)),
			dst:     netip.AddrPortFrom(dst, uint16(u.DstPort)),
			payload: append([]byte(nil), u.Payload...),
		})
	}
	return out
}

// expectedOrientation returns the originator endpoint of each connection Zeek reported.
func expectedOrientation(t *testing.T, path string) map[[2]netip.AddrPort]bool {
	t.Helper()
	out := map[[2]netip.AddrPort]bool{}
	b, err := os.ReadFile(path)
	if err != nil {
		return out
	}
	for _, line := range bytes.Split(b, []byte("\n")) {
		var rec struct {
			ID struct {
				OrigH string `json:"orig_h"`
				OrigP uint16 `json:"orig_p"`
				RespH string `json:"resp_h"`
				RespP uint16 `json:"resp_p"`
			} `json:"id"`
		}
		if len(line) == 0 || json.Unmarshal(line, &rec) != nil {
			continue
		}
		o := netip.AddrPortFrom(netip.MustParseAddr(rec.ID.OrigH), rec.ID.OrigP)
		r := netip.AddrPortFrom(netip.MustParseAddr(rec.ID.RespH), rec.ID.RespP)
		out[[2]netip.AddrPort{o, r}] = true
	}
	return out
}

type flow struct {
	conn *tlsmon.Conn
	an   analyzer.Analyzer
	done bool
}

// runCapture feeds a capture's datagrams to DTLS analyzers attached as Zeek would (port or
// signature) and returns the canonical lines of the SSL events.
func runCapture(t *testing.T, dgs []datagram, orient map[[2]netip.AddrPort]bool, analyzeEncrypted bool) []string {
	t.Helper()
	spec := Spec()
	flows := map[[2]netip.AddrPort]*flow{}
	var lines []string
	var buf []byte
	handler := tlsmon.HandlerFunc(func(e tlsmon.Event) {
		if se, ok := e.(tlsmon.SSLEvent); ok {
			buf = tlsmon.AppendCanonical(buf[:0], se)
			lines = append(lines, string(buf))
		}
	})
	for _, d := range dgs {
		key, isOrig := [2]netip.AddrPort{d.src, d.dst}, true
		f := flows[key]
		if f == nil {
			if g := flows[[2]netip.AddrPort{d.dst, d.src}]; g != nil {
				f, key, isOrig = g, [2]netip.AddrPort{d.dst, d.src}, false
			}
		}
		if f == nil {
			if orient[[2]netip.AddrPort{d.dst, d.src}] {
				key, isOrig = [2]netip.AddrPort{d.dst, d.src}, false
			}
			f = &flow{conn: &tlsmon.Conn{UID: "C", StartTs: d.ts, ID: tlsmon.ConnID{
				OrigH: key[0].Addr(), OrigP: key[0].Port(), RespH: key[1].Addr(), RespP: key[1].Port(), Proto: tlsmon.ProtoUDP}}}
			flows[key] = f
		}
		if f.done {
			continue
		}
		if f.an == nil {
			onPort := false
			for _, p := range spec.UDPPorts {
				onPort = onPort || p == key[1].Port()
			}
			if !onPort && !spec.Match(isOrig, d.payload) {
				continue
			}
			env := &analyzer.Env{Conn: f.conn, Events: handler, Options: analyzer.Options{AnalyzeEncrypted: analyzeEncrypted}}
			env.Detach = func() { f.done = true }
			f.an = spec.New(env)
		}
		f.an.DeliverPacket(d.ts, isOrig, d.payload)
	}
	for _, f := range flows {
		if f.an != nil && !f.done {
			f.an.Done(dgs[len(dgs)-1].ts)
		}
	}
	return lines
}

func readLines(t *testing.T, path string) []string { return corpus.Lines(t, path) }

// byConn groups canonical lines by their "id" object, keeping their order.
func byConn(lines []string) map[string][]string {
	out := map[string][]string{}
	for _, l := range lines {
		i := strings.Index(l, `"id":`)
		j := strings.Index(l, `,"args"`)
		k := l[i:j]
		out[k] = append(out[k], l)
	}
	return out
}

// TestCorpusEvents runs the udp captures of the conformance corpus through the DTLS
// analyzer (with the ssl handshake layer) and compares every SSL event line, in order per
// connection, with what Zeek wrote, in both analysis modes.
func TestCorpusEvents(t *testing.T) {
	dir := conformanceDir(t)
	names, files := udpCaptures(t, dir)
	for i, name := range names {
		for _, mode := range []struct {
			file    string
			encrypt bool
		}{{"events.jsonl", true}, {"events-default.jsonl", false}} {
			t.Run(name+"/"+mode.file, func(t *testing.T) {
				expPath := filepath.Join(dir, "expected", name, mode.file)
				dgs := readDatagrams(t, filepath.Join(dir, "pcaps", files[i]))
				got := byConn(runCapture(t, dgs, expectedOrientation(t, expPath), mode.encrypt))
				wantLines := readLines(t, expPath)
				if len(wantLines) == 0 {
					t.Fatalf("%s has no events", expPath)
				}
				want := byConn(wantLines)
				for id, w := range want {
					g := got[id]
					for k := 0; k < len(w) || k < len(g); k++ {
						var gl, wl string
						if k < len(g) {
							gl = g[k]
						}
						if k < len(w) {
							wl = w[k]
						}
						if gl != wl {
							t.Fatalf("connection %s, event %d:\n got %.300s\nwant %.300s", id, k, gl, wl)
						}
					}
				}
				for id, g := range got {
					if _, ok := want[id]; !ok {
						t.Errorf("events on a connection Zeek reported nothing for: %s (%d)", id, len(g))
					}
				}
			})
		}
	}
}

// TestCorpusRecordsParse checks that the record layer splits every DTLS datagram of the
// udp captures into well-formed records: DTLS 1.0/1.2 records chained to the datagram's
// end, and DTLS 1.3 unified records whose length fields (when present) do the same.
func TestCorpusRecordsParse(t *testing.T) {
	dir := conformanceDir(t)
	names, files := udpCaptures(t, dir)
	var records, unified, hsFrags int
	for i, name := range names {
		for _, d := range readDatagrams(t, filepath.Join(dir, "pcaps", files[i])) {
			b := d.payload
			if IsSTUN(b) || len(b) == 0 {
				continue
			}
			for len(b) > 0 {
				if IsUnifiedHeader(b[0]) {
					unified++
					if b[0]&unifiedCID != 0 {
						break // the connection id length is not in the record
					}
					_, _, err := ParseUnifiedHeader(b, 0)
					if err != nil {
						t.Fatalf("%s: unified record at %d: %v", name, d.ts, err)
					}
					h, _, _ := ParseUnifiedHeader(b, 0)
					b = b[h.HeaderLen+h.Length:]
					continue
				}
				h, body, rest, err := SplitRecord(b)
				if err != nil {
					t.Fatalf("%s: record at %d: %v", name, d.ts, err)
				}
				if h.Version != VersionDTLS10 && h.Version != VersionDTLS12 {
					t.Fatalf("%s: record at %d has version %#x", name, d.ts, h.Version)
				}
				records++
				if h.ContentType == ContentHandshake && h.Epoch == 0 {
					hh, data, err := ParseHandshakeHeader(body)
					if err != nil || uint32(len(data)) != hh.FragmentLength || hh.FragmentOffset+hh.FragmentLength > hh.Length {
						t.Fatalf("%s: handshake fragment at %d: %+v (%d bytes) %v", name, d.ts, hh, len(data), err)
					}
					hsFrags++
				}
				b = rest
			}
		}
	}
	t.Logf("%d records (%d handshake fragments), %d unified records", records, hsFrags, unified)
	if records == 0 || unified == 0 || hsFrags == 0 {
		t.Fatal("corpus without DTLS 1.0/1.2 or unified records")
	}
}

// TestCorpusClientHellosMatch checks the signature against the corpus: the first DTLS
// datagram of every connection is a client hello and matches it; datagrams that do not
// carry a client hello (server flights, encrypted records, STUN) never match.
func TestCorpusClientHellosMatch(t *testing.T) {
	dir := conformanceDir(t)
	names, files := udpCaptures(t, dir)
	matched := 0
	for i, name := range names {
		seen := map[[2]netip.AddrPort]bool{}
		for _, d := range readDatagrams(t, filepath.Join(dir, "pcaps", files[i])) {
			b := d.payload
			got := Match(true, b)
			if IsSTUN(b) {
				if got {
					t.Fatalf("%s: STUN datagram matches the DTLS signature", name)
				}
				continue
			}
			isCH := len(b) > 13 && b[0] == ContentHandshake && b[13] == 1
			if got && !isCH {
				t.Fatalf("%s: datagram at %d matches without a client hello", name, d.ts)
			}
			key := [2]netip.AddrPort{d.src, d.dst}
			if !seen[key] && !seen[[2]netip.AddrPort{d.dst, d.src}] {
				seen[key] = true
				if !got {
					t.Fatalf("%s: first datagram at %d does not match", name, d.ts)
				}
				matched++
			}
		}
	}
	if matched == 0 {
		t.Fatal("no client hello in the corpus")
	}
}
