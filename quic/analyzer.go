package quic

import (
	"github.com/tlsmon/tlsmon"
	"github.com/tlsmon/tlsmon/analyzer"
	"github.com/tlsmon/tlsmon/budget"
	"github.com/tlsmon/tlsmon/ssl"
)

// DefaultMaxBuffered is the default cap on the out-of-order CRYPTO bytes one connection
// holds (both directions together). A ClientHello may not exceed 2^14 + 256 bytes, so
// this leaves room for every legitimate message.
const DefaultMaxBuffered = 64 << 10

// WeirdCryptoBufferLimit is the weird raised (once per connection) when CRYPTO data was
// dropped because of the buffering cap.
const WeirdCryptoBufferLimit = "QUIC_crypto_buffer_limit"

// Config holds the QUIC analyzer's settings.
type Config struct {
	// MaxBuffered caps the out-of-order CRYPTO bytes held per connection; 0:
	// DefaultMaxBuffered.
	MaxBuffered int
	// NewSSL creates the SSL analyzer the handshake is handed to; nil: ssl.New.
	NewSSL analyzer.Factory
	// Budget, if set, is the engine's memory budget: the CRYPTO bytes held past holes draw
	// on it (budget.QUIC), within MaxBuffered (budget.go).
	Budget *budget.Budget

	sc *scratch // decryption buffers of the Spec's analyzers (one goroutine's: see SpecConfig)
}

// Analyzer is the QUIC analyzer of one UDP connection. Until a datagram starts with a
// long-header packet of a version it handles it holds only the counters Zeek's weirds
// need: its handshake state is made then, and dropped when the analysis stops, so a flood
// of flows that never look like QUIC costs little.
type Analyzer struct {
	env    *analyzer.Env
	cfg    *Config // the Spec's, shared
	*state         // nil until a long-header packet parses; nil again once stopped

	ts         int64
	bytes      uint64    // datagram bytes seen, both directions (DPD::ignore_violations_after)
	shortTotal [2]uint64 // short-header packets by direction (shortHeader)
	discarded  uint8     // datagram rests with the fixed bit clear, counted up to maxDiscardedEvents+1
	isOrig     bool
	skip       bool
}

// state is the handshake state of a connection that sent a long-header packet.
type state struct {
	child       analyzer.Analyzer // the SSL analyzer; nil until a long-header packet
	childEnv    analyzer.Env
	childGone   bool // the SSL analyzer detached itself
	dir         [2]direction
	dcid        []byte // Destination Connection ID of the client's first decrypted Initial
	haveDCID    bool
	clientCIDLn int // Zeek's client_cid_len: the connection ID length of short headers

	confirmed bool
	weirded   bool
	fw        forwardFunc
	sess      session   // what Zeek's QUIC script knows (session.go)
	mem       cryptoMem // the CRYPTO bytes' draw on the memory budget (budget.go)
}

// ignoreViolationsAfter is DPD::ignore_violations_after: a violation once more bytes went
// through the connection does not make the analyzer fail (its service stays).
const ignoreViolationsAfter = 10 * 1024

// direction is one side's decryption and CRYPTO state.
type direction struct {
	cs      cryptoStream
	open    *Opener
	version uint32 // the version open was derived for
}

// New creates the QUIC analyzer of a connection with the default settings.
func New(env *analyzer.Env) analyzer.Analyzer { return NewConfig(env, Config{}) }

// NewConfig creates the QUIC analyzer of a connection.
func NewConfig(env *analyzer.Env, cfg Config) *Analyzer {
	cfg.defaults()
	return newAnalyzer(env, &cfg)
}

// newAnalyzer creates the analyzer of a connection with cfg, which has its defaults.
func newAnalyzer(env *analyzer.Env, cfg *Config) *Analyzer { return &Analyzer{env: env, cfg: cfg} }

// defaults fills in the settings left zero.
func (cfg *Config) defaults() {
	if cfg.MaxBuffered <= 0 {
		cfg.MaxBuffered = DefaultMaxBuffered
	}
	if cfg.NewSSL == nil {
		cfg.NewSSL = ssl.New
	}
	if cfg.sc == nil {
		cfg.sc = &scratch{}
	}
}

// ensureState makes the handshake state and the SSL analyzer the handshake goes to, if
// there are none.
func (a *Analyzer) ensureState() {
	if a.state == nil {
		a.state = &state{}
		a.fw = a.forward
		a.initMem(a, a.cfg.Budget)
	}
	a.ensureChild()
}

// cidLen is the connection ID length of short headers (0 until an Initial was decrypted).
func (a *Analyzer) cidLen() int {
	if a.state == nil {
		return 0
	}
	return a.clientCIDLn
}

// scratch holds the buffers for decryption (plaintext, unprotected header), shared by the
// analyzers of one Spec: they run on one goroutine, one packet at a time.
type scratch struct{ plain, hdr []byte }

// DeliverPacket parses the QUIC packets of one datagram.
func (a *Analyzer) DeliverPacket(ts int64, isOrig bool, data []byte) {
	if a.skip {
		return
	}
	a.ts, a.isOrig = ts, isOrig
	a.bytes += uint64(len(data))
	for len(data) > 0 && !a.skip {
		first := data[0]
		if first&0x40 == 0 {
			a.discardedPacket()
			return // fixed bit clear: Zeek discards the rest of the datagram
		}
		if first&0x80 == 0 {
			if len(data) < 1+a.cidLen() {
				a.violation(errTruncated.Error(), data)
				return
			}
			a.shortHeader()
			return // a short header packet runs to the end of the datagram
		}
		h, err := parseLong(data)
		if err != nil {
			a.violation(err.Error(), data)
			return
		}
		a.ensureState()
		a.longPacket(h.ptype)
		pkt := data[:h.size]
		data = data[h.size:]
		if h.ptype == typeRetry {
			a.resetCrypto()
			continue
		}
		if !a.canDecrypt(&h, isOrig) {
			continue
		}
		a.packet(&h, pkt, isOrig)
	}
}

// canDecrypt is Zeek's test: an Initial, of a direction whose message is not complete yet,
// and for the server only once the client's Destination Connection ID is known.
func (a *Analyzer) canDecrypt(h *longHeader, isOrig bool) bool {
	if h.ptype != typeInitial {
		return false
	}
	if !isOrig && !a.haveDCID {
		return false
	}
	return !a.dir[dirIndex(isOrig)].cs.finished
}

// packet decrypts one Initial and handles its frames.
func (a *Analyzer) packet(h *longHeader, pkt []byte, isOrig bool) {
	if isOrig {
		a.clientCIDLn = len(h.scid)
		if !a.haveDCID {
			a.dcid = append(a.dcid[:0], h.dcid...)
			a.haveDCID = true
		}
	} else {
		a.clientCIDLn = len(h.dcid)
	}
	d := &a.dir[dirIndex(isOrig)]
	if d.open == nil || d.version != h.version {
		k, err := InitialKeys(h.version, a.dcid, isOrig)
		if err != nil {
			a.violation(err.Error(), pkt)
			return
		}
		if d.open, err = NewOpener(k); err != nil {
			a.violation(err.Error(), pkt)
			return
		}
		d.version = h.version
	}
	sc := a.cfg.sc
	plain, hdr, err := d.open.Open(sc.plain[:0], sc.hdr[:0], pkt, h.pnOffset, h.length)
	sc.plain, sc.hdr = plain[:0], hdr[:0]
	if err == nil && len(plain) == 0 {
		err = errDecrypt
	}
	if err != nil {
		a.violation(err.Error(), pkt)
		return
	}
	a.confirm()
	a.sess.decrypted++
	if err := parseFrames(plain, h.ptype, a); err != nil {
		a.violation(err.Error(), pkt)
	}
}

// crypto takes the data of a CRYPTO frame of the current packet's direction.
func (a *Analyzer) crypto(off uint64, b []byte) error {
	if a.skip { // shed by the memory budget at an earlier frame of the packet
		return nil
	}
	room := a.cfg.MaxBuffered - a.dir[0].cs.held() - a.dir[1].cs.held()
	cs := &a.dir[dirIndex(a.isOrig)].cs
	dropped, err := cs.write(off, b, room, a.fw)
	if dropped {
		a.capWeird()
	}
	if cs.refused { // reported by the budget: stop as if shed
		a.Shed()
	}
	return err
}

// ensureChild attaches the SSL analyzer the handshake goes to, if there is none.
func (a *Analyzer) ensureChild() {
	if a.child != nil {
		return
	}
	a.childEnv = analyzer.Env{
		Conn:    a.env.Conn,
		Events:  childEvents{a},
		Detach:  func() { a.childGone = true },
		Options: a.env.Options,
	}
	a.childGone = false
	a.child = a.cfg.NewSSL(&a.childEnv)
}

// forward hands CRYPTO bytes to the SSL analyzer as stream data.
func (a *Analyzer) forward(b []byte) {
	if a.child != nil && !a.childGone {
		a.child.DeliverStream(a.ts, a.isOrig, b)
	}
}

// resetCrypto is Zeek's reset after a Retry: the SSL analyzer is closed and all crypto
// state dropped; the next packet starts afresh.
func (a *Analyzer) resetCrypto() {
	a.closeChild()
	for i := range a.dir {
		a.dir[i].cs.reset()
		a.dir[i].open = nil
	}
	a.haveDCID = false
}

func (a *Analyzer) closeChild() {
	if a.child == nil {
		return
	}
	if !a.childGone {
		a.child.EndOfData(a.ts, true)
		a.child.EndOfData(a.ts, false)
		a.child.Done(a.ts)
	}
	a.child = nil
}

func (a *Analyzer) confirm() {
	if a.confirmed {
		return
	}
	a.confirmed = true
	a.env.Events.HandleEvent(&tlsmon.AnalyzerConfirmation{
		Meta:     tlsmon.Meta{Ts: a.ts, Conn: a.env.Conn},
		Analyzer: AnalyzerName,
	})
}

// violation raises analyzer_violation_info for QUIC and stops the analysis of the
// connection, as Zeek's Spicy glue does after a parse error (SetSkip).
func (a *Analyzer) violation(reason string, data []byte) {
	a.env.Events.HandleEvent(&tlsmon.AnalyzerViolation{
		Meta:     tlsmon.Meta{Ts: a.ts, Conn: a.env.Conn},
		Analyzer: AnalyzerName,
		Reason:   reason,
		Data:     data,
		Ignored:  a.bytes > ignoreViolationsAfter,
	})
	a.stop()
	a.env.Detach()
}

func (a *Analyzer) stop() {
	a.skip = true
	if a.state != nil {
		a.closeChild()
		a.releaseMem()
		a.state = nil // its buffers and keys go with it
	}
}

func (a *Analyzer) capWeird() {
	if a.weirded {
		return
	}
	a.weirded = true
	a.env.Events.HandleEvent(&tlsmon.Weird{
		Meta:      tlsmon.Meta{Ts: a.ts, Conn: a.env.Conn},
		WeirdName: WeirdCryptoBufferLimit,
		Source:    AnalyzerName,
	})
}

// DeliverStream is unused: QUIC runs over UDP.
func (a *Analyzer) DeliverStream(int64, bool, []byte) {}

// Gap is unused: QUIC runs over UDP.
func (a *Analyzer) Gap(int64, bool, uint64) {}

// EndOfData needs no action.
func (a *Analyzer) EndOfData(int64, bool) {}

// Done closes the SSL analyzer and frees the connection's state.
func (a *Analyzer) Done(ts int64) {
	a.ts = ts
	a.stop()
}

func dirIndex(isOrig bool) int {
	if isOrig {
		return 0
	}
	return 1
}

var _ analyzer.Analyzer = (*Analyzer)(nil)
