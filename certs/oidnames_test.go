package certs

import (
	"bytes"
	"os"
	"testing"

	"github.com/tlsmon/tlsmon/certs/internal/oidlist"
)

// TestOIDNamesGenerated checks that oidnames.go is what the generator writes from its
// committed inputs: the list oidnames.txt and OpenSSL's object table as committed in
// objects_table.go (go generate ./certs reads the table from the system's obj_mac.h).
func TestOIDNamesGenerated(t *testing.T) {
	list, err := os.ReadFile("oidnames.txt")
	if err != nil {
		t.Fatal(err)
	}
	want, err := oidlist.WriteNames(list, func(oid string) (string, string, bool) {
		sn, ok := opensslShortNames[oid]
		ln, differs := opensslLongNames[oid]
		if !differs {
			ln = sn
		}
		return sn, ln, ok
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("oidnames.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("oidnames.go is not what oidnames.txt and objects_table.go give: run go generate ./certs")
	}
}
