package oidswitch

import (
	"strings"
	"testing"
)

func names(oid string) (string, string, bool) {
	switch oid {
	case "2.5.4.3":
		return "CN", "commonName", true
	case "1.2.840.113549.1.1.11":
		return "RSA-SHA256", "sha256WithRSAEncryption", true
	case "1.2.840.10045.3.1.7":
		return "prime256v1", "prime256v1", true
	}
	return "", "", false
}

func TestWrite(t *testing.T) {
	src, err := Write([]byte("# c\nattr 2.5.4.3\n\ncurve 1.2.840.10045.3.1.7 256\nalg 1.2.840.113549.1.1.11\n"), names)
	if err != nil {
		t.Fatal(err)
	}
	s := string(src)
	for _, want := range []string{
		Header + "\n",
		"case \"\\x55\\x04\\x03\":\n\t\treturn \"2.5.4.3\", true\n\tcase \"\\x2a\\x86\\x48\\xce\\x3d\\x03\\x01\\x07\":",
		"case \"2.5.4.3\":\n\t\treturn \"CN\", true",
		"case \"1.2.840.113549.1.1.11\":\n\t\treturn \"sha256WithRSAEncryption\", true",
		"case \"1.2.840.10045.3.1.7\":\n\t\treturn \"prime256v1\", 256, true",
		"case \"1.2.840.10045.3.1.7\":\n\t\treturn 0, false",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("output lacks %q:\n%s", want, s)
		}
	}
}

func TestWriteErrors(t *testing.T) {
	for _, tc := range []struct{ list, err string }{
		{"", "no OIDs"},
		{"attr 2.5.4.3\nattr 2.5.4.3\n", "listed twice"},
		{"attr 9.9.9\n", "not a dotted OID"},
		{"attr 2.5.4.300\n", "not in OpenSSL's object table"},
		{"curve 1.2.840.10045.3.1.7\n", "want"},
		{"curve 1.2.840.10045.3.1.7 x\n", "bits"},
		{"alg 2.5.4.3 1\n", "want"},
		{"key 2.5.4.3\n", "want"},
	} {
		_, err := Write([]byte(tc.list), names)
		if err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("Write(%q) = %v, want an error containing %q", tc.list, err, tc.err)
		}
	}
}
