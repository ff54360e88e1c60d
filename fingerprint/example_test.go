package fingerprint_test

import (
	"fmt"
	"log"

	tlsmon "github.com/tlsmon/tlsmon"
	"github.com/tlsmon/tlsmon/capture"
	"github.com/tlsmon/tlsmon/engine"
	"github.com/tlsmon/tlsmon/fingerprint"
)

// Print every connection's JA4, JA3 and JA3S when it ends.
func Example() {
	r, err := capture.Open("../testdata/sample.pcap")
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()

	fp := fingerprint.New(fingerprint.Options{OnResult: func(c *tlsmon.Conn, res *fingerprint.Result) {
		retry := ""
		if res.HelloRetryRequest {
			retry = " (first of 2 ClientHellos: HelloRetryRequest)"
		}
		fmt.Printf("%s:%d %s %s %s%s\n", c.ID.OrigH, c.ID.OrigP, res.JA4, res.JA3, res.JA3S, retry)
	}})
	if err := engine.New(engine.Options{Handler: fp}).Run(r); err != nil {
		log.Fatal(err)
	}
	// Output:
	// 10.1.0.1:40000 t12d0111h2_648b5c445417_a92c7c6a82fe 5af4dd8528bf9f2ff156c1558276466d 7bb7401fe70025e71aad555635226c18
	// 10.1.0.2:40001 t13d0312h2_55b375c5d22e_4a12575e92d6 1bcbceb7d6c06f583eeb65246997739f f4febc55ea12b31ae17cfb7e614afda8
	// 10.1.0.3:40002 t12d0111h1_ac0d4152232d_a92c7c6a82fe 9de62d9bbc1115fbabf43ab5abb00759 bdb2e2c460b975387298b60eabdb632f
	// 10.1.0.4:40003 t13d0312h2_55b375c5d22e_4a12575e92d6 1bcbceb7d6c06f583eeb65246997739f f4febc55ea12b31ae17cfb7e614afda8 (first of 2 ClientHellos: HelloRetryRequest)
}
