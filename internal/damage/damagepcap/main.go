// Command damagepcap writes a damaged copy of a classic pcap capture (package damage):
//
//	go run ./internal/damage/damagepcap -mode reorder -seed 7 -skip 8 -window 4 IN OUT
//	go run ./internal/damage/damagepcap -mode drop -seed 11 -skip 3 -rate 0.02 IN OUT
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/tlsmon/tlsmon/internal/damage"
)

func main() {
	mode := flag.String("mode", "reorder", "reorder (permute packets within windows) or drop (drop packets at random)")
	seed := flag.Uint64("seed", 1, "random seed")
	skip := flag.Int("skip", 8, "leave the first N packets alone")
	window := flag.Int("window", 4, "reorder: packets per window")
	rate := flag.Float64("rate", 0.02, "drop: probability that a packet is dropped")
	flag.Parse()
	if flag.NArg() != 2 {
		fmt.Fprintln(os.Stderr, "usage: damagepcap [flags] IN.pcap OUT.pcap")
		os.Exit(2)
	}
	cfg := damage.Config{Seed: *seed, Skip: *skip, Window: *window, Rate: *rate}
	switch *mode {
	case "reorder":
		cfg.Mode = damage.Reorder
	case "drop":
		cfg.Mode = damage.Drop
	default:
		fmt.Fprintf(os.Stderr, "damagepcap: unknown mode %q\n", *mode)
		os.Exit(2)
	}
	in, err := os.ReadFile(flag.Arg(0))
	if err == nil {
		var out []byte
		if out, err = damage.Apply(in, cfg); err == nil {
			err = os.WriteFile(flag.Arg(1), out, 0o644)
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "damagepcap:", err)
		os.Exit(1)
	}
}
