package validate_test

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/tlsmon/tlsmon"
	"github.com/tlsmon/tlsmon/capture"
	"github.com/tlsmon/tlsmon/certs"
	"github.com/tlsmon/tlsmon/certs/validate"
	"github.com/tlsmon/tlsmon/engine"
)

// corpusDir is ../shared/conformance beside the repository.
const corpusDir = "../../../shared/conformance"

// corpusConn is what the test gathers of one SSL connection, as a caller of the
// package does.
type corpusConn struct {
	id      string
	chain   [][]byte
	fps     []string
	ocsp    []byte
	scts    []validate.SCT
	done    bool
	res     *validate.Result
	ocspRes *validate.OCSPResult
	sct     *validate.SCTResult
}

// runCapture analyses one capture with a fresh Validator and returns its answers per
// connection in the order their ssl.log rows were finished.
func runCapture(t *testing.T, v *validate.Validator, path string) []*corpusConn {
	t.Helper()
	r, err := capture.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	conns := map[*tlsmon.Conn]*corpusConn{}
	var out []*corpusConn
	get := func(c *tlsmon.Conn) *corpusConn {
		cc := conns[c]
		if cc == nil {
			id := c.ID
			cc = &corpusConn{id: fmt.Sprintf("%s:%d-%s:%d", id.OrigH, id.OrigP, id.RespH, id.RespP)}
			conns[c] = cc
		}
		return cc
	}
	finish := func(cc *corpusConn, now int64) {
		if cc.done {
			return
		}
		cc.done = true
		out = append(out, cc)
		if res, ok := v.ValidateCerts(cc.chain, now); ok {
			cc.res = &res
			s := v.VerifySCTs(cc.chain, &res, cc.scts, now)
			cc.sct = &s
		}
	}
	h := tlsmon.HandlerFunc(func(ev tlsmon.Event) {
		switch e := ev.(type) {
		case *tlsmon.Certificate:
			if e.IsClient { // Zeek's cert_chain is the SSL server's, whoever originated
				return
			}
			cc := get(e.Conn)
			sum := sha256.Sum256(e.DER)
			cc.fps = append(cc.fps, hex.EncodeToString(sum[:]))
			if _, err := certs.Parse(e.DER); err != nil {
				cc.chain = append(cc.chain, nil)
				return
			}
			cc.chain = append(cc.chain, append([]byte(nil), e.DER...))
			if len(cc.chain) == 1 {
				cc.scts = append(cc.scts, validate.SCTsFromCertificate(e.DER)...)
			}
		case *tlsmon.SSLStapledOCSP:
			cc := get(e.Conn)
			cc.ocsp = append([]byte(nil), e.Response...)
			cc.scts = append(cc.scts, validate.SCTsFromOCSP(e.Response)...)
		case *tlsmon.SSLExtensionSignedCertificateTimestamp:
			cc := get(e.Conn)
			cc.scts = append(cc.scts, validate.SCT{Version: e.Version, LogID: append([]byte(nil), e.LogID...),
				Timestamp: e.Timestamp, HashAlg: uint64(e.SignatureAndHashalgorithm.HashAlgorithm),
				SigAlg: uint64(e.SignatureAndHashalgorithm.SignatureAlgorithm), Signature: append([]byte(nil), e.Signature...),
				Source: validate.SCTFromTLS})
		case *tlsmon.SSLEstablished:
			cc := get(e.Conn)
			if cc.done {
				return
			}
			finish(cc, e.Ts)
			if len(cc.chain) > 0 && cc.chain[0] != nil && cc.ocsp != nil {
				o := v.VerifyOCSP(cc.chain, cc.ocsp, e.Ts)
				cc.ocspRes = &o
			}
		case *tlsmon.AnalyzerViolation:
			if cc, ok := conns[e.Conn]; ok {
				finish(cc, e.Ts)
			}
		case *tlsmon.ConnectionStateRemove:
			if cc, ok := conns[e.Conn]; ok {
				finish(cc, e.Ts)
				delete(conns, e.Conn)
			}
		}
	})
	if err := engine.New(engine.Options{Handler: h}).Run(r); err != nil {
		t.Fatal(err)
	}
	return out
}

type expectedRow struct {
	ID         string
	FPs        []string `json:"cert_chain_fps"`
	Validation *string  `json:"validation_status"`
	OCSP       *string  `json:"ocsp_status"`
	CTLogs     *int     `json:"valid_ct_logs"`
	CTOps      *int     `json:"valid_ct_operators"`
}

func readExpected(t *testing.T, path string) []expectedRow {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	var rows []expectedRow
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		line := sc.Bytes()
		if len(line) == 0 || line[0] != '{' {
			continue
		}
		var r expectedRow
		var id struct {
			OH string `json:"id.orig_h"`
			OP int    `json:"id.orig_p"`
			RH string `json:"id.resp_h"`
			RP int    `json:"id.resp_p"`
		}
		if err := json.Unmarshal(line, &r); err != nil {
			t.Fatal(err)
		}
		json.Unmarshal(line, &id)
		r.ID = fmt.Sprintf("%s:%d-%s:%d", id.OH, id.OP, id.RH, id.RP)
		rows = append(rows, r)
	}
	return rows
}

func str(p *string) string {
	if p == nil {
		return "-"
	}
	return *p
}

// TestCorpus compares validation_status, ocsp_status and valid_ct_* with Zeek's
// policy ssl.log for every corpus capture (one Validator per capture, as one Zeek run
// per capture made them), logs the agreement, and fails on any disagreement.
func TestCorpus(t *testing.T) {
	if testing.Short() {
		t.Skip("corpus run skipped in -short mode")
	}
	index, err := os.ReadFile(filepath.Join(corpusDir, "INDEX.tsv"))
	if err != nil {
		t.Skip("corpus not present:", err)
	}
	var total, agree, ototal, oagree, ctotal, cagree int
	var diffs []string
	for _, line := range strings.Split(string(index), "\n")[1:] {
		f := strings.Split(line, "\t")
		if len(f) < 7 || f[6] == "0" {
			continue
		}
		exp := readExpected(t, filepath.Join(corpusDir, "expected", f[0], "policy", "ssl.log"))
		if exp == nil {
			continue
		}
		v, err := validate.New(validate.Config{})
		if err != nil {
			t.Fatal(err)
		}
		got := runCapture(t, v, filepath.Join(corpusDir, "pcaps", f[1]))
		used := make([]bool, len(got))
		for _, e := range exp {
			var g *corpusConn
			for i, c := range got {
				if !used[i] && c.id == e.ID && strings.Join(c.fps, ",") == strings.Join(e.FPs, ",") {
					used[i], g = true, c
					break
				}
			}
			gv, go_, gc := "-", "-", "-"
			if g != nil && g.res != nil {
				gv = g.res.Status
			}
			if g != nil && g.ocspRes != nil {
				go_ = g.ocspRes.Status
			}
			if g != nil && g.sct != nil {
				gc = fmt.Sprintf("%d/%d", g.sct.Logs, g.sct.Operators)
			}
			ec := "-"
			if e.CTLogs != nil {
				ec = fmt.Sprintf("%d/%d", *e.CTLogs, *e.CTOps)
			}
			if e.Validation != nil || gv != "-" {
				total++
				if gv == str(e.Validation) {
					agree++
				} else {
					diffs = append(diffs, fmt.Sprintf("%s %s validation: zeek %q, ours %q (chain %s)", f[0], e.ID, str(e.Validation), gv, strings.Join(e.FPs, ",")))
				}
			}
			if e.OCSP != nil || go_ != "-" {
				ototal++
				if go_ == str(e.OCSP) {
					oagree++
				} else {
					diffs = append(diffs, fmt.Sprintf("%s %s ocsp: zeek %q, ours %q", f[0], e.ID, str(e.OCSP), go_))
				}
			}
			if ec != "-" || gc != "-" {
				ctotal++
				if ec == gc {
					cagree++
				} else {
					diffs = append(diffs, fmt.Sprintf("%s %s ct: zeek %s, ours %s", f[0], e.ID, ec, gc))
				}
			}
		}
	}
	sort.Strings(diffs)
	t.Logf("validation_status %d/%d, ocsp_status %d/%d, valid_ct_* %d/%d", agree, total, oagree, ototal, cagree, ctotal)
	for _, d := range diffs {
		t.Log(d)
	}
	if total == 0 {
		t.Fatal("no connection with a validation_status in the corpus")
	}
	if len(diffs) > 0 {
		t.Errorf("%d disagreements with Zeek", len(diffs))
	}
}
