package starttls

import (
	"reflect"
	"testing"
)

// frame feeds deliveries to l and returns the lines, and whether a single CR was seen.
func frame(l *Lines, deliveries ...string) ([]string, bool) {
	var out []string
	single := false
	for _, d := range deliveries {
		data := []byte(d)
		for {
			line, rest, ok := l.Next(data)
			single = l.SingleCR() || single
			if !ok {
				break
			}
			out = append(out, string(line))
			data = rest
		}
	}
	return out, single
}

// TestLineEnds: Zeek's content line framing. By default (FTP's NVT) only LF ends a line;
// in CR mode (Zeek's default content line analyzer) a lone CR does too, and CRLF counts
// once even split between deliveries. A CR followed by another character is reported.
func TestLineEnds(t *testing.T) {
	for _, c := range []struct {
		cr     bool
		in     []string
		lines  []string
		single bool
	}{
		{false, []string{"USER a\r\nPASS b\n"}, []string{"USER a", "PASS b"}, false},
		{false, []string{"A\rB\n"}, []string{"A\rB"}, true},
		{true, []string{"GET / HTTP/1.1\r\nHost: x\r\n\r\n"}, []string{"GET / HTTP/1.1", "Host: x", ""}, false},
		{true, []string{"A\rB\nC\r\n"}, []string{"A", "B", "C"}, true},
		{true, []string{"A\r", "\nB\n"}, []string{"A", "B"}, false},
		{true, []string{"A\r", "B\n"}, []string{"A", "B"}, true},
		{true, []string{"A\r\rB\n"}, []string{"A", "", "B"}, true},
		{true, []string{"par", "tial\rx", "y\n"}, []string{"partial", "xy"}, true},
	} {
		l := &Lines{CR: c.cr}
		lines, single := frame(l, c.in...)
		if !reflect.DeepEqual(lines, c.lines) || single != c.single {
			t.Errorf("CR=%v %q: lines %q single %v, want %q %v", c.cr, c.in, lines, single, c.lines, c.single)
		}
	}
}

// TestNULSensitive: a NUL-sensitive direction (FTP, SMTP) drops its first NUL from the
// line and reports it once; later NULs stay.
func TestNULSensitive(t *testing.T) {
	l := &Lines{NULs: true}
	line, _, ok := l.Next([]byte("A\x00B\x00C\nD\x00\n"))
	if !ok || string(line) != "AB\x00C" || !l.NULInLine() {
		t.Fatalf("%q %v", line, ok)
	}
	line, _, _ = l.Next([]byte("D\x00\n"))
	if string(line) != "D\x00" || l.NULInLine() {
		t.Fatalf("second NUL: %q", line)
	}
	l = &Lines{NULs: true}
	if _, _, ok := l.Next([]byte("par\x00t")); ok {
		t.Fatal("line without end")
	}
	if line, _, _ := l.Next([]byte("ial\n")); string(line) != "partial" || !l.NULInLine() {
		t.Fatalf("buffered: %q", line)
	}
}

// TestSplitAtMax: Zeek's max_line_length (IRC's 1000): a line reaching Max bytes is cut
// to Max-1 bytes when the next byte comes, that byte and the buffer's last are lost, and
// the rest goes on as a new line, with the weird contentline_size_exceeded.
func TestSplitAtMax(t *testing.T) {
	l := &Lines{Max: 10, Split: true, CR: true}
	lines, _ := frame(l, "abcdef", "ghijKLMNOP\nxy\n")
	want := []string{"abcdefghi", "LMNOP", "xy"}
	if !reflect.DeepEqual(lines, want) {
		t.Fatalf("lines %q, want %q", lines, want)
	}
	l = &Lines{Max: 10, Split: true}
	if lines, _ := frame(l, "0123456789\n"); !reflect.DeepEqual(lines, []string{"012345678"}) {
		t.Fatalf("a line end right after a full buffer is lost with it: %q", lines)
	}
}
