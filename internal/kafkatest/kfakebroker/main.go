// Command kfakebroker runs franz-go's in-process Kafka cluster (kfake) as a process, to try
// `tlsmon --kafka` and to measure the Kafka sink without a real cluster (docs/PERFORMANCE.md):
//
//	go run ./internal/kafkatest/kfakebroker -port 9092 -topics zeek &
//	tlsmon -r capture.pcap --kafka 127.0.0.1:9092
//
// It keeps everything in memory, and on SIGINT or SIGTERM prints on stderr how many records
// it was sent before it exits.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func main() {
	port := flag.Int("port", 9092, "port to listen on (127.0.0.1)")
	partitions := flag.Int("partitions", 4, "partitions of each topic")
	topics := flag.String("topics", "zeek", "comma-separated topics to create (others are created when first written)")
	flag.Parse()

	opts := []kfake.Opt{kfake.NumBrokers(1), kfake.Ports(*port), kfake.AllowAutoTopicCreation(),
		kfake.DefaultNumPartitions(*partitions)}
	if *topics != "" {
		opts = append(opts, kfake.SeedTopics(int32(*partitions), strings.Split(*topics, ",")...))
	}
	c, err := kfake.NewCluster(opts...)
	if err != nil {
		fmt.Fprintln(os.Stderr, "kfakebroker:", err)
		os.Exit(1)
	}
	var mu sync.Mutex
	var count int64
	// Count the records of every produce request (retries included), leaving the request
	// to the cluster.
	c.ControlKey(int16(kmsg.Produce), func(req kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		mu.Lock()
		defer mu.Unlock()
		for _, t := range req.(*kmsg.ProduceRequest).Topics {
			for _, p := range t.Partitions {
				count += batchRecords(p.Records)
			}
		}
		return nil, nil, false
	})
	fmt.Fprintln(os.Stderr, "kfakebroker: listening on", strings.Join(c.ListenAddrs(), ","))

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	<-sig
	c.Close()
	mu.Lock()
	fmt.Fprintf(os.Stderr, "kfakebroker: %d records received\n", count)
	mu.Unlock()
}

// batchRecords sums the record counts of the record batches in b.
func batchRecords(b []byte) int64 {
	var n int64
	for len(b) > 0 {
		var rb kmsg.RecordBatch
		if err := rb.ReadFrom(b); err != nil {
			return n
		}
		n += int64(rb.NumRecords)
		size := 12 + int(rb.Length)
		if size <= 12 || size > len(b) {
			return n
		}
		b = b[size:]
	}
	return n
}
