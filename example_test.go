package tlsmon_test

import (
	"fmt"
	"log"

	"github.com/tlsmon/tlsmon"
	"github.com/tlsmon/tlsmon/capture"
	"github.com/tlsmon/tlsmon/engine"
)

// Print the server name of every TLS connection in a capture, once per connection (after
// a HelloRetryRequest the client sends its hello, and its SNI, again). Events and their
// slices are valid only during the handler call, so the handler converts what it keeps;
// a *tlsmon.Conn identifies its connection until the connection's ConnectionStateRemove.
// (zeeklog.NewSSLSessions gives each connection's ssl.log values without any folding.)
func Example() {
	r, err := capture.Open("testdata/sample.pcap")
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()

	seen := map[*tlsmon.Conn]bool{}
	handler := tlsmon.HandlerFunc(func(ev tlsmon.Event) {
		switch ev := ev.(type) {
		case *tlsmon.SSLExtensionServerName:
			if !ev.IsClient || len(ev.Names) == 0 || seen[ev.Conn] {
				return
			}
			seen[ev.Conn] = true
			id := ev.Conn.ID
			fmt.Printf("%s:%d -> %s:%d %s\n", id.OrigH, id.OrigP, id.RespH, id.RespP, ev.Names[0])
		case *tlsmon.ConnectionStateRemove:
			delete(seen, ev.Conn)
		}
	})
	if err := engine.New(engine.Options{Handler: handler}).Run(r); err != nil {
		log.Fatal(err)
	}
	// Output:
	// 10.1.0.1:40000 -> 10.0.0.2:443 www.example.com
	// 10.1.0.2:40001 -> 10.0.0.2:443 api.example.com
	// 10.1.0.3:40002 -> 10.0.0.2:443 rsa.example.com
	// 10.1.0.4:40003 -> 10.0.0.2:443 retry.example.com
}
