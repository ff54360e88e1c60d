package tlsmon

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"math"
	"net/netip"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// allSSLEvents holds one value of every SSL event type (checked against SSLEventNames).
var allSSLEvents = []SSLEvent{
	&SSLClientHello{}, &SSLServerHello{}, &SSLExtension{}, &SSLExtensionEllipticCurves{},
	&SSLExtensionECPointFormats{}, &SSLExtensionSignatureAlgorithm{}, &SSLExtensionSignatureAlgorithmsCert{},
	&SSLExtensionKeyShare{}, &SSLExtensionPreSharedKeyClientHello{}, &SSLExtensionPreSharedKeyServerHello{},
	&SSLECDHServerParams{}, &SSLDHServerParams{}, &SSLServerSignature{}, &SSLECDHClientParams{},
	&SSLDHClientParams{}, &SSLRSAClientPMS{}, &SSLExtensionApplicationLayerProtocolNegotiation{},
	&SSLExtensionServerName{}, &SSLExtensionSignedCertificateTimestamp{}, &SSLExtensionSupportedVersions{},
	&SSLExtensionPSKKeyExchangeModes{}, &SSLExtensionConnectionID{}, &SSLExtensionEncryptedClientHello{},
	&SSLEstablished{}, &SSLAlert{}, &SSLSessionTicketHandshake{}, &SSLHeartbeat{}, &SSLPlaintextData{},
	&SSLEncryptedData{}, &SSLProbableEncryptedHandshakeMessage{}, &SSLStapledOCSP{}, &SSLHandshakeMessage{},
	&SSLChangeCipherSpec{}, &SSLConnectionFlipped{}, &SSLCertificateRequest{},
}

// declaredArg is one event argument as events_ssl.go declares it: the Go field and, from
// the field's comment (written from events.bif), the argument's name and Zeek type.
type declaredArg struct {
	field, name, zeekType string
}

var (
	declOnce sync.Once
	declArgs map[string][]declaredArg // by Go type name
	declErr  error
)

var argComment = regexp.MustCompile(`^([A-Za-z_]+): (\S+)$`)

// declarations reads the argument lists of the event structs from events_ssl.go.
func declarations(t testing.TB) map[string][]declaredArg {
	declOnce.Do(func() {
		fs := token.NewFileSet()
		f, err := parser.ParseFile(fs, "events_ssl.go", nil, parser.ParseComments)
		if err != nil {
			declErr = err
			return
		}
		declArgs = map[string][]declaredArg{}
		ast.Inspect(f, func(n ast.Node) bool {
			ts, ok := n.(*ast.TypeSpec)
			if !ok {
				return true
			}
			st, ok := ts.Type.(*ast.StructType)
			if !ok {
				return false
			}
			var args []declaredArg
			for _, fl := range st.Fields.List {
				if len(fl.Names) == 0 {
					continue // the embedded Meta
				}
				m := argComment.FindStringSubmatch(strings.TrimSpace(fl.Comment.Text()))
				if m == nil {
					declErr = fmt.Errorf("%s.%s: comment is not \"name: zeek type\"", ts.Name.Name, fl.Names[0].Name)
					return false
				}
				args = append(args, declaredArg{fl.Names[0].Name, m[1], m[2]})
			}
			declArgs[ts.Name.Name] = args
			return false
		})
	})
	if declErr != nil {
		t.Fatal(declErr)
	}
	return declArgs
}

func TestAllSSLEventsListed(t *testing.T) {
	decl := declarations(t)
	var names []string
	for _, e := range allSSLEvents {
		names = append(names, e.Name())
		if _, ok := decl[reflect.TypeOf(e).Elem().Name()]; !ok {
			t.Errorf("%T: no declaration in events_ssl.go", e)
		}
	}
	if !slices.Equal(names, SSLEventNames) || len(decl) != len(allSSLEvents) {
		t.Fatalf("events %v, want %v (%d declared)", names, SSLEventNames, len(decl))
	}
}

// filler reads field values from fuzz bytes (zeros once they run out).
type filler struct{ b []byte }

func (f *filler) byte() byte {
	if len(f.b) == 0 {
		return 0
	}
	c := f.b[0]
	f.b = f.b[1:]
	return c
}

// uint reads a length-prefixed little-endian number (0..8 bytes), so small values are common.
func (f *filler) uint() uint64 {
	var v [8]byte
	n := int(f.byte() % 9)
	for i := range n {
		v[i] = f.byte()
	}
	return binary.LittleEndian.Uint64(v[:])
}

func (f *filler) bytes() []byte {
	n := min(int(f.byte()), len(f.b))
	out := f.b[:n:n]
	f.b = f.b[n:]
	return out
}

func (f *filler) fill(v reflect.Value) {
	switch v.Kind() {
	case reflect.Bool:
		v.SetBool(f.byte()&1 == 1)
	case reflect.Uint64:
		v.SetUint(f.uint())
	case reflect.Float64:
		// A time argument: any finite value (the analyzers give 32-bit seconds).
		x := math.Float64frombits(f.uint())
		if math.IsNaN(x) || math.IsInf(x, 0) {
			x = 0
		}
		v.SetFloat(x)
	case reflect.Struct:
		for i := range v.NumField() {
			f.fill(v.Field(i))
		}
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			v.SetBytes(f.bytes())
			return
		}
		n := int(f.byte() % 8)
		s := reflect.MakeSlice(v.Type(), n, n)
		for i := range n {
			f.fill(s.Index(i))
		}
		v.Set(s)
	}
}

func (f *filler) addr() netip.Addr {
	var a [16]byte
	c := f.byte()
	for i := range a {
		a[i] = f.byte()
	}
	if c&1 == 0 {
		return netip.AddrFrom4([4]byte(a[:4]))
	}
	return netip.AddrFrom16(a)
}

// FuzzCanonical builds an SSL event of any type with any field values and checks its
// canonical line against FORMAT.md's rules: valid JSON; the keys ts, event, id (orig_h,
// orig_p, resp_h, resp_p, proto) and args in that order; ts with exactly 6 decimals;
// args named and ordered as events_ssl.go declares them (from events.bif), each encoded
// by its Zeek type and decoding back to the field's value.
func FuzzCanonical(f *testing.F) {
	f.Add([]byte{0, 8, 1, 2, 3, 4, 5, 6, 7, 8})
	f.Add([]byte{2, 8, 0, 0, 0, 0, 0, 0, 0, 0x80, 1, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16})
	f.Add([]byte{8, 3, 1, 2, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 2, 5, 7, 0xab, 0xcd})
	f.Add([]byte{18, 3, 0x10, 0x27, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 1, 2, 1, 2, 1, 2, 1, 5, 'a', 'b', 'c', 'd', 'e'})
	f.Fuzz(func(t *testing.T, b []byte) {
		decl := declarations(t)
		fl := &filler{b: b}
		proto := reflect.TypeOf(allSSLEvents[int(fl.byte())%len(allSSLEvents)]).Elem()
		ev := reflect.New(proto)
		conn := &Conn{ID: ConnID{Proto: ProtoTCP}}
		e := ev.Interface().(SSLEvent)
		m := e.EventMeta()
		m.Ts = int64(fl.uint())
		m.Conn = conn
		conn.ID.OrigH, conn.ID.RespH = fl.addr(), fl.addr()
		conn.ID.OrigP, conn.ID.RespP = uint16(fl.uint()), uint16(fl.uint())
		if fl.byte()&1 == 1 {
			conn.ID.Proto = ProtoUDP
		}
		args := decl[proto.Name()]
		for _, a := range args {
			fl.fill(ev.Elem().FieldByName(a.field))
		}
		line := AppendCanonical(nil, e)
		checkCanonical(t, line, e, args)
	})
}

func checkCanonical(t *testing.T, line []byte, e SSLEvent, args []declaredArg) {
	if !json.Valid(line) {
		t.Fatalf("not JSON: %s", line)
	}
	var compact bytes.Buffer
	if json.Compact(&compact, line) != nil || !bytes.Equal(compact.Bytes(), line) {
		t.Fatalf("whitespace outside strings: %s", line)
	}
	d := json.NewDecoder(bytes.NewReader(line))
	d.UseNumber()
	top := orderedObject(t, d)
	if k := keys(top); !slices.Equal(k, []string{"ts", "event", "id", "args"}) {
		t.Fatalf("keys %v: %s", k, line)
	}
	m := e.EventMeta()
	checkTime6(t, "ts", top[0].raw, func(s string) bool { return timeText(s) == m.Ts })
	var name string
	if json.Unmarshal(top[1].raw, &name) != nil || name != e.Name() || !slices.Contains(SSLEventNames, name) {
		t.Fatalf("event %s, want %s", top[1].raw, e.Name())
	}
	id := orderedObject(t, json.NewDecoder(bytes.NewReader(top[2].raw)))
	if k := keys(id); !slices.Equal(k, []string{"orig_h", "orig_p", "resp_h", "resp_p", "proto"}) {
		t.Fatalf("id keys %v", k)
	}
	c := m.Conn.ID
	wantID := []any{c.OrigH, uint64(c.OrigP), c.RespH, uint64(c.RespP), c.Proto.String()}
	for i, v := range id {
		switch w := wantID[i].(type) {
		case netip.Addr:
			var s string
			if json.Unmarshal(v.raw, &s) != nil {
				t.Fatalf("%s: %s", v.key, v.raw)
			}
			if a, err := netip.ParseAddr(s); err != nil || a != w {
				t.Fatalf("%s %s, want %v", v.key, v.raw, w)
			}
		case uint64:
			checkCount(t, v.key, v.raw, w)
		case string:
			var s string
			if json.Unmarshal(v.raw, &s) != nil || s != w || (s != "tcp" && s != "udp") {
				t.Fatalf("%s %s, want %s", v.key, v.raw, w)
			}
		}
	}
	got := orderedObject(t, json.NewDecoder(bytes.NewReader(top[3].raw)))
	if len(got) != len(args) {
		t.Fatalf("%d args, %d declared: %s", len(got), len(args), top[3].raw)
	}
	ev := reflect.ValueOf(e).Elem()
	for i, a := range args {
		if got[i].key != a.name {
			t.Fatalf("arg %d named %q, declared %q", i, got[i].key, a.name)
		}
		checkArg(t, a, got[i].raw, ev.FieldByName(a.field))
	}
}

type member struct {
	key string
	raw json.RawMessage
}

// orderedObject reads one JSON object, keeping its members in order (and failing on a
// repeated key).
func orderedObject(t *testing.T, d *json.Decoder) []member {
	if tok, err := d.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("not an object: %v %v", tok, err)
	}
	var out []member
	for d.More() {
		tok, err := d.Token()
		if err != nil {
			t.Fatal(err)
		}
		k := tok.(string)
		var raw json.RawMessage
		if err := d.Decode(&raw); err != nil {
			t.Fatal(err)
		}
		for _, m := range out {
			if m.key == k {
				t.Fatalf("key %q twice", k)
			}
		}
		out = append(out, member{k, raw})
	}
	if _, err := d.Token(); err != nil {
		t.Fatal(err)
	}
	return out
}

func keys(ms []member) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.key)
	}
	return out
}

var time6 = regexp.MustCompile(`^-?[0-9]+\.[0-9]{6}$`)

// timeText reads a canonical ts back to microseconds.
func timeText(s string) int64 {
	neg := strings.HasPrefix(s, "-")
	digits := strings.Replace(strings.TrimPrefix(s, "-"), ".", "", 1)
	u, err := strconv.ParseUint(digits, 10, 64)
	if err != nil {
		return -1
	}
	if neg {
		return int64(-u) // two's complement: -2^63 reads back as itself
	}
	return int64(u)
}

func checkTime6(t *testing.T, key string, raw json.RawMessage, ok func(string) bool) {
	if !time6.Match(raw) || !ok(string(raw)) {
		t.Fatalf("%s %s: not the time with 6 decimals", key, raw)
	}
}

func checkCount(t *testing.T, key string, raw json.RawMessage, want uint64) {
	if v, err := strconv.ParseUint(string(raw), 10, 64); err != nil || v != want {
		t.Fatalf("%s %s, want %d", key, raw, want)
	}
}

func checkHex(t *testing.T, key string, raw json.RawMessage, want []byte) {
	var s string
	if json.Unmarshal(raw, &s) != nil {
		t.Fatalf("%s %s: not a string", key, raw)
	}
	b, err := hex.DecodeString(s)
	if err != nil || s != strings.ToLower(s) || !bytes.Equal(b, want) {
		t.Fatalf("%s %s, want lowercase hex of %x", key, raw, want)
	}
}

func array(t *testing.T, key string, raw json.RawMessage, n int) []json.RawMessage {
	var out []json.RawMessage
	if json.Unmarshal(raw, &out) != nil || out == nil || len(out) != n {
		t.Fatalf("%s %s: not an array of %d", key, raw, n)
	}
	return out
}

func checkSigAlg(t *testing.T, key string, raw json.RawMessage, v SignatureAndHashAlgorithm) {
	o := orderedObject(t, json.NewDecoder(bytes.NewReader(raw)))
	if !slices.Equal(keys(o), []string{"HashAlgorithm", "SignatureAlgorithm"}) {
		t.Fatalf("%s %s", key, raw)
	}
	checkCount(t, key, o[0].raw, v.HashAlgorithm)
	checkCount(t, key, o[1].raw, v.SignatureAlgorithm)
}

// checkArg checks one argument's encoding by its Zeek type (FORMAT.md).
func checkArg(t *testing.T, a declaredArg, raw json.RawMessage, v reflect.Value) {
	switch a.zeekType {
	case "count":
		checkCount(t, a.name, raw, v.Uint())
	case "bool":
		if string(raw) != strconv.FormatBool(v.Bool()) {
			t.Fatalf("%s %s, want %v", a.name, raw, v.Bool())
		}
	case "time":
		x := v.Float()
		checkTime6(t, a.name, raw, func(s string) bool {
			p, err := strconv.ParseFloat(s, 64)
			return err == nil && math.Abs(p-x) <= max(5.0000001e-7, math.Abs(x)*1e-15)
		})
	case "string":
		checkHex(t, a.name, raw, v.Bytes())
	case "index_vec":
		els := array(t, a.name, raw, v.Len())
		for i, el := range els {
			checkCount(t, a.name, el, v.Index(i).Uint())
		}
	case "string_vec":
		els := array(t, a.name, raw, v.Len())
		for i, el := range els {
			checkHex(t, a.name, el, v.Index(i).Bytes())
		}
	case "SSL::SignatureAndHashAlgorithm":
		checkSigAlg(t, a.name, raw, v.Interface().(SignatureAndHashAlgorithm))
	case "signature_and_hashalgorithm_vec":
		els := array(t, a.name, raw, v.Len())
		for i, el := range els {
			checkSigAlg(t, a.name, el, v.Index(i).Interface().(SignatureAndHashAlgorithm))
		}
	case "psk_identity_vec":
		els := array(t, a.name, raw, v.Len())
		for i, el := range els {
			p := v.Index(i).Interface().(PSKIdentity)
			o := orderedObject(t, json.NewDecoder(bytes.NewReader(el)))
			if !slices.Equal(keys(o), []string{"identity", "obfuscated_ticket_age"}) {
				t.Fatalf("%s %s", a.name, el)
			}
			checkHex(t, a.name, o[0].raw, p.Identity)
			checkCount(t, a.name, o[1].raw, p.ObfuscatedTicketAge)
		}
	default:
		t.Fatalf("%s: Zeek type %s has no rule in FORMAT.md", a.name, a.zeekType)
	}
}
