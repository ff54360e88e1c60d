// Command genunique writes a benchmark capture without repetition: n TLS connections, each
// with its own server certificate chain (leaf and intermediate: Certs.Unique), its own SNI
// and its own session ticket, TLS 1.2 and TLS 1.3 alternating, with a small HTTP exchange,
// concurrent of them interleaved at a time. perfmix.pcap repeats one certificate set 300
// times, which the SSL analyzer's message cache exploits; this capture measures the path
// without that help (docs/PERFORMANCE.md).
//
//	go run ./internal/testgen/cmd/genunique -n 20000 -o /tmp/unique.pcap
//
// -body N makes each response body N bytes, for a byte mix closer to perfmix's (≈ 14 kB
// per connection).
package main

import (
	"bufio"
	"crypto/tls"
	"flag"
	"fmt"
	"os"
	"runtime"
	"sync"

	"github.com/tlsmon/tlsmon/internal/testgen"
)

func main() {
	n := flag.Int("n", 20000, "connections")
	out := flag.String("o", "/tmp/unique.pcap", "output file")
	concurrent := flag.Int("concurrent", 50, "connections interleaved at a time")
	body := flag.Int("body", 0, "bytes of the HTTP response body (0: testgen's 13-byte default)")
	flag.Parse()
	if err := run(*n, *concurrent, *body, *out); err != nil {
		fmt.Fprintln(os.Stderr, "genunique:", err)
		os.Exit(1)
	}
}

func run(n, concurrent, body int, out string) error {
	certs, err := testgen.DefaultCerts()
	if err != nil {
		return err
	}
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	c, err := testgen.NewCapture(w, testgen.DefaultStart)
	if err != nil {
		return err
	}
	concurrent = max(concurrent, 1)
	packets := 0
	for start := 0; start < n; start += concurrent {
		batch, err := transcripts(certs, start, min(start+concurrent, n), response(body))
		if err != nil {
			return err
		}
		recs, err := c.AddInterleaved(batch, testgen.Framing{})
		if err != nil {
			return err
		}
		for _, r := range recs {
			packets += r.Packets
		}
		c.Conns = c.Conns[:0]
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	fmt.Printf("wrote %s: %d connections, %d packets\n", out, n, packets)
	return nil
}

// response is an HTTP response with a body of n bytes (nil for n 0: testgen's default).
func response(n int) []byte {
	if n <= 0 {
		return nil
	}
	b := fmt.Appendf(nil, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\nContent-Type: text/plain\r\n\r\n", n)
	for i := range n {
		b = append(b, 'a'+byte(i%26))
	}
	return b
}

// transcripts runs the handshakes of connections [from, to) on every CPU.
func transcripts(certs *testgen.Certs, from, to int, resp []byte) ([]*testgen.Transcript, error) {
	trs := make([]*testgen.Transcript, to-from)
	errs := make([]error, to-from)
	var wg sync.WaitGroup
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	for i := from; i < to; i++ {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			host := fmt.Sprintf("h%05d.unique.example", i)
			cert, err := certs.Unique(i, host)
			if err != nil {
				errs[i-from] = err
				return
			}
			cfg := testgen.Config{ServerName: host, ServerCert: &cert, SessionTickets: true, ALPN: []string{"h2", "http/1.1"}, Response: resp}
			if i%2 == 0 {
				cfg.MaxVersion = tls.VersionTLS12
			} else {
				cfg.MinVersion = tls.VersionTLS13
			}
			trs[i-from], errs[i-from] = testgen.Run(cfg)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return trs, nil
}
