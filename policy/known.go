package policy

import (
	tlsmon "github.com/tlsmon/tlsmon"
	"github.com/tlsmon/tlsmon/zeeklog"
)

// KnownCertsColumns are known_certs.log's columns (Known::CertsInfo).
var KnownCertsColumns = []zeeklog.Column{
	{Name: "ts", Type: "time"}, {Name: "host", Type: "addr"}, {Name: "port_num", Type: "port"}, {Name: "subject", Type: "string"},
	{Name: "issuer_subject", Type: "string"}, {Name: "serial", Type: "string"},
}

// knownExpiry is how long a (host, certificate) pair stays known: Known::certs'
// &create_expire=1day, counted in network time from when the pair was added.
const knownExpiry = oneDay

// defaultMaxKnown bounds the known set (Config.MaxKnownCerts); beyond it (after dropping
// expired pairs) a new pair is logged but not remembered (counted in Site.Dropped).
const defaultMaxKnown = 1 << 20

type knownKey struct {
	host [16]byte
	sha1 [20]byte
}

// knownCerts is known-certs: at ssl_established, the server's end-entity certificate is
// logged once per (server address, certificate SHA-1) while the pair stays known.
type knownCerts struct {
	w       zeeklog.Writer
	added   map[knownKey]int64 // when each pair was added
	vals    []zeeklog.Value
	err     error
	sweepAt int
	dropped *uint64
	weirds  tlsmon.Handler
	max     int
}

func newKnownCerts(dropped *uint64, max int) *knownCerts {
	return &knownCerts{added: map[knownKey]int64{}, sweepAt: 1024, dropped: dropped, max: max}
}

// seen logs the certificate of the server of c (its SHA-1, subject, issuer and serial) at
// ts unless the pair is known.
func (k *knownCerts) seen(ts int64, c *tlsmon.Conn, sha1 [20]byte, subject, issuer, serial string) {
	key := knownKey{host: c.ID.RespH.As16(), sha1: sha1}
	if at, ok := k.added[key]; ok && ts < at+knownExpiry {
		return
	}
	if len(k.added) >= k.sweepAt {
		for kk, at := range k.added {
			if ts >= at+knownExpiry {
				delete(k.added, kk)
			}
		}
		k.sweepAt = max(1024, 2*len(k.added))
	}
	if len(k.added) < k.max {
		k.added[key] = ts
	} else {
		*k.dropped++
		capWeird(k.weirds, ts, c, "policy_known_certs_cap")
	}
	if k.w == nil {
		return
	}
	k.vals = append(k.vals[:0], zeeklog.Time(ts), zeeklog.Addr(c.ID.RespH), zeeklog.Port(c.ID.RespP),
		zeeklog.String(subject), zeeklog.String(issuer), zeeklog.String(serial))
	if err := k.w.Write(k.vals); err != nil && k.err == nil {
		k.err = err
	}
}

// knownLog is known_certs.log's builder; its rows come from the SSL extension.
type knownLog struct{ k *knownCerts }

func (*knownLog) HandleEvent(tlsmon.Event) {}

// SetWeirdEvents receives the log set's weird.log (zeeklog.WeirdRaiser).
func (l *knownLog) SetWeirdEvents(h tlsmon.Handler) { l.k.weirds = h }

func (l *knownLog) Close(ts int64) error {
	err := l.k.err
	if cerr := l.k.w.Close(ts); err == nil {
		err = cerr
	}
	return err
}
