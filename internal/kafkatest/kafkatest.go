// Package kafkatest starts franz-go's in-process Kafka cluster (kfake, which speaks the real
// protocol) for tests of the Kafka sink, and reads back what was produced to it.
package kafkatest

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Cluster starts a one-broker cluster with the given topics, each of partitions partitions,
// and closes it when the test ends. It returns the cluster and its address.
func Cluster(t testing.TB, partitions int32, topics ...string) (*kfake.Cluster, string) {
	t.Helper()
	return ClusterWith(t, partitions, topics, nil)
}

// ClusterWith is Cluster with more options (TLS, SASL users).
func ClusterWith(t testing.TB, partitions int32, topics []string, more []kfake.Opt) (*kfake.Cluster, string) {
	t.Helper()
	opts := []kfake.Opt{kfake.NumBrokers(1), kfake.AllowAutoTopicCreation(), kfake.DefaultNumPartitions(int(partitions))}
	if len(topics) > 0 {
		opts = append(opts, kfake.SeedTopics(partitions, topics...))
	}
	opts = append(opts, more...)
	c, err := kfake.NewCluster(opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c, c.ListenAddrs()[0]
}

// FastRetries are producer options for tests: retry a failed request after 20 ms rather
// than the client's default backoff of up to a second, and refresh metadata after an error
// within 50 ms rather than the default 5 s.
func FastRetries() []kgo.Opt {
	return []kgo.Opt{
		kgo.RetryBackoffFn(func(int) time.Duration { return 20 * time.Millisecond }),
		kgo.MetadataMinAge(50 * time.Millisecond),
	}
}

// ReadAll reads every record of the topics from the start until n records have arrived or
// the timeout passes (then it fails the test), and a little longer to catch surplus ones.
func ReadAll(t testing.TB, addr string, n int, timeout time.Duration, topics ...string) []*kgo.Record {
	t.Helper()
	return ReadAllWith(t, addr, n, timeout, topics, nil)
}

// ReadAllWith is ReadAll with more client options (TLS, SASL).
func ReadAllWith(t testing.TB, addr string, n int, timeout time.Duration, topics []string, more []kgo.Opt) []*kgo.Record {
	t.Helper()
	opts := []kgo.Opt{kgo.SeedBrokers(addr), kgo.ConsumeTopics(topics...),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchMaxWait(50 * time.Millisecond)}
	cl, err := kgo.NewClient(append(opts, more...)...)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	var recs []*kgo.Record
	deadline := time.Now().Add(timeout)
	extra := time.Time{}
	for {
		now := time.Now()
		if len(recs) >= n && extra.IsZero() {
			extra = now.Add(200 * time.Millisecond)
		}
		if !extra.IsZero() && now.After(extra) {
			return recs
		}
		if now.After(deadline) {
			t.Fatalf("read %d records of %d in %v", len(recs), n, timeout)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		fs := cl.PollFetches(ctx)
		cancel()
		fs.EachError(func(_ string, _ int32, err error) {
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("fetch: %v", err)
			}
		})
		recs = append(recs, fs.Records()...)
	}
}

// Outage makes the cluster unreachable for produce requests while down() is true: with
// refuse, it answers each with a retriable error (NOT_ENOUGH_REPLICAS, as a cluster that lost
// replicas does); otherwise it closes the connection (a broker that went away). It returns
// the number of produce requests turned away so far.
func Outage(c *kfake.Cluster, refuse bool, down func() bool) *atomic.Int64 {
	var n atomic.Int64
	c.ControlKey(int16(kmsg.Produce), func(req kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		if !down() {
			return nil, nil, false
		}
		n.Add(1)
		if !refuse {
			return nil, errors.New("broker away"), true
		}
		preq := req.(*kmsg.ProduceRequest)
		resp := preq.ResponseKind().(*kmsg.ProduceResponse)
		for _, rt := range preq.Topics {
			st := kmsg.NewProduceResponseTopic()
			st.Topic = rt.Topic
			st.TopicID = rt.TopicID
			for _, rp := range rt.Partitions {
				sp := kmsg.NewProduceResponseTopicPartition()
				sp.Partition = rp.Partition
				sp.ErrorCode = 19 // NOT_ENOUGH_REPLICAS: retriable
				st.Partitions = append(st.Partitions, sp)
			}
			resp.Topics = append(resp.Topics, st)
		}
		return resp, nil, true
	})
	return &n
}
