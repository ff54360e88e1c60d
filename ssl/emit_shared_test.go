package ssl

import (
	"slices"
	"testing"

	"github.com/tlsmon/tlsmon"
	"github.com/tlsmon/tlsmon/analyzer"
)

// The analyzers of one Shared raise their events in the same structs (emitEvents), taking
// turns: each event carries its own connection's values when handled, and another
// connection's event raised in between changes nothing of what the first one's handler saw.
func TestEmittersShareEventStructs(t *testing.T) {
	sh := testShared()
	type seen struct {
		ev      *tlsmon.SSLClientHello
		uid     string
		ciphers []uint64
	}
	var got []seen
	newConn := func(uid string) *Analyzer {
		env := &analyzer.Env{Conn: &tlsmon.Conn{UID: uid, ID: testConn.ID}, Options: analyzer.Options{AnalyzeEncrypted: true},
			Events: tlsmon.HandlerFunc(func(e tlsmon.Event) {
				if ev, ok := e.(*tlsmon.SSLClientHello); ok {
					got = append(got, seen{ev, ev.Conn.UID, slices.Clone(ev.Ciphers)})
				}
			})}
		env.Detach = func() {}
		return newAnalyzer(env, sh).(*Analyzer)
	}
	a, b := newConn("Ca"), newConn("Cb")
	defer a.Done(2)
	defer b.Done(2)
	hello := func(cipher uint16) []byte {
		return record(ctHandshake, versionTLS10, hsMsg(hsClientHello, clientHelloBody(versionTLS12, seqRandom(1), nil, []uint16{cipher}, nil)))
	}
	ha, hb := hello(0x2f), hello(0x35)
	// b's hello arrives while a's is split over two deliveries
	a.DeliverStream(1, true, ha[:20])
	b.DeliverStream(1, true, hb)
	a.DeliverStream(1, true, ha[20:])
	if len(got) != 2 {
		t.Fatalf("%d client hellos, want 2", len(got))
	}
	if got[0].ev != got[1].ev {
		t.Errorf("the two connections' client hellos are different structs: want the Shared's one")
	}
	want := []seen{{uid: "Cb", ciphers: []uint64{0x35}}, {uid: "Ca", ciphers: []uint64{0x2f}}}
	for i, w := range want {
		if got[i].uid != w.uid || !slices.Equal(got[i].ciphers, w.ciphers) {
			t.Errorf("hello %d: conn %s ciphers %x, want %s %x", i, got[i].uid, got[i].ciphers, w.uid, w.ciphers)
		}
	}
}
