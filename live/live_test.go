package live

import (
	"runtime"
	"strings"
	"testing"
)

// Options take Zeek's AF_Packet defaults and refuse what the kernel would refuse later.
func TestOptionsDefaults(t *testing.T) {
	o := Options{Interfaces: []string{"eth0"}}
	if err := o.defaults(); err != nil {
		t.Fatal(err)
	}
	if o.BufferSize != 128<<20 || o.BlockSize != 32<<10 || o.BlockTimeout.Milliseconds() != 10 ||
		o.FanoutID != 23 || o.FanoutMode != FanoutHash || o.IdleWait <= 0 {
		t.Errorf("defaults: %+v", o)
	}
	bad := []struct {
		o    Options
		want string
	}{
		{Options{}, "no interface"},
		{Options{Interfaces: []string{"x"}, BlockSize: 1000}, "multiple of 4096"},
		{Options{Interfaces: []string{"x"}, BlockSize: 8192, BufferSize: 4096}, "smaller than one block"},
		{Options{Interfaces: []string{"x"}, FanoutMode: "bogus"}, "fanout mode"},
	}
	for _, b := range bad {
		if err := b.o.defaults(); err == nil || !strings.Contains(err.Error(), b.want) {
			t.Errorf("%+v: %v, want %q", b.o, err, b.want)
		}
	}
}

// An interface that does not exist is an error naming it (Linux), or the platform is
// refused with ErrUnsupported.
func TestOpenMissingInterface(t *testing.T) {
	_, err := Open(Options{Interfaces: []string{"tlsmon-none0"}})
	if runtime.GOOS != "linux" {
		if err != ErrUnsupported {
			t.Fatalf("%v, want ErrUnsupported", err)
		}
		return
	}
	if err == nil || !strings.Contains(err.Error(), "tlsmon-none0: no such interface") {
		t.Fatalf("%v", err)
	}
}
