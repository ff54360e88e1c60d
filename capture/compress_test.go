package capture

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"
)

func frames(t *testing.T, r Reader) []gotFrame {
	t.Helper()
	got, err := readAll(t, r)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// Every compressed form of a capture, recognized by its magic number, yields the frames of
// the plain one.
func TestCompressedFormats(t *testing.T) {
	var recs []pcapRec
	for i := range 300 {
		recs = append(recs, pcapRec{sec: uint32(1_700_000_000 + i), frac: uint32(i), data: bytes.Repeat([]byte{byte(i)}, 60+i%200)})
	}
	plain := pcapFile(binary.LittleEndian, 0xa1b2c3d4, 65535, 1, recs...)
	want := frames(t, mustReader(t, "plain", plain))
	if len(want) != len(recs) {
		t.Fatalf("plain: %d frames, want %d", len(want), len(recs))
	}
	compress := map[string]func(w io.Writer) io.WriteCloser{
		"gzip": func(w io.Writer) io.WriteCloser { return gzip.NewWriter(w) },
		"zstd": func(w io.Writer) io.WriteCloser {
			z, err := zstd.NewWriter(w)
			if err != nil {
				t.Fatal(err)
			}
			return z
		},
		"xz": func(w io.Writer) io.WriteCloser {
			x, err := xz.NewWriter(w)
			if err != nil {
				t.Fatal(err)
			}
			return x
		},
	}
	for name, mk := range compress {
		var buf bytes.Buffer
		w := mk(&buf)
		w.Write(plain)
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		got := frames(t, mustReader(t, name, buf.Bytes()))
		if !sameFrames(got, want) {
			t.Errorf("%s: frames differ from the plain capture's", name)
		}
		// A cut stream is an error naming the file, never a silent end.
		r, err := NewReader(name+"-cut", bytes.NewReader(buf.Bytes()[:buf.Len()*2/3]))
		if err == nil {
			_, err = readAll(t, r)
		}
		if err == nil {
			t.Errorf("%s: a cut compressed stream ends without an error", name)
		}
	}
	// bzip2 has no writer in the standard library: the committed sample capture's copies
	// (made with the bzip2, xz and zstd tools) are compared with it.
	sample, err := os.ReadFile(filepath.Join("..", "testdata", "sample.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	want = frames(t, mustReader(t, "sample", sample))
	for _, ext := range []string{".bz2", ".xz", ".zst"} {
		r, err := Open(filepath.Join("..", "testdata", "sample.pcap"+ext))
		if err != nil {
			t.Fatal(err)
		}
		if got := frames(t, r); !sameFrames(got, want) {
			t.Errorf("sample.pcap%s: frames differ from sample.pcap's", ext)
		}
		r.Close()
	}
}

func mustReader(t *testing.T, name string, b []byte) Reader {
	t.Helper()
	r, err := NewReader(name, bytes.NewReader(b))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return r
}

func sameFrames(a, b []gotFrame) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	_, err := Open(dir)
	if !errors.Is(err, ErrIsDir) {
		t.Errorf("Open(directory) = %v, want ErrIsDir", err)
	}
	for _, c := range []struct {
		name string
		data []byte
		want error
	}{
		{"empty", nil, ErrTruncated},
		{"bad-magic", []byte("hello world, not a capture"), ErrBadMagic},
		{"gzip-of-nothing", gzipOf(nil), ErrTruncated},
	} {
		_, err := NewReader(c.name, bytes.NewReader(c.data))
		if !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
}

func gzipOf(b []byte) []byte {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

// An xz stream whose block asks for a dictionary above the limit is refused before the
// decoder allocates it; one within it is read.
func TestXzDictionaryLimit(t *testing.T) {
	plain := pcapFile(binary.LittleEndian, 0xa1b2c3d4, 65535, 1, pcapRec{sec: 1, data: []byte("frame")})
	var buf bytes.Buffer
	w, err := xz.WriterConfig{DictCap: 8 << 20}.NewWriter(&buf)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(plain)
	w.Close()
	b := buf.Bytes()
	// The first block header: size byte at 12, flags, then the filter flags (LZMA2: id 0x21,
	// property size 1, the dictionary code).
	i := bytes.Index(b[12:12+(int(b[12])+1)*4], []byte{0x21, 0x01}) + 12
	if i < 12 || lzma2Dict(b[i+2]) < 8<<20 {
		t.Fatalf("no LZMA2 filter flags with an 8 MiB dictionary in %x", b[:32])
	}
	if _, err := NewReader("ok.xz", bytes.NewReader(b)); err != nil {
		t.Fatalf("an 8 MiB dictionary is refused: %v", err)
	}
	big := bytes.Clone(b)
	big[i+2] = 40 // 4 GiB
	hs := 12 + (int(big[12])+1)*4
	binary.LittleEndian.PutUint32(big[hs-4:], crc32.ChecksumIEEE(big[12:hs-4]))
	_, err = NewReader("big.xz", bytes.NewReader(big))
	if err == nil || !strings.Contains(err.Error(), "above tlsmon's limit") {
		t.Errorf("a 4 GiB dictionary: %v", err)
	}
}
