package e2e

import (
	"bytes"
	"crypto/tls"
	"slices"
	"testing"

	"github.com/tlsmon/tlsmon/internal/testgen"
)

// checkConn asserts one connection's events against what the generator configured and
// crypto/tls negotiated.
func checkConn(t *testing.T, rs []rec, cfg testgen.Config, info testgen.Info) {
	t.Helper()
	if len(rs) == 0 {
		t.Fatal("no events for the connection")
	}
	for _, r := range rs {
		if r.name == "analyzer_violation_info" {
			t.Errorf("analyzer violation: %s", r.reason)
		}
	}
	tls13 := info.Version == tls.VersionTLS13

	chs := named(rs, "ssl_client_hello")
	wantCH := 1
	if info.HelloRetryRequest {
		wantCH = 2
	}
	if len(chs) != wantCH {
		t.Fatalf("%d ssl_client_hello, want %d", len(chs), wantCH)
	}
	for _, ch := range chs {
		if !slices.Contains(ch.ciphers, uint64(info.CipherSuite)) {
			t.Errorf("client hello ciphers %v lack the negotiated %#x", ch.ciphers, info.CipherSuite)
		}
		if cfg.CipherSuites != nil && cfg.MaxVersion != 0 && cfg.MaxVersion < tls.VersionTLS13 {
			got := slices.Sorted(slices.Values(ch.ciphers))
			var want []uint64
			for _, c := range cfg.CipherSuites {
				want = append(want, uint64(c))
			}
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("client hello ciphers %v, configured %v", got, want)
			}
		}
		if tls13 && ch.version != tls.VersionTLS12 {
			t.Errorf("TLS 1.3 client hello legacy version %#x", ch.version)
		}
		if !tls13 && ch.version < uint64(info.Version) {
			t.Errorf("client hello version %#x below negotiated %#x", ch.version, info.Version)
		}
	}

	shs := named(rs, "ssl_server_hello")
	wantSH := 1
	if info.HelloRetryRequest {
		wantSH = 2
	}
	if len(shs) != wantSH {
		t.Fatalf("%d ssl_server_hello, want %d", len(shs), wantSH)
	}
	sh := shs[len(shs)-1]
	if sh.cipher != uint64(info.CipherSuite) {
		t.Errorf("server hello cipher %#x, negotiated %#x", sh.cipher, info.CipherSuite)
	}
	if tls13 {
		if sh.version != tls.VersionTLS12 {
			t.Errorf("TLS 1.3 server hello legacy version %#x", sh.version)
		}
		var sv []rec
		for _, r := range named(rs, "ssl_extension_supported_versions") {
			if !r.isClient {
				sv = append(sv, r)
			}
		}
		if len(sv) != wantSH || !slices.Equal(sv[len(sv)-1].versions, []uint64{tls.VersionTLS13}) {
			t.Errorf("server supported_versions events %v, want %d with [0x0304]", sv, wantSH)
		}
	} else if sh.version != uint64(info.Version) {
		t.Errorf("server hello version %#x, negotiated %#x", sh.version, info.Version)
	}
	if info.HelloRetryRequest && (shs[0].cipher != sh.cipher || bytes.Equal(shs[0].random, sh.random)) {
		t.Errorf("HelloRetryRequest and ServerHello: ciphers %#x/%#x, same random %v", shs[0].cipher, sh.cipher, bytes.Equal(shs[0].random, sh.random))
	}

	// SNI: one client-side event per ClientHello, carrying the configured name.
	var sni []rec
	for _, r := range named(rs, "ssl_extension_server_name") {
		if r.isClient {
			sni = append(sni, r)
		}
	}
	if cfg.ServerName == "" {
		if len(sni) != 0 {
			t.Errorf("SNI events without SNI: %v", sni)
		}
	} else {
		if len(sni) != wantCH {
			t.Errorf("%d client SNI events, want %d", len(sni), wantCH)
		}
		for _, r := range sni {
			if !slices.Equal(r.names, []string{info.ServerName}) || info.ServerName != cfg.ServerName {
				t.Errorf("SNI names %q, server saw %q, configured %q", r.names, info.ServerName, cfg.ServerName)
			}
		}
	}

	// ALPN: the client's offer; the server's choice when it is in cleartext (TLS ≤ 1.2).
	var alpnC, alpnS []rec
	for _, r := range named(rs, "ssl_extension_application_layer_protocol_negotiation") {
		if r.isClient {
			alpnC = append(alpnC, r)
		} else {
			alpnS = append(alpnS, r)
		}
	}
	if len(cfg.ALPN) == 0 {
		if len(alpnC) != 0 {
			t.Errorf("client ALPN events without ALPN: %v", alpnC)
		}
	} else {
		if len(alpnC) != wantCH {
			t.Errorf("%d client ALPN events, want %d", len(alpnC), wantCH)
		}
		for _, r := range alpnC {
			if !slices.Equal(r.names, cfg.ALPN) {
				t.Errorf("client ALPN %q, configured %q", r.names, cfg.ALPN)
			}
		}
	}
	switch {
	case tls13:
		if len(alpnS) != 0 {
			t.Errorf("TLS 1.3 server ALPN is encrypted, yet seen: %v", alpnS)
		}
	case info.NegotiatedProtocol != "":
		if len(alpnS) != 1 || !slices.Equal(alpnS[0].names, []string{info.NegotiatedProtocol}) {
			t.Errorf("server ALPN events %v, negotiated %q", alpnS, info.NegotiatedProtocol)
		}
	default:
		if len(alpnS) != 0 {
			t.Errorf("server ALPN events without negotiation: %v", alpnS)
		}
	}

	if n := len(named(rs, "ssl_established")); n != 1 {
		t.Errorf("ssl_established raised %d times, want once", n)
	}

	// Session tickets: TLS 1.2 NewSessionTicket is cleartext; TLS 1.3's are encrypted.
	tickets := named(rs, "ssl_session_ticket_handshake")
	if tls13 {
		if len(tickets) != 0 {
			t.Errorf("TLS 1.3 tickets are encrypted, yet %d ticket events", len(tickets))
		}
	} else {
		if len(tickets) != len(info.Tickets) {
			t.Errorf("%d ticket events, client stored %d tickets", len(tickets), len(info.Tickets))
		}
		for i := range min(len(tickets), len(info.Tickets)) {
			if !bytes.Equal(tickets[i].ticket, info.Tickets[i]) {
				t.Errorf("ticket %d differs from the one the client stored", i)
			}
		}
	}

	// Certificates on the wire: the server chain (and client chain) unless TLS 1.3 or resumed.
	var srvDER, cliDER [][]byte
	for _, r := range named(rs, "x509_certificate_seen") {
		if r.isClient != r.isOrig {
			t.Errorf("certificate is_client=%v but is_orig=%v on an unflipped connection", r.isClient, r.isOrig)
		}
		if r.isClient {
			cliDER = append(cliDER, r.der)
		} else {
			srvDER = append(srvDER, r.der)
		}
	}
	wantSrv, wantCli := info.ServerChainDER, info.ClientCertDER
	if tls13 {
		wantSrv, wantCli = nil, nil
	}
	if !slices.EqualFunc(srvDER, wantSrv, bytes.Equal) {
		t.Errorf("server certificates: %d seen, %d expected (or contents differ)", len(srvDER), len(wantSrv))
	}
	if !slices.EqualFunc(cliDER, wantCli, bytes.Equal) {
		t.Errorf("client certificates: %d seen, %d expected (or contents differ)", len(cliDER), len(wantCli))
	}
}

// checkResumed asserts what a resumed connection shows on the wire.
func checkResumed(t *testing.T, rs []rec, info testgen.Info, earlier testgen.Info) {
	t.Helper()
	if !info.DidResume {
		t.Fatal("generator: connection did not resume")
	}
	chs, shs := named(rs, "ssl_client_hello"), named(rs, "ssl_server_hello")
	if len(chs) == 0 || len(shs) == 0 {
		t.Fatal("no hellos")
	}
	if info.Version == tls.VersionTLS13 {
		var ids [][]byte
		for _, r := range named(rs, "ssl_extension_pre_shared_key_client_hello") {
			ids = append(ids, r.identities...)
		}
		if len(ids) == 0 || !slices.ContainsFunc(earlier.Tickets, func(tk []byte) bool { return bytes.Equal(tk, ids[0]) }) {
			t.Errorf("PSK identities (%d) do not include a ticket of the earlier connection", len(ids))
		}
		if psk := named(rs, "ssl_extension_pre_shared_key_server_hello"); len(psk) != 1 || psk[0].selected != 0 {
			t.Errorf("server pre_shared_key events %v, want one selecting identity 0", psk)
		}
		return
	}
	// TLS 1.2 ticket resumption: the server echoes the client's session ID.
	if len(chs[0].sessionID) == 0 || !bytes.Equal(chs[0].sessionID, shs[0].sessionID) {
		t.Errorf("session IDs: client %x, server %x", chs[0].sessionID, shs[0].sessionID)
	}
	if n := len(named(rs, "x509_certificate_seen")); n != 0 {
		t.Errorf("%d certificates on a resumed connection", n)
	}
}
