package oidlist

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
	case "1.3.6.1.5.5.7.9.1":
		return "id-pda-dateOfBirth", "id-pda-dateOfBirth", true
	}
	return "", "", false
}

func TestWriteNames(t *testing.T) {
	list := "# c\nattr 2.5.4.3\n\ncurve 1.2.840.10045.3.1.7 256\nalg 1.2.840.113549.1.1.11\n" +
		"  # named here\nattr 1.3.6.1.5.5.7.9.1 \"dateOfBirth\"\nattr 1.3.6.1.4.1.311.20.2 \"msCertificateTemplateName\"\n" +
		"alg 1.2.840.10045.3.1.7\n"
	src, err := WriteNames([]byte(list), names)
	if err != nil {
		t.Fatal(err)
	}
	s := string(src)
	for _, want := range []string{
		NamesHeader + "\n",
		"var algLongNames = map[string]string{\n\t\"1.2.840.113549.1.1.11\": \"sha256WithRSAEncryption\",\n\t\"1.2.840.10045.3.1.7\":   \"prime256v1\",\n}",
		"}{\n\t\"1.2.840.10045.3.1.7\": {\"prime256v1\", 256},\n}",
		"var attrShortNames = map[string]string{\n\t\"2.5.4.3\":              \"CN\",\n\t\"1.3.6.1.5.5.7.9.1\":    \"dateOfBirth\",\n\t\"1.3.6.1.4.1.311.20.2\": \"msCertificateTemplateName\",\n}",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("output lacks %q:\n%s", want, s)
		}
	}
}

func TestWriteSwitches(t *testing.T) {
	src, err := WriteSwitches([]byte("# c\nattr 2.5.4.3\n\ncurve 1.2.840.10045.3.1.7 256\nalg 1.2.840.113549.1.1.11\n"), names)
	if err != nil {
		t.Fatal(err)
	}
	s := string(src)
	for _, want := range []string{
		SwitchesHeader + "\n",
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
		{"attr 1.40\n", "not a dotted OID"},
		{"attr 2.05\n", "not a dotted OID"},
		{"attr 2.5.4.300\n", "give its name"},
		{"attr 2.5.4.3 \"CN\"\n", "drop it"},
		{"alg 1.2.840.113549.1.1.11 \"sha256WithRSAEncryption\"\n", "drop it"},
		{"attr 2.5.4.3 \"\"\n", "double quotes"},
		{"attr 2.5.4.3 \"CN\n", "double quotes"},
		{"\"x\"\n", "want"},
		{"curve 1.2.840.10045.3.1.7\n", "want"},
		{"curve 1.2.840.10045.3.1.7 x\n", "bits"},
		{"alg 2.5.4.3 1\n", "want"},
		{"key 2.5.4.3\n", "want"},
	} {
		for _, w := range []func([]byte, Names) ([]byte, error){WriteNames, WriteSwitches} {
			_, err := w([]byte(tc.list), names)
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("writing %q: %v, want an error containing %q", tc.list, err, tc.err)
			}
		}
	}
}
