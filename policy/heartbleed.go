package policy

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	tlsmon "github.com/tlsmon/tlsmon"
)

// Heartbleed's minimum heartbeat lengths per cipher suite (the suffix the cipher name
// must end with): the first match decides. TLS 1.1 and 1.2 have their own list.
type minLength struct {
	suffix string
	min    uint64
}

var (
	minLengthsTLS11 = []minLength{{"_AES_256_GCM_SHA384", 43}, {"_AES_128_GCM_SHA256", 43},
		{"_256_CBC_SHA384", 96}, {"_256_CBC_SHA256", 80}, {"_256_CBC_SHA", 64}, {"_128_CBC_SHA256", 80},
		{"_128_CBC_SHA", 64}, {"_3DES_EDE_CBC_SHA", 48}, {"_SEED_CBC_SHA", 64}, {"_IDEA_CBC_SHA", 48},
		{"_DES_CBC_SHA", 48}, {"_DES40_CBC_SHA", 48}, {"_RC4_128_SHA", 39}, {"_RC4_128_MD5", 35},
		{"_RC4_40_MD5", 35}, {"_RC2_CBC_40_MD5", 48}}
	minLengths = []minLength{{"_256_CBC_SHA", 48}, {"_128_CBC_SHA", 48}, {"_3DES_EDE_CBC_SHA", 40},
		{"_SEED_CBC_SHA", 48}, {"_IDEA_CBC_SHA", 40}, {"_DES_CBC_SHA", 40}, {"_DES40_CBC_SHA", 40},
		{"_RC4_128_SHA", 39}, {"_RC4_128_MD5", 35}, {"_RC4_40_MD5", 35}, {"_RC2_CBC_40_MD5", 40}}
)

// heartbeat is heartbleed's ssl_heartbeat handler (unencrypted heartbeats).
func (x *sslExt) heartbeat(ts int64, c *tlsmon.Conn, s *connState, ev *tlsmon.SSLHeartbeat) {
	if ev.HeartbeatType == 1 {
		check := ev.Length
		if ev.Length >= 3+16 {
			check = ev.Length - 3 - 16
		}
		switch {
		case ev.PayloadLength > check:
			s.heartbleed = true
			x.site.raise(&Notice{Ts: ts, Conn: c, Note: "Heartbleed::SSL_Heartbeat_Attack",
				Msg: fmt.Sprintf("An TLS heartbleed attack was detected! Record length %d. Payload length %d",
					ev.Length, ev.PayloadLength),
				Identifier: fmt.Sprintf("%s%d%d", c.UID, ev.Length, ev.PayloadLength)})
		case ev.IsClient:
			x.site.raise(&Notice{Ts: ts, Conn: c, Note: "Heartbleed::SSL_Heartbeat_Attack",
				Msg: fmt.Sprintf("Heartbeat request before encryption. Probable Scan without exploit attempt. Message length: %d. Payload length: %d",
					ev.Length, ev.PayloadLength),
				N: ev.Length, HasN: true, Identifier: fmt.Sprintf("%s%d", c.UID, ev.Length)})
		}
	}
	if ev.HeartbeatType == 2 && s.heartbleed {
		x.site.raise(&Notice{Ts: ts, Conn: c, Note: "Heartbleed::SSL_Heartbeat_Attack_Success",
			Msg: fmt.Sprintf("An TLS heartbleed attack detected before was probably exploited. Message length: %d. Payload length: %d",
				ev.Length, ev.PayloadLength),
			Identifier: c.UID})
	}
}

// encryptedHeartbeat is heartbleed's ssl_encrypted_heartbeat handler.
func (x *sslExt) encryptedHeartbeat(ts int64, c *tlsmon.Conn, s *connState, isClient bool, length uint64) {
	if isClient {
		s.origHB++
	} else {
		s.respHB++
	}
	dur := ts - c.StartTs
	isClientNum := 0
	if isClient {
		isClientNum = 1
	}
	if s.appdataPackets == 0 {
		x.site.raise(&Notice{Ts: ts, Conn: c, Note: "Heartbleed::SSL_Heartbeat_Attack",
			Msg: fmt.Sprintf("Heartbeat before ciphertext. Probable attack or scan. Length: %d, is_client: %d",
				length, isClientNum),
			N: length, HasN: true, Identifier: c.UID + "early"})
	} else if dur < 60e6 {
		x.site.raise(&Notice{Ts: ts, Conn: c, Note: "Heartbleed::SSL_Heartbeat_Attack",
			Msg: fmt.Sprintf("Heartbeat within first minute. Possible attack or scan. Length: %d, is_client: %d, time: %s",
				length, isClientNum, zeekInterval(dur)),
			N: length, HasN: true, Identifier: c.UID + "early"})
	}
	if s.origHB > s.respHB+3 {
		x.site.raise(&Notice{Ts: ts, Conn: c, Note: "Heartbleed::SSL_Heartbeat_Many_Requests",
			Msg: fmt.Sprintf("More than 3 heartbeat requests without replies from server. Possible attack. Client count: %d, server count: %d",
				s.origHB, s.respHB),
			N: s.origHB - s.respHB, HasN: true, Identifier: fmt.Sprintf("%s%d", c.UID, s.respHB/1000)})
	}
	if s.respHB > s.origHB+3 {
		x.site.raise(&Notice{Ts: ts, Conn: c, Note: "Heartbleed::SSL_Heartbeat_Many_Requests",
			Msg: fmt.Sprintf("Server sending more heartbeat responses than requests seen. Possible attack. Client count: %d, server count: %d",
				s.origHB, s.respHB),
			N: s.respHB - s.origHB, HasN: true, Identifier: fmt.Sprintf("%s%d", c.UID, s.respHB/1000)})
	}
	secs := float64(dur) / 1e6
	if isClient && length < 19 {
		x.site.raise(&Notice{Ts: ts, Conn: c, Note: "Heartbleed::SSL_Heartbeat_Odd_Length",
			Msg: fmt.Sprintf("Heartbeat message smaller than minimum required length. Probable attack or scan. Message length: %d. Cipher: %s. Time: %f",
				length, s.cipher, secs),
			N: length, HasN: true, Identifier: fmt.Sprintf("%s-weak-%d", c.UID, length)})
	}
	table := minLengths
	if s.version == "TLSv11" || s.version == "TLSv12" {
		table = minLengthsTLS11
	}
	for _, ml := range table {
		if !strings.HasSuffix(s.cipher, ml.suffix) {
			continue
		}
		if length < ml.min {
			x.site.raise(&Notice{Ts: ts, Conn: c, Note: "Heartbleed::SSL_Heartbeat_Odd_Length",
				Msg: fmt.Sprintf("Heartbeat message smaller than minimum required length. Probable attack. Message length: %d. Required length: %d. Cipher: %s. Cipher match: /%s$/",
					length, ml.min, s.cipher, ml.suffix),
				N: length, HasN: true, Identifier: fmt.Sprintf("%s-weak-%d", c.UID, length)})
		}
		break
	}
	if isClient {
		if s.hasLastResp {
			s.hasLastResp = false // a server-initiated heartbeat: ignored
		} else {
			s.lastOrigHB, s.hasLastOrig = length, true
		}
		return
	}
	if s.hasLastOrig && s.lastOrigHB < length {
		x.site.raise(&Notice{Ts: ts, Conn: c, Note: "Heartbleed::SSL_Heartbeat_Attack_Success",
			Msg: fmt.Sprintf("An encrypted TLS heartbleed attack was probably detected! First packet client record length %d, first packet server record length %d. Time: %f",
				s.lastOrigHB, length, secs),
			Identifier: c.UID})
	} else if !s.hasLastOrig {
		s.lastRespHB, s.hasLastResp = length, true
	}
	s.hasLastOrig = false
}

// zeekTime formats a time as Zeek's fmt("%T") does, in UTC (Zeek uses the local time zone;
// the reference runs in UTC).
func zeekTime(sec int64) string {
	t := time.Unix(sec, 0).UTC()
	return t.Format("2006-01-02-15:04") + fmt.Sprintf(":%012.9f", float64(t.Second()))
}

// zeekInterval formats an interval of us microseconds as Zeek describes intervals
// ("1.0 min 2.5 secs"): whole days, hours, minutes and seconds, then milliseconds, then
// the microseconds left, each number as Zeek prints doubles (%.6g, ".0" added to whole
// numbers).
func zeekInterval(us int64) string {
	v := float64(us) / 1e6
	if v == 0 {
		return "0 secs"
	}
	units := []struct {
		size float64
		word string
	}{{86400, "day"}, {3600, "hr"}, {60, "min"}, {1, "sec"}, {1e-3, "msec"}, {1e-6, "usec"}}
	var b strings.Builder
	did := false
	for i, u := range units {
		var n float64
		if i == len(units)-1 {
			n = v / u.size
			if math.Abs(n) < 1e-6 {
				if !did {
					b.WriteString("0 secs")
				}
				break
			}
		} else {
			if !(v >= u.size || v <= -u.size) {
				continue
			}
			n = v / u.size
			if n < 0 {
				n = math.Ceil(n)
			} else {
				n = math.Floor(n)
			}
			v -= n * u.size
		}
		if did {
			b.WriteByte(' ')
		}
		s := strconv.FormatFloat(n, 'g', 6, 64)
		if math.Abs(n-math.RoundToEven(n)) < 1e-9 && !strings.ContainsAny(s, "e") {
			s += ".0"
		}
		b.WriteString(s + " " + u.word)
		if math.Abs(n-1) >= 1e-6 && math.Abs(n+1) >= 1e-6 {
			b.WriteByte('s')
		}
		did = true
	}
	return b.String()
}
