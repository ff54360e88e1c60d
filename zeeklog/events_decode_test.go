package zeeklog

import (
	"bufio"
	"encoding/hex"
	"encoding/json"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"testing"

	tlsmon "github.com/tlsmon/tlsmon"
)

// rawEvent is one line of the corpus' events.jsonl.
type rawEvent struct {
	Ts    json.Number `json:"ts"`
	Event string      `json:"event"`
	ID    struct {
		OrigH string `json:"orig_h"`
		OrigP uint16 `json:"orig_p"`
		RespH string `json:"resp_h"`
		RespP uint16 `json:"resp_p"`
		Proto string `json:"proto"`
	} `json:"id"`
	Args map[string]json.RawMessage `json:"args"`
}

// micros converts a decimal seconds string with up to 6 decimals to microseconds exactly.
func micros(t *testing.T, s string) int64 {
	sec, frac, _ := strings.Cut(s, ".")
	frac = (frac + "000000")[:6]
	a, err1 := strconv.ParseInt(sec, 10, 64)
	b, err2 := strconv.ParseInt(frac, 10, 64)
	if err1 != nil || err2 != nil {
		t.Fatalf("bad time %q", s)
	}
	return a*1e6 + b
}

type argReader struct {
	t    *testing.T
	args map[string]json.RawMessage
}

func (a argReader) count(k string) uint64 {
	var v uint64
	if err := json.Unmarshal(a.args[k], &v); err != nil {
		a.t.Fatalf("arg %s: %v", k, err)
	}
	return v
}
func (a argReader) boolean(k string) bool {
	var v bool
	if err := json.Unmarshal(a.args[k], &v); err != nil {
		a.t.Fatalf("arg %s: %v", k, err)
	}
	return v
}
func (a argReader) str(k string) []byte {
	var h string
	if err := json.Unmarshal(a.args[k], &h); err != nil {
		a.t.Fatalf("arg %s: %v", k, err)
	}
	b, err := hex.DecodeString(h)
	if err != nil {
		a.t.Fatalf("arg %s: %v", k, err)
	}
	return b
}
func (a argReader) counts(k string) []uint64 {
	var v []uint64
	if err := json.Unmarshal(a.args[k], &v); err != nil {
		a.t.Fatalf("arg %s: %v", k, err)
	}
	return v
}
func (a argReader) strs(k string) [][]byte {
	var hs []string
	if err := json.Unmarshal(a.args[k], &hs); err != nil {
		a.t.Fatalf("arg %s: %v", k, err)
	}
	out := make([][]byte, len(hs))
	for i, h := range hs {
		out[i], _ = hex.DecodeString(h)
	}
	return out
}

// decodeEvents reads an events.jsonl file back into typed events (the ones the log
// builders consume; others are skipped). Connections are identified by their 5-tuple.
func decodeEvents(t *testing.T, path string, conns map[string]*tlsmon.Conn) []tlsmon.Event {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []tlsmon.Event
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<26)
	for sc.Scan() {
		dec := json.NewDecoder(strings.NewReader(sc.Text()))
		dec.UseNumber()
		var r rawEvent
		if err := dec.Decode(&r); err != nil {
			t.Fatal(err)
		}
		key := r.ID.OrigH + "|" + strconv.Itoa(int(r.ID.OrigP)) + "|" + r.ID.RespH + "|" + strconv.Itoa(int(r.ID.RespP)) + "|" + r.ID.Proto
		c := conns[key]
		ts := micros(t, string(r.Ts))
		if c == nil {
			proto := tlsmon.ProtoTCP
			if r.ID.Proto == "udp" {
				proto = tlsmon.ProtoUDP
			}
			c = &tlsmon.Conn{UID: key, StartTs: ts, ID: tlsmon.ConnID{
				OrigH: netip.MustParseAddr(r.ID.OrigH), OrigP: r.ID.OrigP,
				RespH: netip.MustParseAddr(r.ID.RespH), RespP: r.ID.RespP, Proto: proto}}
			conns[key] = c
		}
		m := tlsmon.Meta{Ts: ts, Conn: c}
		a := argReader{t, r.Args}
		var e tlsmon.Event
		switch r.Event {
		case "ssl_client_hello":
			e = &tlsmon.SSLClientHello{Meta: m, Version: a.count("version"), RecordVersion: a.count("record_version"),
				ClientRandom: a.str("client_random"), SessionID: a.str("session_id"), Ciphers: a.counts("ciphers")}
		case "ssl_server_hello":
			e = &tlsmon.SSLServerHello{Meta: m, Version: a.count("version"), RecordVersion: a.count("record_version"),
				ServerRandom: a.str("server_random"), SessionID: a.str("session_id"), Cipher: a.count("cipher"),
				CompMethod: a.count("comp_method")}
		case "ssl_extension_supported_versions":
			e = &tlsmon.SSLExtensionSupportedVersions{Meta: m, IsClient: a.boolean("is_client"), Versions: a.counts("versions")}
		case "ssl_ecdh_server_params":
			e = &tlsmon.SSLECDHServerParams{Meta: m, Curve: a.count("curve"), Point: a.str("point")}
		case "ssl_extension_key_share":
			e = &tlsmon.SSLExtensionKeyShare{Meta: m, IsClient: a.boolean("is_client"), Curves: a.counts("curves")}
		case "ssl_extension_server_name":
			e = &tlsmon.SSLExtensionServerName{Meta: m, IsClient: a.boolean("is_client"), Names: a.strs("names")}
		case "ssl_extension_application_layer_protocol_negotiation":
			e = &tlsmon.SSLExtensionApplicationLayerProtocolNegotiation{Meta: m, IsClient: a.boolean("is_client"), Protocols: a.strs("protocols")}
		case "ssl_connection_flipped":
			e = &tlsmon.SSLConnectionFlipped{Meta: m}
		case "ssl_handshake_message":
			e = &tlsmon.SSLHandshakeMessage{Meta: m, IsClient: a.boolean("is_client"), MsgType: a.count("msg_type"), Length: a.count("length")}
		case "ssl_extension":
			e = &tlsmon.SSLExtension{Meta: m, IsClient: a.boolean("is_client"), Code: a.count("code"), Val: a.str("val")}
		case "ssl_change_cipher_spec":
			e = &tlsmon.SSLChangeCipherSpec{Meta: m, IsClient: a.boolean("is_client")}
		case "ssl_alert":
			e = &tlsmon.SSLAlert{Meta: m, IsClient: a.boolean("is_client"), Level: a.count("level"), Desc: a.count("desc")}
		case "ssl_heartbeat":
			e = &tlsmon.SSLHeartbeat{Meta: m, IsClient: a.boolean("is_client"), Length: a.count("length"),
				HeartbeatType: a.count("heartbeat_type"), PayloadLength: a.count("payload_length"), Payload: a.str("payload")}
		case "ssl_established":
			e = &tlsmon.SSLEstablished{Meta: m}
		case "ssl_plaintext_data":
			e = &tlsmon.SSLPlaintextData{Meta: m, IsClient: a.boolean("is_client"), RecordVersion: a.count("record_version"),
				ContentType: a.count("content_type"), Length: a.count("length")}
		default:
			continue
		}
		out = append(out, e)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
