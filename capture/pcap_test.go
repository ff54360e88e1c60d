package capture

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

type gotFrame struct {
	ts      int64
	link    uint32
	data    string
	wireLen int
	num     uint64
}

// readAll reads every frame (copying the data) and returns the error that ended the read.
func readAll(t testing.TB, r Reader) ([]gotFrame, error) {
	t.Helper()
	var out []gotFrame
	var f Frame
	for {
		err := r.Next(&f)
		if err != nil {
			if err == io.EOF {
				return out, nil
			}
			return out, err
		}
		out = append(out, gotFrame{f.Ts, f.LinkType, string(f.Data), f.WireLen, f.Num})
		if len(out) > 1_000_000 {
			t.Fatal("runaway reader")
		}
	}
}

func openBytes(t testing.TB, b []byte) (Reader, error) {
	t.Helper()
	return NewReader("test.pcap", bytes.NewReader(b))
}

func TestPcapFormats(t *testing.T) {
	recs := []pcapRec{
		{sec: 1400000000, frac: 123456, data: []byte("abcd")},
		{sec: 1400000001, frac: 999999, data: []byte("efghij"), wireLen: 60},
	}
	nsRecs := []pcapRec{
		{sec: 1400000000, frac: 123456789, data: []byte("abcd")},
		{sec: 1400000001, frac: 999999999, data: []byte("efghij"), wireLen: 60},
	}
	want := []gotFrame{
		{1400000000123456, 1, "abcd", 4, 1},
		{1400000001999999, 1, "efghij", 60, 2},
	}
	cases := []struct {
		name string
		file []byte
	}{
		{"le-micro", pcapFile(binary.LittleEndian, 0xa1b2c3d4, 65535, 1, recs...)},
		{"be-micro", pcapFile(binary.BigEndian, 0xa1b2c3d4, 65535, 1, recs...)},
		{"le-nano", pcapFile(binary.LittleEndian, 0xa1b23c4d, 65535, 1, nsRecs...)},
		{"be-nano", pcapFile(binary.BigEndian, 0xa1b23c4d, 65535, 1, nsRecs...)},
		{"fcs-bits-in-linktype", pcapFile(binary.LittleEndian, 0xa1b2c3d4, 65535, 1|0x10000000|0x4000000<<1, recs...)},
		{"snaplen-zero", pcapFile(binary.LittleEndian, 0xa1b2c3d4, 0, 1, recs...)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, err := openBytes(t, c.file)
			if err != nil {
				t.Fatal(err)
			}
			got, err := readAll(t, r)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(want) {
				t.Fatalf("got %d frames, want %d", len(got), len(want))
			}
			for i := range want {
				if got[i] != want[i] {
					t.Errorf("frame %d: got %+v, want %+v", i, got[i], want[i])
				}
			}
			// A clean end stays a clean end.
			var f Frame
			if err := r.Next(&f); err != io.EOF {
				t.Errorf("after EOF: %v", err)
			}
		})
	}
}

func TestPcapNegativeAndSubsecondTime(t *testing.T) {
	file := pcapFile(binary.LittleEndian, 0xa1b2c3d4, 65535, 101, pcapRec{sec: 0xffffffff, frac: 500000, data: []byte{1}})
	r, err := openBytes(t, file)
	if err != nil {
		t.Fatal(err)
	}
	got, err := readAll(t, r)
	if err != nil || len(got) != 1 {
		t.Fatal(got, err)
	}
	if got[0].ts != -500000 || got[0].link != 101 {
		t.Errorf("got ts %d link %d, want -500000 101", got[0].ts, got[0].link)
	}
}

func TestPcapSnaplenCut(t *testing.T) {
	// A frame cut by the snaplen is fine: WireLen > len(Data).
	file := pcapFile(binary.LittleEndian, 0xa1b2c3d4, 4, 1, pcapRec{sec: 1, data: []byte("abcd"), wireLen: 1500})
	r, _ := openBytes(t, file)
	got, err := readAll(t, r)
	if err != nil || len(got) != 1 || got[0].wireLen != 1500 || got[0].data != "abcd" {
		t.Fatalf("got %+v, %v", got, err)
	}
}

func TestPcapCapLenAboveSnaplen(t *testing.T) {
	// Like libpcap: a record longer than the file's snaplen keeps the first snaplen bytes and the
	// rest is skipped; the following record is read normally.
	file := pcapFile(binary.LittleEndian, 0xa1b2c3d4, 4, 1,
		pcapRec{sec: 1, data: []byte("abcdefgh")}, pcapRec{sec: 2, data: []byte("xy")})
	r, _ := openBytes(t, file)
	got, err := readAll(t, r)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].data != "abcd" || got[0].wireLen != 8 || got[1].data != "xy" {
		t.Fatalf("got %+v", got)
	}
}

func TestPcapErrors(t *testing.T) {
	good := pcapFile(binary.LittleEndian, 0xa1b2c3d4, 65535, 1, pcapRec{sec: 1, data: []byte("abcdef")}, pcapRec{sec: 2, data: []byte("ghijkl")})
	huge := pcapFile(binary.LittleEndian, 0xa1b2c3d4, 65535, 1, pcapRec{sec: 1, data: []byte("ab")})
	binary.LittleEndian.PutUint32(huge[24+8:], 0x7fffffff)
	cases := []struct {
		name     string
		file     []byte
		openErr  bool
		frames   int
		packet   uint64
		sentinel error
	}{
		{"empty", nil, true, 0, 0, ErrTruncated},
		{"bad-magic", []byte("this is not a pcap file at all, no"), true, 0, 0, ErrBadMagic},
		{"short-file-header", good[:20], true, 0, 0, ErrTruncated},
		{"partial-record-header", good[:24+16+6+10], false, 1, 2, ErrTruncated},
		{"partial-record-body", good[:len(good)-1], false, 1, 2, ErrTruncated},
		{"absurd-caplen", huge, false, 0, 1, ErrCapLen},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, err := openBytes(t, c.file)
			if c.openErr {
				checkErr(t, err, 0, c.sentinel)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got, err := readAll(t, r)
			if len(got) != c.frames {
				t.Errorf("got %d frames before the error, want %d", len(got), c.frames)
			}
			checkErr(t, err, c.packet, c.sentinel)
			// The error is sticky.
			var f Frame
			if err2 := r.Next(&f); err2 != err {
				t.Errorf("second Next: %v, want the same error", err2)
			}
		})
	}
}

func checkErr(t *testing.T, err error, packet uint64, sentinel error) {
	t.Helper()
	var ce *Error
	if !errors.As(err, &ce) {
		t.Fatalf("error %v (%T) is not a *capture.Error", err, err)
	}
	if ce.Packet != packet {
		t.Errorf("error %q names packet %d, want %d", err, ce.Packet, packet)
	}
	if ce.File == "" {
		t.Errorf("error %q names no file", err)
	}
	if !errors.Is(err, sentinel) {
		t.Errorf("error %q is not %v", err, sentinel)
	}
}

func gz(t testing.TB, b []byte) []byte {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	_, _ = w.Write(b)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestOpenGzipAndFiles(t *testing.T) {
	dir := t.TempDir()
	plain := pcapFile(binary.LittleEndian, 0xa1b2c3d4, 65535, 1, pcapRec{sec: 7, data: []byte("hello")})
	ng := cat(ngSHB(binary.LittleEndian), ngIDB(binary.LittleEndian, 1, 0), ngEPB(binary.LittleEndian, 0, 7_000_000, 0, []byte("hello")))
	for name, content := range map[string][]byte{
		"a.pcap":      plain,
		"b.bin":       gz(t, plain), // gzip sniffed by magic, not by name
		"c.pcapng.gz": gz(t, ng),
		"d.pcap.gz":   ng, // name lies the other way
	} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, content, 0o644); err != nil {
			t.Fatal(err)
		}
		r, err := Open(p)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var f Frame
		if err := r.Next(&f); err != nil || string(f.Data) != "hello" || f.Ts != 7_000_000 || f.File != p {
			t.Errorf("%s: got %+v, %v", name, f, err)
		}
		if err := r.Next(&f); err != io.EOF {
			t.Errorf("%s: want EOF, got %v", name, err)
		}
		if err := r.Close(); err != nil {
			t.Errorf("%s: close: %v", name, err)
		}
	}
	_, err := Open(filepath.Join(dir, "missing.pcap"))
	var ce *Error
	if !errors.As(err, &ce) || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
	// A truncated gzip stream is a truncation error, not a panic.
	p := filepath.Join(dir, "trunc.gz")
	z := gz(t, plain)
	_ = os.WriteFile(p, z[:len(z)-12], 0o644)
	if r, err := Open(p); err == nil {
		_, err = readAll(t, r)
		if !errors.As(err, &ce) {
			t.Errorf("truncated gzip: %v", err)
		}
	}
}

func TestOpenStdin(t *testing.T) {
	plain := pcapFile(binary.LittleEndian, 0xa1b2c3d4, 65535, 1, pcapRec{sec: 7, data: []byte("hi")})
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	go func() { _, _ = pw.Write(gz(t, plain)); pw.Close() }()
	old := os.Stdin
	os.Stdin = pr
	defer func() { os.Stdin = old; pr.Close() }()
	r, err := Open("-")
	if err != nil {
		t.Fatal(err)
	}
	got, err := readAll(t, r)
	if err != nil || len(got) != 1 || got[0].data != "hi" {
		t.Fatalf("got %+v, %v", got, err)
	}
	var f Frame
	_ = r.Close()
	_ = r.Next(&f)
	if f.File != "" && f.File != "-" {
		t.Errorf("file name %q", f.File)
	}
}
