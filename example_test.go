package tlsmon_test

import (
	"fmt"
	"log"

	"github.com/tlsmon/tlsmon"
	"github.com/tlsmon/tlsmon/capture"
	"github.com/tlsmon/tlsmon/engine"
)

// Print the server name of every ClientHello in a capture. Events and their slices are valid
// only during the handler call, so the handler converts what it keeps.
func Example() {
	r, err := capture.Open("testdata/sample.pcap")
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()

	handler := tlsmon.HandlerFunc(func(ev tlsmon.Event) {
		if sni, ok := ev.(*tlsmon.SSLExtensionServerName); ok && sni.IsClient {
			id := sni.Conn.ID
			for _, name := range sni.Names {
				fmt.Printf("%s:%d -> %s:%d %s\n", id.OrigH, id.OrigP, id.RespH, id.RespP, name)
			}
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
	// 10.1.0.4:40003 -> 10.0.0.2:443 retry.example.com
}
