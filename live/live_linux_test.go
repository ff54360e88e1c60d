//go:build linux

package live

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"testing"
	"time"

	"github.com/tlsmon/tlsmon/capture"
	"github.com/tlsmon/tlsmon/filter"
)

// openLoopback opens lo, skipping without the privilege (except under CI=true as root).
func openLoopback(t *testing.T, o Options) *Source {
	t.Helper()
	o.Interfaces = []string{"lo"}
	o.BufferSize = 1 << 20
	o.NoPromisc = true
	o.FanoutID = uint16(2000 + os.Getpid()%30000)
	s, err := Open(o)
	if err != nil {
		if os.Getenv("CI") == "true" && os.Geteuid() == 0 {
			t.Fatalf("open lo as root: %v", err)
		}
		t.Skipf("cannot capture on lo here: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// count sends n UDP datagrams carrying a unique payload to a socket on 127.0.0.1 and
// returns how many frames carrying it the source delivers within a second.
func count(t *testing.T, s *Source, n int, dport func(int) int) int {
	t.Helper()
	payload := []byte(fmt.Sprintf("tlsmon-live-test-%d-%d", os.Getpid(), time.Now().UnixNano()))
	for i := range n {
		c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: dport(i)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.WriteTo(payload, c.LocalAddr()); err != nil {
			t.Fatal(err)
		}
		c.Close()
	}
	seen := 0
	var f capture.Frame
	end := time.Now().Add(time.Second)
	for time.Now().Before(end) {
		err := s.Next(&f)
		if errors.Is(err, ErrIdle) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(f.Data, payload) {
			seen++
			if f.LinkType != 1 || f.File != "lo" || f.Ts == 0 {
				t.Errorf("frame: link %d file %q ts %d", f.LinkType, f.File, f.Ts)
			}
		}
	}
	return seen
}

// On loopback each packet is captured once, not twice (its outgoing copy is dropped in the
// kernel, as libpcap does).
func TestLoopbackOnce(t *testing.T) {
	s := openLoopback(t, Options{})
	if n := count(t, s, 3, func(int) int { return 0 }); n != 3 {
		t.Errorf("%d frames for 3 datagrams on lo, want 3", n)
	}
	st := s.Stats()
	if len(st) != 1 || st[0].Interface != "lo" || st[0].Received == 0 || st[0].Kernel < st[0].Received {
		t.Errorf("stats %+v", st)
	}
}

// The filter runs in the kernel: only the datagrams to the port asked for come through.
func TestKernelFilter(t *testing.T) {
	l, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	port := l.LocalAddr().(*net.UDPAddr).Port
	l.Close()
	f, err := filter.Compile(fmt.Sprintf("udp dst port %d", port))
	if err != nil {
		t.Fatal(err)
	}
	s := openLoopback(t, Options{Filter: f})
	// Four datagrams, every other one to the port of the filter.
	if n := count(t, s, 4, func(i int) int {
		if i%2 == 0 {
			return port
		}
		return 0
	}); n != 2 {
		t.Errorf("%d frames through 'udp dst port %d', want 2", n, port)
	}
}

// Two workers' sources in one fanout group (PACKET_FANOUT_HASH): each datagram is
// delivered to exactly one of them (never both, none lost), and with 32 flows both get some.
func TestWorkersShareByFlow(t *testing.T) {
	o := Options{Interfaces: []string{"lo"}, BufferSize: 1 << 20, NoPromisc: true, Defrag: true,
		FanoutID: uint16(2000 + (os.Getpid()+1)%30000), IdleWait: 20 * time.Millisecond}
	srcs, err := OpenWorkers(o, 2)
	if err != nil {
		if os.Getenv("CI") == "true" && os.Geteuid() == 0 {
			t.Fatalf("open lo as root: %v", err)
		}
		t.Skipf("cannot capture on lo here: %v", err)
	}
	defer func() {
		for _, s := range srcs {
			s.Close()
		}
	}()
	payload := []byte(fmt.Sprintf("tlsmon-workers-test-%d-%d", os.Getpid(), time.Now().UnixNano()))
	const flows = 32
	dst, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	for range flows {
		c, err := net.DialUDP("udp", nil, dst.LocalAddr().(*net.UDPAddr))
		if err != nil {
			t.Fatal(err)
		}
		for range 2 { // two datagrams per flow: both to the same worker
			if _, err := c.Write(payload); err != nil {
				t.Fatal(err)
			}
		}
		c.Close()
	}
	seen := make([]map[string]int, len(srcs)) // source address → datagrams, per worker
	done := make(chan error, len(srcs))
	for w, s := range srcs {
		seen[w] = map[string]int{}
		go func() {
			var f capture.Frame
			end := time.Now().Add(time.Second)
			for time.Now().Before(end) {
				err := s.Next(&f)
				if errors.Is(err, ErrIdle) {
					continue
				}
				if err != nil {
					done <- err
					return
				}
				if bytes.Contains(f.Data, payload) && len(f.Data) >= 14+20+8 {
					sport := int(f.Data[34])<<8 | int(f.Data[35])
					seen[w][fmt.Sprint(sport)]++
				}
			}
			done <- nil
		}()
	}
	for range srcs {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	total := 0
	for w := range seen {
		if len(seen[w]) == 0 {
			t.Errorf("worker %d got no flow of %d", w, flows)
		}
		for port, n := range seen[w] {
			total += n
			if n != 2 {
				t.Errorf("worker %d: flow from port %s: %d datagrams of 2", w, port, n)
			}
			if seen[1-w][port] != 0 {
				t.Errorf("flow from port %s reached both workers", port)
			}
		}
	}
	if total != 2*flows {
		t.Errorf("%d datagrams captured, sent %d", total, 2*flows)
	}
	for w, s := range srcs {
		if st := s.Stats(); len(st) != 1 || st[0].Kernel < st[0].Received {
			t.Errorf("worker %d: stats %+v", w, st)
		}
	}
}
