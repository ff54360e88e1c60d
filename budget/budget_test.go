package budget

import (
	"fmt"
	"strings"
	"testing"

	"github.com/tlsmon/tlsmon"
)

// buf is a holder's owner that drew n bytes in one account; Shed gives them back.
type buf struct {
	b    *Budget
	h    Holder
	n    int64
	shed bool
	log  *[]string
	name string
}

func (x *buf) Shed() {
	x.shed = true
	*x.log = append(*x.log, "holder "+x.name)
	x.b.Release(&x.h, Records, x.n)
	x.n = 0
}

func newBuf(b *Budget, log *[]string, name string) *buf {
	x := &buf{b: b, log: log, name: name}
	x.h.Init(x, &tlsmon.Conn{UID: name})
	return x
}

func (x *buf) draw(n int64) bool {
	if !x.b.Draw(&x.h, Records, n) {
		return false
	}
	x.n += n
	return true
}

// pool is a shedder's state: items of a size, shed oldest first.
type pool struct {
	b     *Budget
	a     Account
	items []int64
	log   *[]string
	name  string
}

func (p *pool) add(n int64) bool {
	if !p.b.Draw(nil, p.a, n) {
		return false
	}
	p.items = append(p.items, n)
	return true
}

func (p *pool) shed(need int64) int64 {
	var freed int64
	for freed < need && len(p.items) > 0 {
		n := p.items[0]
		p.items = p.items[1:]
		p.b.Release(nil, p.a, n)
		freed += n
		*p.log = append(*p.log, p.name)
	}
	return freed
}

func TestAccounting(t *testing.T) {
	b := &Budget{Max: 1000}
	var log []string
	x := newBuf(b, &log, "x")
	if !x.draw(300) || !b.Draw(nil, Connections, 200) || !b.Draw(nil, Fragments, 100) {
		t.Fatal("draws within the budget refused")
	}
	s := b.Stats()
	if s.Used != 600 || s.Accounts[Records] != 300 || s.Accounts[Connections] != 200 || s.Accounts[Fragments] != 100 {
		t.Fatalf("stats %+v", s)
	}
	if x.h.Held() != 300 {
		t.Fatalf("held %d", x.h.Held())
	}
	b.Release(&x.h, Records, 300)
	b.Release(nil, Connections, 200)
	if b.Used() != 100 || x.h.Held() != 0 || b.unconfirmd.head != &x.h {
		t.Fatalf("after release: used %d held %d list %v", b.Used(), x.h.Held(), b.unconfirmd.head)
	}
	b.Forget(&x.h) // its owner is done
	if b.unconfirmd.head != nil || x.h.linked {
		t.Fatal("still linked after Forget")
	}
	if s := b.Stats(); s.Peak != 600 || s.Max != 1000 {
		t.Fatalf("peak %d max %d", s.Peak, s.Max)
	}
	// a nil budget grants everything
	var nb *Budget
	if !nb.Draw(nil, Records, 1<<40) || !nb.DrawQuiet(Records, 1<<40) {
		t.Fatal("nil budget refused")
	}
	nb.Release(nil, Records, 1<<40)
}

// TestShedOrder checks the policy of the package comment: fragments first, then state of
// the drawing kind, then of the other, then stalled connections; confirmed holders never.
func TestShedOrder(t *testing.T) {
	for _, tc := range []struct {
		name    string
		holder  bool // the draw is by a holder (a buffer), else a new connection
		frag    bool // the draw is a fragment's
		want    string
		refused bool
	}{
		{name: "connection", want: "frag frag young young holder a holder b holder req"},
		{name: "buffer", holder: true, want: "frag frag holder a holder b young young stalled"},
		{name: "fragment", frag: true, want: "frag frag", refused: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := &Budget{Max: 1000}
			var log []string
			var reports []string
			b.Report = func(c *tlsmon.Conn, a Account, shed bool) {
				uid := "-"
				if c != nil {
					uid = c.UID
				}
				reports = append(reports, fmt.Sprintf("%s %s %v", uid, a, shed))
			}
			frags := &pool{b: b, a: Fragments, log: &log, name: "frag"}
			young := &pool{b: b, a: Connections, log: &log, name: "young"}
			stalled := &pool{b: b, a: Connections, log: &log, name: "stalled"}
			b.Fragments, b.Flows, b.Stalled = frags.shed, young.shed, stalled.shed
			frags.add(100)
			frags.add(100)
			young.add(100)
			young.add(100)
			ha, hb, hc := newBuf(b, &log, "a"), newBuf(b, &log, "b"), newBuf(b, &log, "c")
			ha.draw(100)
			hb.draw(100)
			hc.draw(100)
			b.Confirm(&hc.h) // never shed
			stalled.add(100)
			req := newBuf(b, &log, "req")
			req.draw(100) // the drawing holder is never shed
			if b.Used() != 900 {
				t.Fatalf("used %d", b.Used())
			}
			// 900 used: a draw of 800 needs 700 freed, all that the policy may shed
			var ok bool
			switch {
			case tc.frag:
				ok = b.Draw(nil, Fragments, 800)
			case tc.holder:
				ok = req.draw(800)
			default:
				ok = b.Draw(nil, Connections, 800)
			}
			if got := strings.Join(log, " "); got != tc.want {
				t.Errorf("shed order %q, want %q", got, tc.want)
			}
			if ok == tc.refused {
				t.Errorf("draw granted %v, want %v", ok, !tc.refused)
			}
			if hc.shed || (tc.holder && req.shed) {
				t.Error("a confirmed holder or the drawing one was shed")
			}
			if b.Used() > b.Max {
				t.Errorf("used %d over max %d", b.Used(), b.Max)
			}
			wantShed := 2
			switch {
			case tc.frag:
				wantShed = 0
			case !tc.holder:
				wantShed = 3 // a, b and req
			}
			var nShed int
			for _, r := range reports {
				if strings.HasSuffix(r, " true") {
					nShed++
				}
			}
			if nShed != wantShed || (tc.refused && reports[len(reports)-1] != "- fragments false") {
				t.Errorf("reports %q", reports)
			}
		})
	}
}

// TestShedStopsWhenEnough checks that shedding stops once the draw fits, oldest first.
func TestShedStopsWhenEnough(t *testing.T) {
	b := &Budget{Max: 1000}
	var log []string
	hs := make([]*buf, 5)
	for i := range hs {
		hs[i] = newBuf(b, &log, fmt.Sprint(i))
		hs[i].draw(200)
	}
	// 1000 used: hs[0] draws 1 more, so hs[1] (the oldest other) goes
	if !hs[0].draw(1) {
		t.Fatal("refused")
	}
	if strings.Join(log, " ") != "holder 1" {
		t.Fatalf("shed %q", log)
	}
	if b.Used() != 801 || hs[0].h.Held() != 201 {
		t.Fatalf("used %d, held %d", b.Used(), hs[0].h.Held())
	}
	// once a holder released everything it is unlinked: shedding skips nothing stale
	b.Release(&hs[2].h, Records, 200)
	hs[2].n = 0
	log = nil
	// 601 used: a connection of 600 needs 201, the oldest holder (hs[0], 201) is enough
	if !b.Draw(nil, Connections, 600) || strings.Join(log, " ") != "holder 0" {
		t.Fatalf("shed %q", log)
	}
}

// TestUnlimited checks that Max 0 never sheds.
func TestUnlimited(t *testing.T) {
	b := &Budget{}
	var log []string
	x := newBuf(b, &log, "x")
	if !x.draw(1<<40) || !b.Draw(nil, Connections, 1<<40) || len(log) != 0 {
		t.Fatal("an unlimited budget shed or refused")
	}
}
