package dtls

import (
	"fmt"

	"github.com/tlsmon/tlsmon"
	"github.com/tlsmon/tlsmon/analyzer"
	"github.com/tlsmon/tlsmon/ssl"
)

// IgnoreViolationsAfter is DPD::ignore_violations_after: once a connection carried more
// payload bytes than this, a violation no longer detaches the analyzer.
const IgnoreViolationsAfter = 10 * 1024

// Analyzer is the DTLS analyzer of one UDP connection. It implements analyzer.Analyzer
// and Control.
type Analyzer struct {
	env    *analyzer.Env
	sink   Sink    // made on first use (sinkNow): a flow that never looks like DTLS has none
	cfg    *Config // the Spec's, shared: the sink factory, the caps of frags
	*frags         // made on the first handshake record; dropped by release

	invalidVersions uint16 // Zeek's invalid_version_count_
	reportedErrors  uint16 // Zeek's reported_errors_
	bytes           uint64 // payload bytes delivered, both directions

	confirmed     bool
	skip          bool
	detachPending bool
	detached      bool
}

// frags is the handshake reassembly state of a connection that sent a handshake record.
type frags struct {
	client, server Reassembler // by direction: originator, responder
	mem            memAccount  // what client and server hold, against the caps
	weird          tlsmon.Weird
}

// Config chooses the sink and the memory caps of the DTLS analyzers of one Spec.
type Config struct {
	// NewSink builds each connection's sink; nil: NewSSLSink.
	NewSink SinkFactory
	// MaxConnBuffered caps the fragment reassembly buffers of one connection, bytes;
	// 0: DefaultMaxConnBuffered.
	MaxConnBuffered int
	// Budget is shared by all the connections of the Spec (global cap and counters); nil:
	// SpecConfig makes one of DefaultMaxBuffered bytes, New uses none.
	Budget *Budget
	// SSL is the engine's ssl.Shared (limits and free lists) the default sink's handshake
	// parser uses; nil: the ssl package's defaults, nothing recycled.
	SSL *ssl.Shared
}

// New creates the DTLS analyzer of a connection; newSink builds its sink. Its reassembly
// buffers have the default per-connection cap and no global one.
func New(env *analyzer.Env, newSink SinkFactory) *Analyzer {
	return NewConfig(env, Config{NewSink: newSink})
}

// NewConfig creates the DTLS analyzer of a connection with cfg's sink and caps.
func NewConfig(env *analyzer.Env, cfg Config) *Analyzer {
	cfg.defaults()
	return newAnalyzer(env, &cfg)
}

// defaults fills in the settings left zero.
func (cfg *Config) defaults() {
	if cfg.NewSink == nil {
		cfg.NewSink = SSLSinkShared(cfg.SSL)
	}
	if cfg.MaxConnBuffered <= 0 {
		cfg.MaxConnBuffered = DefaultMaxConnBuffered
	}
}

// newAnalyzer creates the analyzer of a connection with cfg, which has its defaults.
func newAnalyzer(env *analyzer.Env, cfg *Config) *Analyzer {
	return &Analyzer{env: env, cfg: cfg}
}

// fragsNow returns the reassembly state, making it on first use: a flow that never sends
// a handshake record (a flood of one-datagram flows to port 443) has none.
func (a *Analyzer) fragsNow() *frags {
	if a.frags == nil {
		f := &frags{mem: memAccount{max: a.cfg.MaxConnBuffered, budget: a.cfg.Budget, memory: a.cfg.SSL.Budget()}}
		f.client.mem = &f.mem
		f.server.mem = &f.mem
		a.frags = f
	}
	return a.frags
}

// sinkNow returns the sink, making it on first use: a UDP flow whose datagrams never get
// that far (a flood of one-datagram flows to port 443) costs no handshake parser.
func (a *Analyzer) sinkNow() Sink {
	if a.sink == nil {
		a.sink = a.cfg.NewSink(a.env, a)
	}
	return a.sink
}

// Spec returns the DTLS analyzer's attachment description: Zeek's name, dtls_ports and
// the dpd_dtls_client signature, with the SSL package's handshake parser as sink and the
// default memory caps.
func Spec() analyzer.Spec { return SpecConfig(Config{}) }

// SpecWith is Spec with another sink.
func SpecWith(newSink SinkFactory) analyzer.Spec { return SpecConfig(Config{NewSink: newSink}) }

// SpecConfig is Spec with cfg's sink and caps. All the connections of the returned Spec
// share one Budget.
func SpecConfig(cfg Config) analyzer.Spec {
	if cfg.Budget == nil {
		cfg.Budget = NewBudget(DefaultMaxBuffered)
	}
	cfg.defaults() // the default sink is made once, not per connection
	c := &cfg
	return analyzer.Spec{
		Name:     AnalyzerName,
		UDPPorts: Ports,
		Match:    Match,
		New:      func(env *analyzer.Env) analyzer.Analyzer { return newAnalyzer(env, c) },
	}
}

// DeliverPacket parses one datagram: every record in it, in order.
func (a *Analyzer) DeliverPacket(ts int64, isOrig bool, data []byte) {
	if a.skip || a.detached {
		return
	}
	a.bytes += uint64(len(data))
	if IsSTUN(data) {
		return
	}
	a.datagram(ts, isOrig, data)
	if a.detachPending {
		a.detached = true
		a.release()
		a.env.Detach()
	} else if a.skip {
		a.release()
	}
}

// release frees the reassembly buffers: nothing more will be reassembled.
func (a *Analyzer) release() {
	if a.frags != nil {
		a.client.Release()
		a.server.Release()
		a.frags = nil
	}
}

// Held returns the bytes the connection's reassembly buffers hold.
func (a *Analyzer) Held() int {
	if a.frags == nil {
		return 0
	}
	return a.mem.held
}

func (a *Analyzer) datagram(ts int64, isOrig bool, b []byte) {
	for len(b) > 0 {
		// a sink not made yet has negotiated nothing
		if IsUnifiedHeader(b[0]) && a.sink != nil && a.sink.NegotiatedVersion() == VersionDTLS13 {
			payload, err := zeekUnifiedPayload(b)
			if err != nil {
				a.exception(ts, err, b)
				return
			}
			a.sinkNow().Unified(ts, isOrig, len(payload))
			return // the payload runs to the end of the datagram
		}
		h, err := ParseRecordHeader(b)
		if err != nil {
			a.exception(ts, err, b)
			return
		}
		if !a.versionOK(ts, h.Version) {
			return // Zeek swallows the rest of the datagram
		}
		end := RecordHeaderLen + h.Length
		if len(b) < end {
			a.exception(ts, ErrShort, b)
			return
		}
		body := b[RecordHeaderLen:end]
		b = b[end:]
		if len(body) == 0 {
			continue // an empty record text has no element: nothing is raised
		}
		encrypted := h.Epoch != 0
		if !encrypted && h.ContentType == ContentHandshake {
			if !a.handshake(ts, isOrig, h, body) {
				return
			}
		}
		if err := a.sinkNow().Record(ts, isOrig, h.ContentType, h.Version, body, encrypted); err != nil {
			a.exception(ts, err, body)
			return
		}
	}
}

// handshake processes the handshake fragment that fills a plaintext handshake record. It
// returns false when the record cannot be parsed (the datagram is then abandoned).
func (a *Analyzer) handshake(ts int64, isOrig bool, h RecordHeader, body []byte) bool {
	hh, data, err := ParseHandshakeHeader(body)
	if err != nil {
		a.exception(ts, err, body)
		return false
	}
	f := a.fragsNow()
	r := &f.server
	if isOrig {
		r = &f.client
	}
	msg, ok, violation := r.Add(h.Seq, hh, data)
	if f.mem.weird(ts, a.env.Conn, &f.weird) {
		a.env.Events.HandleEvent(&f.weird)
	}
	if violation != "" {
		a.Violation(ts, violation, nil)
	}
	if ok {
		a.sinkNow().Handshake(ts, isOrig, h.Version, hh.MsgType, hh.Length, msg)
	}
	return true
}

// versionOK applies Zeek's dtls_version_ok: DTLS 1.0 and 1.2 are accepted (DTLS 1.3
// keeps 1.2 in its record headers); other versions are counted, reported once the analyzer
// is confirmed (up to MaxReportedVersionErrors), and after MaxVersionErrors of them without
// a valid record in between (counting restarts only once confirmed) parsing stops.
func (a *Analyzer) versionOK(ts int64, v uint16) bool {
	if v == VersionDTLS10 || v == VersionDTLS12 {
		if a.confirmed {
			a.invalidVersions = 0
		}
		return true
	}
	a.invalidVersions++
	if a.confirmed {
		a.reportedErrors++
		if a.reportedErrors <= MaxReportedVersionErrors {
			a.Violation(ts, fmt.Sprintf("Invalid version in DTLS connection. Packet reported version: %d", v), nil)
		}
	}
	if a.invalidVersions > MaxVersionErrors {
		a.skip = true
	}
	return false
}

func (a *Analyzer) exception(ts int64, err error, data []byte) {
	a.Violation(ts, "Binpac exception: "+err.Error(), data)
}

// Violation raises analyzer_violation_info for DTLS and, as Zeek's dpd.zeek does, detaches
// the analyzer once the current datagram is done, unless the connection already carried
// more than IgnoreViolationsAfter bytes.
func (a *Analyzer) Violation(ts int64, reason string, data []byte) {
	a.env.Events.HandleEvent(&tlsmon.AnalyzerViolation{
		Meta:     tlsmon.Meta{Ts: ts, Conn: a.env.Conn},
		Analyzer: AnalyzerName,
		Reason:   reason,
		Data:     data,
		Ignored:  a.bytes > IgnoreViolationsAfter,
	})
	if a.bytes <= IgnoreViolationsAfter {
		a.detachPending = true
	}
}

// Confirm raises analyzer_confirmation_info for DTLS the first time it is called.
func (a *Analyzer) Confirm(ts int64) {
	if a.confirmed {
		return
	}
	a.confirmed = true
	a.env.Events.HandleEvent(&tlsmon.AnalyzerConfirmation{
		Meta:     tlsmon.Meta{Ts: ts, Conn: a.env.Conn},
		Analyzer: AnalyzerName,
	})
}

// Skip stops the parsing of later datagrams.
func (a *Analyzer) Skip() { a.skip = true }

// DetachLater detaches the analyzer once the current datagram is done.
func (a *Analyzer) DetachLater() { a.detachPending = true }

// Confirmed reports whether Confirm was called.
func (a *Analyzer) Confirmed() bool { return a.confirmed }

// DeliverStream is not used: DTLS runs over UDP.
func (a *Analyzer) DeliverStream(int64, bool, []byte) {}

// Gap is not used: DTLS runs over UDP.
func (a *Analyzer) Gap(int64, bool, uint64) {}

// EndOfData forwards to the sink.
func (a *Analyzer) EndOfData(ts int64, isOrig bool) {
	if !a.detached {
		a.sinkNow().EndOfData(ts, isOrig)
	}
}

// Done forwards to the sink (unless the analyzer detached) and frees the reassembly
// buffers; a sink that recycles its state (the ssl sink) then does so.
func (a *Analyzer) Done(ts int64) {
	a.release()
	if !a.detached {
		a.sinkNow().Done(ts)
	}
	if r, ok := a.sink.(recycler); ok {
		r.recycle()
	}
}

// recycler is a sink whose state can be recycled once its analyzer is done, whether or not
// it detached (the ssl sink gives its handshake's event structs back to their pool).
type recycler interface{ recycle() }

var (
	_ analyzer.Analyzer = (*Analyzer)(nil)
	_ Control           = (*Analyzer)(nil)
)
