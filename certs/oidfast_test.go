package certs

import (
	"bytes"
	"os"
	"testing"

	"github.com/tlsmon/tlsmon/certs/internal/oidlist"
)

// TestCommonOIDsMatchTables checks every switch of oidfast.go against the maps it
// fronts: the same answer for each OID it lists, and for OIDs it does not list.
func TestCommonOIDsMatchTables(t *testing.T) {
	dotted := []string{
		"2.5.4.3", "2.5.4.10", "2.5.4.6", "2.5.4.11", "2.5.4.8", "2.5.4.7", "2.5.4.5",
		"1.2.840.10045.2.1", "1.2.840.10045.3.1.7", "1.3.132.0.34", "1.3.132.0.35",
		"1.2.840.10045.4.3.2", "1.2.840.10045.4.3.3", "1.2.840.10045.4.3.4",
		"1.2.840.113549.1.1.1", "1.2.840.113549.1.1.5", "1.2.840.113549.1.1.11",
		"1.2.840.113549.1.1.12", "1.2.840.113549.1.1.13", "1.2.840.113549.1.1.10",
		"1.3.101.112",
	}
	for _, d := range dotted {
		der, ok := encodeOID(d)
		if !ok {
			t.Fatalf("encodeOID(%s) failed", d)
		}
		if got, ok := commonOID(der); !ok || got != d || formatOID(der) != d {
			t.Errorf("commonOID(%x) = %q, %v; want %q", der, got, ok, d)
		}
	}
	// every OID the tables know, and a few they do not
	var all []string
	for k := range algLongNames {
		all = append(all, k)
	}
	for k := range attrShortNames {
		all = append(all, k)
	}
	for k := range curveNames {
		all = append(all, k)
	}
	for k := range opensslShortNames {
		all = append(all, k)
	}
	all = append(all, dotted...)
	all = append(all, "1.2.3.4", "2.5.4.300", "1.3.132.0.36", "")
	for _, d := range all {
		if der, ok := encodeOID(d); ok {
			if got, ok := commonOID(der); ok && got != formatOID(der) {
				t.Errorf("commonOID(%x) = %q; formatOID says %q", der, got, formatOID(der))
			}
		}
		if sn, ok := commonAttrShortName(d); ok {
			if want, wok := attrShortNames[d]; !wok || want != sn {
				t.Errorf("commonAttrShortName(%s) = %q; table %q, %v", d, sn, want, wok)
			}
		}
		ln, ok := algLongName(d)
		if want, wok := algLongNames[d]; ok != wok || ln != want {
			t.Errorf("algLongName(%s) = %q, %v; table %q, %v", d, ln, ok, want, wok)
		}
		name, bits, ok := curveName(d)
		if want, wok := curveNames[d]; ok != wok || name != want.name || bits != want.bits {
			t.Errorf("curveName(%s) = %q %d %v; table %v %v", d, name, bits, ok, want, wok)
		}
		f, ok := fieldBitsOf(d)
		if want, wok := fieldBits[d]; ok != wok || f != want {
			t.Errorf("fieldBitsOf(%s) = %d %v; table %d %v", d, f, ok, want, wok)
		}
	}
}

// TestRFC2253PlainTable checks the table plainRFC2253 reads against the byte test it
// replaced.
func TestRFC2253PlainTable(t *testing.T) {
	for i := range 256 {
		c := byte(i)
		want := !(c < 0x20 || c >= 0x7f || c == '\\' || c < 64 && rfc2253Specials>>c&1 != 0)
		if rfc2253Plain[c] != want {
			t.Errorf("rfc2253Plain[%#x] = %v, want %v", c, rfc2253Plain[c], want)
		}
	}
}

// TestOIDFilesGenerated checks that oidfast.go and oidnames.go are what the generator
// writes from their committed inputs: the lists oidfast.txt and oidnames.txt, and OpenSSL's
// object table as committed in objects_table.go (go generate ./certs reads the table from
// the system's obj_mac.h).
func TestOIDFilesGenerated(t *testing.T) {
	names := func(oid string) (string, string, bool) {
		sn, ok := opensslShortNames[oid]
		ln, differs := opensslLongNames[oid]
		if !differs {
			ln = sn
		}
		return sn, ln, ok
	}
	for _, tc := range []struct {
		list, out string
		write     func([]byte, oidlist.Names) ([]byte, error)
	}{
		{"oidfast.txt", "oidfast.go", oidlist.WriteSwitches},
		{"oidnames.txt", "oidnames.go", oidlist.WriteNames},
	} {
		list, err := os.ReadFile(tc.list)
		if err != nil {
			t.Fatal(err)
		}
		want, err := tc.write(list, names)
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(tc.out)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s is not what %s and objects_table.go give: run go generate ./certs", tc.out, tc.list)
		}
	}
}
