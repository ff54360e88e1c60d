// Package budget is the memory budget of one engine (one shard): a byte counter that every
// buffer growing with attacker input draws on, divided into accounts (connections, TCP
// reassembly, IP fragments, SSL records, ...) for the figures, with the policy that sheds
// state when a draw would go over (docs/RELIABILITY.md, "Memory budget").
//
// A Budget is owned by one goroutine (its engine): plain counters, no atomics or locks.
// Each cap a component already has (per connection, per message) stays in force inside it.
//
// Shedding, when a draw does not fit, in this order:
//
//  1. Fragments: IP datagrams never completed, oldest first (the engine's decoder);
//  2. state of the drawing kind, oldest first: a new connection (a draw without a holder)
//     sheds half-open TCP connections and unconfirmed UDP flows (Flows, the engine's); a
//     buffer (a draw by a Holder) sheds the buffers of other holders whose analyzer has not
//     confirmed, never its own;
//  3. then the other kind, oldest first;
//  4. then established connections no analyzer confirmed (Stalled, the engine's), oldest
//     first;
//  5. nothing else: confirmed holders and connections are never shed. A draw that still
//     does not fit is refused, and the caller drops what it wanted to add (its own cap
//     path).
//
// Every shed holder and every refused draw is reported through Report.
package budget

import "github.com/tlsmon/tlsmon"

// Account names what a draw is for (Stats.Used has one figure per account).
type Account uint8

// The accounts.
const (
	Connections Account = iota // connection state (a fixed cost per connection)
	Reassembly                 // TCP out-of-order bytes (stream.Pool)
	Fragments                  // IP fragment reassembly (packet.Decoder)
	Records                    // SSL/TLS record gathering buffers (ssl)
	Handshake                  // SSL/TLS handshake message buffers (ssl)
	DTLS                       // DTLS fragment reassembly (dtls)
	QUIC                       // QUIC CRYPTO reassembly (quic)
	Sessions                   // analyzer state made on a connection's first bytes (ssl sessions)
	NumAccounts
)

var accountNames = [NumAccounts]string{"connections", "reassembly", "fragments", "records", "handshake", "dtls", "quic", "sessions"}

// String is the account's name, as weird.log's addl and the summary show it.
func (a Account) String() string {
	if a < NumAccounts {
		return accountNames[a]
	}
	return "unknown"
}

// Shedder frees state to make room: it returns the bytes it released (by Release calls).
// It is asked for at least need bytes and may free more (to amortise its work). It must
// not draw.
type Shedder func(need int64) int64

// Sheddable is the owner of a Holder: Shed must release everything the holder drew (its
// Release calls unlink it) and stop the owner from drawing for the same state again.
type Sheddable interface {
	Shed()
}

// Holder is one buffer owner's share of a budget (an analyzer's buffers, say). The zero
// value is ready. An unconfirmed holder is linked in the budget's list (oldest first) from
// its first draw until Forget, even while it holds nothing (so that a session that gathers
// record after record links once, not once per record); shedding skips and unlinks those
// holding nothing.
type Holder struct {
	prev, next *Holder
	held       int64
	confirmed  bool
	linked     bool
	acct       Account // of its last draw
	owner      Sheddable
	// Conn is the connection the holder belongs to (for the weird when it is shed); may be nil.
	Conn *tlsmon.Conn
}

// Held returns the bytes the holder has drawn.
func (h *Holder) Held() int64 { return h.held }

// Init sets the holder's owner and connection; the holder must hold nothing.
func (h *Holder) Init(owner Sheddable, conn *tlsmon.Conn) {
	*h = Holder{owner: owner, Conn: conn}
}

// list is a doubly linked list of holders, oldest first.
type list struct{ head, tail *Holder }

func (l *list) push(h *Holder) {
	h.prev, h.next = l.tail, nil
	if l.tail != nil {
		l.tail.next = h
	} else {
		l.head = h
	}
	l.tail = h
}

func (l *list) remove(h *Holder) {
	if h.prev != nil {
		h.prev.next = h.next
	} else {
		l.head = h.next
	}
	if h.next != nil {
		h.next.prev = h.prev
	} else {
		l.tail = h.prev
	}
	h.prev, h.next = nil, nil
}

// Budget is one engine's memory budget. Set Max (0: unlimited) and Report before use.
type Budget struct {
	Max  int64
	used int64
	acct [NumAccounts]int64
	peak int64
	// Report is told of every shed holder (shed true) and every refused draw (holder h may
	// be nil for a draw without one; conn is the connection when there is one).
	Report func(conn *tlsmon.Conn, a Account, shed bool)

	// Fragments, Flows and Stalled are the shedders of steps 1, 2/3 and 4 of the package
	// comment (nil: none); they report what they shed themselves.
	Fragments, Flows, Stalled Shedder

	unconfirmd list // holders of unconfirmed analyzers, oldest first
	stats      Stats
	shedding   bool // a shed is running (no nested shedding)
}

// Forget unlinks h (its owner is done with the budget; it must hold nothing).
func (b *Budget) Forget(h *Holder) {
	if b != nil && h.linked {
		b.unconfirmd.remove(h)
		h.linked = false
	}
}

// Stats are a budget's counters.
type Stats struct {
	Max, Used, Peak int64
	Accounts        [NumAccounts]int64 // bytes drawn now per account
	Refused         uint64             // draws refused
	Shed            uint64             // holders shed and shedder calls that freed something
	ShedBytes       int64              // bytes released by shedding
}

// Stats returns the counters.
func (b *Budget) Stats() Stats {
	s := b.stats
	s.Max, s.Used, s.Peak, s.Accounts = b.Max, b.used, b.peak, b.acct
	return s
}

// Used returns the bytes drawn now.
func (b *Budget) Used() int64 { return b.used }

// fits reports whether n more bytes fit.
func (b *Budget) fits(n int64) bool { return b.Max <= 0 || b.used+n <= b.Max }

// Draw takes n bytes for account a on behalf of holder h (nil: state without a holder,
// such as a connection or a fragment). A nil Budget grants every draw. When they do not fit, it sheds state by the policy
// in the package comment; when they still do not fit, it refuses (false), reports it, and
// the caller must not add the state.
func (b *Budget) Draw(h *Holder, a Account, n int64) bool {
	if n <= 0 {
		return true
	}
	if b == nil {
		return true
	}
	if !b.fits(n) && !b.makeRoom(h, a, n) {
		b.stats.Refused++
		if b.Report != nil {
			var c *tlsmon.Conn
			if h != nil {
				c = h.Conn
			}
			b.Report(c, a, false)
		}
		return false
	}
	b.take(h, a, n)
	return true
}

// DrawQuiet is Draw without the report of a refusal: for a caller that reports it itself
// (with its connection).
func (b *Budget) DrawQuiet(a Account, n int64) bool {
	if b == nil || n <= 0 {
		return true
	}
	if !b.fits(n) && !b.makeRoom(nil, a, n) {
		b.stats.Refused++
		return false
	}
	b.take(nil, a, n)
	return true
}

// Force takes n bytes even over the budget (for state the caller cannot refuse, such as a
// buffer already in use); it sheds others first if needed.
func (b *Budget) Force(h *Holder, a Account, n int64) {
	if b == nil || n <= 0 {
		return
	}
	if !b.fits(n) {
		b.makeRoom(h, a, n)
	}
	b.take(h, a, n)
}

func (b *Budget) take(h *Holder, a Account, n int64) {
	b.used += n
	b.acct[a] += n
	if b.used > b.peak {
		b.peak = b.used
	}
	if h != nil {
		if !h.linked && !h.confirmed {
			b.unconfirmd.push(h)
			h.linked = true
		}
		h.held += n
		h.acct = a
	}
}

// Release gives back n bytes of account a drawn by holder h (nil if drawn without one).
func (b *Budget) Release(h *Holder, a Account, n int64) {
	if b == nil || n <= 0 {
		return
	}
	b.used -= n
	b.acct[a] -= n
	if h != nil {
		h.held -= n
	}
}

// Confirm marks h as belonging to a confirmed session: it is never shed from now on.
func (b *Budget) Confirm(h *Holder) {
	b.Forget(h)
	h.confirmed = true
}

// Confirmed reports whether Confirm was called for h (since its Init).
func (h *Holder) Confirmed() bool { return h.confirmed }

// makeRoom sheds state until n more bytes fit; requester is the holder drawing (never
// shed), nil for a draw without one. A fragment draw sheds only other fragments.
func (b *Budget) makeRoom(requester *Holder, a Account, n int64) bool {
	if b.shedding {
		return false
	}
	b.shedding = true
	before := b.used
	b.shed(b.Fragments, n)
	if a == Fragments {
		// fragments shed only fragments
	} else if requester == nil {
		b.shed(b.Flows, n)
		b.shedHolders(nil, n)
	} else {
		b.shedHolders(requester, n)
		b.shed(b.Flows, n)
	}
	if a != Fragments {
		b.shed(b.Stalled, n)
	}
	b.shedding = false
	b.stats.ShedBytes += before - b.used
	return b.fits(n)
}

// shed calls s (if any) when n bytes do not fit yet.
func (b *Budget) shed(s Shedder, n int64) {
	if s == nil || b.fits(n) {
		return
	}
	if s(b.used+n-b.Max) > 0 {
		b.stats.Shed++
	}
}

// shedHolders sheds unconfirmed holders, oldest first, other than requester, until n
// bytes fit.
func (b *Budget) shedHolders(requester *Holder, n int64) {
	for h := b.unconfirmd.head; h != nil && !b.fits(n); {
		next := h.next
		switch {
		case h == requester:
		case h.held <= 0:
			b.Forget(h)
		default:
			b.stats.Shed++
			a := h.acct
			h.owner.Shed()
			b.Forget(h) // one that kept some is no candidate any more (its bytes stay counted)
			h.confirmed = true
			if b.Report != nil {
				b.Report(h.Conn, a, true)
			}
		}
		h = next
	}
}
