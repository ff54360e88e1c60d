package starttls

import (
	"strings"
	"testing"
)

func TestLines(t *testing.T) {
	l := Lines{Max: 8}
	var got []string
	for _, chunk := range []string{"ab", "c\r\nde\n", "0123456789abc", "\nz"} {
		data := []byte(chunk)
		for {
			line, rest, ok := l.Next(data)
			if !ok {
				break
			}
			s := string(line)
			if l.Truncated() {
				s += "+"
			}
			got = append(got, s)
			data = rest
		}
	}
	if want := "abc|de|01234567+"; strings.Join(got, "|") != want {
		t.Fatalf("got %q want %q", strings.Join(got, "|"), want)
	}
}

func TestAcc(t *testing.T) {
	a := Acc{Max: 4}
	if !a.Append([]byte("abc")) || a.Append([]byte("de")) {
		t.Fatal("cap not enforced")
	}
	a.Consume(10)
	if len(a.Bytes()) != 0 {
		t.Fatal("consume past the end kept bytes")
	}
}
