package engine

import (
	"testing"

	"github.com/tlsmon/tlsmon/capture"
	"github.com/tlsmon/tlsmon/packet"
)

// TestDispatcherShare: the dispatcher's share and the shards' together are the budget's
// accounts (MaxMemory / 2), the share is the fragment cap unless the budget is small.
func TestDispatcherShare(t *testing.T) {
	for _, c := range []struct {
		max   int64
		frag  int
		n     int
		share int64
	}{
		{0, 0, 2, 16 << 20},                  // defaults: 1 GiB, the 16 MiB fragment cap
		{1 << 30, 4 << 20, 4, 4 << 20},       // a smaller fragment cap
		{16 << 20, 0, 2, (8 << 20) / 3},      // a small budget: a third of its 8 MiB of accounts
		{256 << 20, 0, 16, (128 << 20) / 17}, // many shards
	} {
		o := Options{MaxMemory: c.max, Limits: Limits{MaxFragmentBytes: c.frag}}
		d, _ := dispatcherShare(o, c.n)
		so := shardOptions(o, c.n)
		max := c.max
		if max == 0 {
			max = DefaultMaxMemory
		}
		if d != c.share {
			t.Errorf("%+v: share %d, want %d", c, d, c.share)
		}
		if total := d + int64(c.n)*(so.MaxMemory/accountedShareDen*accountedShareNum); total > max/accountedShareDen*accountedShareNum {
			t.Errorf("%+v: dispatcher %d + %d shards of %d accounts = %d > %d", c, d, c.n, so.MaxMemory/2, total, max/2)
		}
	}
	if d, so := dispatcherShare(Options{MaxMemory: -1}, 2); d != 0 || so.MaxMemory != -1 {
		t.Errorf("no budget: share %d, max %d", d, so.MaxMemory)
	}
	if _, mem := newRouteDecoder(Options{MaxMemory: -1}, 2); mem != nil {
		t.Error("a dispatcher budget without a budget")
	}
}

// TestDispatcherFragmentsWithinShare: a flood of first fragments never completed stays
// within the dispatcher's share (the oldest are shed), not within the whole 16 MiB
// fragment cap.
func TestDispatcherFragmentsWithinShare(t *testing.T) {
	o := Options{MaxMemory: 1 << 20} // 512 KiB of accounts: a third for the dispatcher
	dec, mem := newRouteDecoder(o, 2)
	share, _ := dispatcherShare(o, 2)
	if mem == nil || mem.Max != share {
		t.Fatalf("dispatcher budget %v, want %d", mem, share)
	}
	var p packet.Packet
	for i := range 2000 {
		data := ipv4Fragment(i)
		f := capture.Frame{LinkType: 101, Ts: int64(1_000_000 + i), Data: data, WireLen: len(data)}
		ShardOf(dec, &f, 2, &p)
		if u := mem.Used(); u > share {
			t.Fatalf("fragment %d: %d bytes drawn, over the share %d", i, u, share)
		}
	}
	if dec.Stats().FragShed == 0 || mem.Stats().Peak < share/2 {
		t.Fatalf("shed %d, peak %d of %d", dec.Stats().FragShed, mem.Stats().Peak, share)
	}
}
