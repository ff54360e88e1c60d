package sink_test

import (
	"io"
	"testing"

	"github.com/tlsmon/tlsmon/internal/kafkatest"
	"github.com/tlsmon/tlsmon/sink"
)

// benchRow is an ssl.log row of typical size (≈ 600 bytes).
var benchRow = []byte(`{"ts":1704067200.02001,"uid":"CneGDU0Gvouz4oQ337","id.orig_h":"10.1.0.1","id.orig_p":40000,"id.resp_h":"10.0.0.2","id.resp_p":443,"version":"TLSv12","cipher":"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256","curve":"x25519","server_name":"www.example.com","resumed":false,"next_protocol":"h2","established":true,"ssl_history":"CsxknGIi","cert_chain_fps":["238ef252bed6d8f81bbe8e96e19bd1af00d1decf0490b85bf27ece24c88abd9f","278ca6d4ad2f7ee3426913fda42b5177b5041a253aa27c5162576fa136786369"],"client_cert_chain_fps":[],"sni_matches_cert":true}`)

var benchKeys = func() []string {
	ks := make([]string, 1024)
	for i := range ks {
		ks[i] = "C" + string(rune('A'+i%26)) + string(rune('a'+i/26%26)) + "0123456789abcde"
	}
	return ks
}()

// BenchmarkKafkaPut is the Kafka sink's ceiling: rows put and acknowledged per second by a
// kfake cluster in the same process (so its CPU counts too), 4 partitions, block policy.
func BenchmarkKafkaPut(b *testing.B) {
	_, addr := kafkatest.Cluster(b, 4, "zeek")
	k, err := sink.NewKafka(sink.KafkaConfig{Brokers: []string{addr}, Topic: "zeek"})
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(benchRow)))
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if err := k.Put(sink.Row{Path: "ssl", Key: benchKeys[i%len(benchKeys)], JSON: benchRow}); err != nil {
			b.Fatal(err)
		}
	}
	if err := k.Close(); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkStream is the stdout sink's cost per row (to io.Discard).
func BenchmarkStream(b *testing.B) {
	s := sink.NewStream(io.Discard, &sink.Clock{})
	b.SetBytes(int64(len(benchRow)))
	b.ReportAllocs()
	for b.Loop() {
		if err := s.Put(sink.Row{Path: "ssl", JSON: benchRow}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}
