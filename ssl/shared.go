package ssl

import "github.com/tlsmon/tlsmon/budget"

// Config are the SSL analyzer's limits (engine.Options.SSL). Zero values take the defaults.
type Config struct {
	// MaxHandshakeMessage is the largest handshake message body buffered for parsing;
	// larger messages are skipped and reported with the weird
	// "SSL_handshake_message_too_large" (DefaultMaxHandshakeMessage).
	MaxHandshakeMessage int
	// MaxHandshakeFragments is the most records one handshake message may be split over;
	// beyond it the message is skipped and "SSL_handshake_too_fragmented" is reported
	// (DefaultMaxHandshakeFragments).
	MaxHandshakeFragments int
	// Budget, if set, is the engine's memory budget: the gathering buffers of records split
	// over segments draw on it, each session as one holder (budget.Holder), shed while its
	// connection is unconfirmed (docs/RELIABILITY.md, "Memory budget").
	Budget *budget.Budget
	// Events, when set, tells which events (by Zeek's name) someone reads: the analyzers
	// do not raise the optional ones it says no to (eventKind), as Zeek raises no event
	// without a handler. Nil: every event.
	Events func(name string) bool
	// EventArgs, when set, narrows what is read of an event to some values of its key
	// argument: ssl_extension's code, ssl_plaintext_data's content type. It returns the
	// values someone reads of the event of that name and true, or false when every value
	// is read. An event with another value is not raised, unless it would be the
	// connection's first of that name (a reader may open its state for a connection on
	// any of its events, as ssl.log does). Nil: every value.
	EventArgs func(name string) (values []uint64, some bool)
}

// The default limits.
const (
	DefaultMaxHandshakeMessage   = 1 << 20
	DefaultMaxHandshakeFragments = 4096
)

func (c *Config) defaults() {
	if c.MaxHandshakeMessage <= 0 {
		c.MaxHandshakeMessage = DefaultMaxHandshakeMessage
	}
	if c.MaxHandshakeFragments <= 0 {
		c.MaxHandshakeFragments = DefaultMaxHandshakeFragments
	}
}

// Shared is what the SSL and DTLS analyzers of one engine (or shard) share: their limits,
// the handshake-message cache (hs_cache.go) and the free lists of buffers, event emitters
// and sessions. It belongs to one goroutine (the engine's): nothing in it is locked, and
// nothing on the analysis path is shared between engines. A nil *Shared is valid: default
// limits, no cache, nothing recycled (what New and NewHandshake use).
type Shared struct {
	cfg      Config
	cache    *msgCache // nil: none
	bufs     bufFree
	emitters freeList[emitter]
	events   *emitEvents // the event structs of its emitters (emit.go)
	sessions freeList[session]
	unread   eventSet   // the optional events not raised (Config.Events)
	args     *argFilter // the values read of ssl_extension and ssl_plaintext_data (Config.EventArgs); nil: all
}

// maxFreeSessions bounds the free list of sessions.
const maxFreeSessions = 1024

// NewShared returns the shared state of one engine's SSL and DTLS analyzers, with a
// handshake-message cache.
func NewShared(cfg Config) *Shared {
	cfg.defaults()
	sh := &Shared{cfg: cfg, emitters: freeList[emitter]{max: 512}, sessions: freeList[session]{max: maxFreeSessions},
		unread: unreadEvents(cfg.Events), args: newArgFilter(cfg.EventArgs)}
	sh.cache = &msgCache{sh: sh}
	sh.events = new(emitEvents)
	return sh
}

// eventStructs returns the event structs of sh's emitters (new ones for a nil Shared).
func (sh *Shared) eventStructs() *emitEvents {
	if sh == nil {
		return new(emitEvents)
	}
	return sh.events
}

// Budget returns the memory budget of Config.Budget (nil for a nil Shared or none): the
// DTLS analyzers sharing sh draw their fragment buffers on it too.
func (sh *Shared) Budget() *budget.Budget {
	if sh == nil {
		return nil
	}
	return sh.cfg.Budget
}

// config returns the limits (the defaults for a nil Shared).
func (sh *Shared) config() Config {
	if sh == nil {
		var c Config
		c.defaults()
		return c
	}
	return sh.cfg
}

// unreadEvents returns the optional events not raised (none for a nil Shared).
func (sh *Shared) unreadEvents() eventSet {
	if sh == nil {
		return 0
	}
	return sh.unread
}

// argFilter returns the values read of the filtered events (nil for a nil Shared: all).
func (sh *Shared) argFilter() *argFilter {
	if sh == nil {
		return nil
	}
	return sh.args
}

// msgCache returns the message cache (nil: none).
func (sh *Shared) msgCache() *msgCache {
	if sh == nil {
		return nil
	}
	return sh.cache
}
