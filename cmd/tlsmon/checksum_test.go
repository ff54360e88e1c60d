package main

import (
	"encoding/binary"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// corruptSample returns a copy of testdata/sample.pcap (Ethernet, IPv4, right checksums)
// with the TCP checksum of the first data packet of port 40000 and the IP header checksum
// of the first packet of port 40001 damaged.
func corruptSample(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "sample.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	if binary.LittleEndian.Uint32(b) != 0xa1b2c3d4 || binary.LittleEndian.Uint32(b[20:]) != 1 {
		t.Fatal("sample.pcap is not a little-endian Ethernet pcap")
	}
	var tcpDone, ipDone bool
	for off := 24; off+16 <= len(b) && !(tcpDone && ipDone); {
		n := int(binary.LittleEndian.Uint32(b[off+8:]))
		f := b[off+16 : off+16+n]
		off += 16 + n
		if binary.BigEndian.Uint16(f[12:]) != 0x0800 || f[14+9] != 6 {
			continue
		}
		ip := f[14:]
		hl := int(ip[0]&15) * 4
		tcp := ip[hl:]
		sport := binary.BigEndian.Uint16(tcp)
		payload := int(binary.BigEndian.Uint16(ip[2:])) - hl - int(tcp[12]>>4)*4
		switch {
		case sport == 40000 && payload > 0 && !tcpDone:
			tcp[16] ^= 0x5a
			tcpDone = true
		case sport == 40001 && !ipDone:
			ip[10] ^= 0x5a
			ipDone = true
		}
	}
	if !tcpDone || !ipDone {
		t.Fatal("sample.pcap lacks the packets to damage")
	}
	p := filepath.Join(t.TempDir(), "bad-checksums.pcap")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// By default checksums are not verified (zeek -C): the damaged capture gives the logs of
// the sound one. With --verify-checksums the damaged packets are dropped with Zeek's weirds.
func TestVerifyChecksums(t *testing.T) {
	sample := filepath.Join("..", "..", "testdata", "sample.pcap")
	bad := corruptSample(t)
	run := func(in string, extra ...string) map[string]string {
		t.Helper()
		out := t.TempDir()
		args := append([]string{"-r", in, "-o", out, "--json", "--no-progress"}, extra...)
		if code, _, stderr := runCLI(t, args...); code != exitOK {
			t.Fatalf("%v: exit %d %s", args, code, stderr)
		}
		m := map[string]string{}
		for _, name := range outputNames() {
			if b, err := os.ReadFile(filepath.Join(out, name)); err == nil {
				m[name] = string(b)
			}
		}
		return m
	}
	good, lax := run(sample), run(bad)
	if !sameLogs(good, lax) {
		t.Error("without --verify-checksums, damaged checksums changed the logs")
	}
	if !sameLogs(good, run(sample, "--verify-checksums")) {
		t.Error("--verify-checksums changed the logs of a capture with right checksums")
	}
	strict := run(bad, "--verify-checksums")
	w := strict["weird.log"]
	if !strings.Contains(w, `"name":"bad_TCP_checksum"`) || !strings.Contains(w, `"name":"bad_IP_checksum","notice":false,"peer":"zeek","source":"IP"`) {
		t.Errorf("weird.log lacks the checksum weirds:\n%s", w)
	}
	found := false
	for _, line := range strings.Split(strings.TrimSpace(strict["conn.log"]), "\n") {
		var row struct {
			OrigP   int    `json:"id.orig_p"`
			History string `json:"history"`
		}
		if err := json.Unmarshal([]byte(line), &row); err != nil {
			t.Fatal(err)
		}
		if row.OrigP == 40000 {
			found = true
			if !strings.Contains(row.History, "C") {
				t.Errorf("conn.log: the connection with a bad TCP checksum has history %q, without C", row.History)
			}
		}
	}
	if !found {
		t.Error("conn.log lacks the connection from port 40000")
	}
	if strict["conn.log"] == good["conn.log"] {
		t.Error("--verify-checksums dropped nothing")
	}
}
