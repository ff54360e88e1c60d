package policy

import (
	"encoding/binary"
	"fmt"

	tlsmon "github.com/tlsmon/tlsmon"
	"github.com/tlsmon/tlsmon/certs/validate"
	"github.com/tlsmon/tlsmon/zeeklog"
)

// The validate scripts in a sharded run. A chain's validation depends on the Validator's
// caches (Zeek's intermediate cache, the recently validated chains and SCTs), which the
// validations of every earlier connection of every shard fill: so the run's one Site makes
// every validation, serially, in one engine's order, as it makes the other decisions that
// span connections. A shard's Site builds each check's request (Validation: the server's
// chain, the SCTs, the stapled response, the time, a snapshot of the connection) where one
// engine's would call the Validator, and hands it to its Forwarder (Validate) under an id
// unique in the run; the run's Site validates, raises the notices (SSL::Invalid_Server_Cert,
// SSL::Invalid_Ocsp_Response) and keeps the connection's results under that id. The
// connection's ssl.log row is then incomplete in the shard: its first validation column
// carries the id (the deferred row), and the writer of the row hands the row to the run's
// Site's ResolveRow, which fills the validation columns in, before it is written. Since a
// shard's requests precede its row in its output, and the merger keeps each shard's order,
// the results are there when the row is.

// Validation is one check of a connection by the validate scripts.
type Validation struct {
	ID   uint64 // a shard's request id (Shard): the connection's, unique in the run
	OCSP bool   // validate-ocsp's ssl_established check; else ssl_finishing's (validate-certs, -sct)
	Ts   int64
	Conn *tlsmon.Conn
	// Chain is the server's chain, nil where a certificate did not parse (Validator).
	Chain        [][]byte
	SCTs         []validate.SCT // ssl_finishing with validate-sct: every SCT of the connection
	OCSPResponse []byte         // OCSP: the stapled response
	// Subject and SHA1 (hex) of the end-entity certificate: the notices'.
	Subject, SHA1 string
}

// valResult holds a connection's validate columns.
type valResult struct {
	validation    string
	hasValidation bool
	ocspStatus    string
	hasOCSP       bool
	ctLogs, ctOps uint64
	hasCT         bool
}

// finish is ssl_finishing's validate-certs and validate-sct for v, into r.
func (s *Site) finish(v *Validation, r *valResult) {
	val := s.cfg.Validator
	c := v.Conn
	var res *validate.Result
	if s.cfg.has(ValidateCerts) {
		vr, ok := val.ValidateCerts(v.Chain, v.Ts)
		if ok {
			res = &vr
			r.validation, r.hasValidation = vr.Status, true
			if !vr.OK() {
				s.raise(&Notice{Ts: v.Ts, Conn: c, Note: "SSL::Invalid_Server_Cert",
					Msg: "SSL certificate validation failed with (" + vr.Status + ")", Sub: v.Subject,
					Identifier: fmt.Sprintf("%s%s%s%d", c.ID.RespH.Unmap(), zeekPort(c), v.SHA1, vr.Code)})
			}
		}
	}
	if s.cfg.has(ValidateSCT) {
		sr := val.VerifySCTs(v.Chain, res, v.SCTs, v.Ts)
		r.ctLogs, r.ctOps, r.hasCT = uint64(sr.Logs), uint64(sr.Operators), true
	}
}

// verifyOCSP is validate-ocsp's ssl_established check of v's stapled response, into r.
func (s *Site) verifyOCSP(v *Validation, r *valResult) {
	c := v.Conn
	or := s.cfg.Validator.VerifyOCSP(v.Chain, v.OCSPResponse, v.Ts)
	r.ocspStatus, r.hasOCSP = or.Status, true
	if !or.OK() {
		s.raise(&Notice{Ts: v.Ts, Conn: c, Note: "SSL::Invalid_Ocsp_Response",
			Msg: "OCSP response validation failed with (" + or.Status + ")", Sub: v.Subject,
			Identifier: fmt.Sprintf("%s%s%s", c.ID.RespH.Unmap(), zeekPort(c), or.Status)})
	}
}

// validationColumns returns how many ssl.log columns the loaded validate scripts add.
func (c *Config) validationColumns() int {
	n := 0
	if c.has(ValidateCerts) {
		n++
	}
	if c.has(ValidateOCSP) {
		n++
	}
	if c.has(ValidateSCT) {
		n += 2
	}
	return n
}

// appendValidation appends the validate scripts' columns of r.
func (s *Site) appendValidation(dst []zeeklog.Value, r *valResult) []zeeklog.Value {
	if s.cfg.has(ValidateCerts) {
		dst = append(dst, optStringSet(r.hasValidation, r.validation))
	}
	if s.cfg.has(ValidateOCSP) {
		dst = append(dst, optStringSet(r.hasOCSP, r.ocspStatus))
	}
	if s.cfg.has(ValidateSCT) {
		dst = append(dst, optCount{r.ctLogs, r.hasCT}.value(), optCount{r.ctOps, r.hasCT}.value())
	}
	return dst
}

// appendDeferred appends a shard's validate columns of a row: the connection's request id
// in the first (unset if it made no request: then every column is unset), then unset.
func (x *sslExt) appendDeferred(dst []zeeklog.Value, s *connState) []zeeklog.Value {
	n := x.site.cfg.validationColumns()
	if n == 0 {
		return dst
	}
	if s.reqID != 0 {
		dst = append(dst, zeeklog.Count(s.reqID))
	} else {
		dst = append(dst, zeeklog.Unset())
	}
	for range n - 1 {
		dst = append(dst, zeeklog.Unset())
	}
	return dst
}

// forward hands v to the shard's Forwarder under the connection's request id.
func (x *sslExt) forward(s *connState, v *Validation) {
	if s.reqID == 0 {
		s.reqID = x.site.nextID()
	}
	v.ID = s.reqID
	x.site.forward.Validate(v)
}

// nextID returns a shard's next request id: ids are index+1 + k×shards, unique in the run.
func (s *Site) nextID() uint64 {
	id := uint64(s.shardIndex) + 1 + s.requests*uint64(max(s.shards, 1))
	s.requests++
	return id
}

// Validate implements Forwarder: the run's Site makes the check and keeps the
// connection's results for ResolveRow.
func (s *Site) Validate(v *Validation) {
	if s.cfg.Validator == nil || v.ID == 0 {
		return
	}
	if s.pending == nil {
		s.pending = map[uint64]*valResult{}
	}
	r := s.pending[v.ID]
	if r == nil {
		r = &valResult{}
		s.pending[v.ID] = r
	}
	if v.OCSP {
		s.verifyOCSP(v, r)
	} else {
		s.finish(v, r)
	}
}

// ValidationColumn returns the index in cols (ssl.log's) of the first column of the
// validate scripts, or -1 without one: the cell of a shard's row that tells whether the
// row is deferred (set: the request id) or complete (unset).
func ValidationColumn(cols []zeeklog.Column) int {
	for i, c := range cols {
		switch c.Name {
		case "validation_status", "ocsp_status", "valid_ct_logs":
			return i
		}
	}
	return -1
}

// ResolveRow fills in the validate scripts' columns of a shard's deferred ssl.log row,
// from cells[0] (the row's ValidationColumn) on, with the results of the checks the run's
// Site made for it, and forgets them. It returns false if cells[0] holds no request id.
func (s *Site) ResolveRow(cells []zeeklog.Value) bool {
	n := s.cfg.validationColumns()
	if n == 0 || len(cells) < n {
		return false
	}
	id, ok := cells[0].CountValue()
	if !ok {
		return false
	}
	r := s.pending[id]
	if r == nil {
		r = &valResult{}
	}
	delete(s.pending, id)
	s.appendValidation(cells[:0], r)
	return true
}

// Validate implements Forwarder.
func (e *Encoder) Validate(v *Validation) {
	b := append(e.buf[:0], decValidate)
	b = binary.AppendUvarint(b, v.ID)
	b = appendBool(b, v.OCSP)
	b = binary.AppendVarint(b, v.Ts)
	b = appendConn(b, v.Conn)
	b = binary.AppendUvarint(b, uint64(len(v.Chain)))
	for _, der := range v.Chain {
		b = appendBool(b, der != nil)
		if der != nil {
			b = appendBytes(b, der)
		}
	}
	b = binary.AppendUvarint(b, uint64(len(v.SCTs)))
	for i := range v.SCTs {
		t := &v.SCTs[i]
		b = binary.AppendUvarint(b, t.Version)
		b = appendBytes(b, t.LogID)
		b = binary.AppendUvarint(b, t.Timestamp)
		b = binary.AppendUvarint(b, t.HashAlg)
		b = binary.AppendUvarint(b, t.SigAlg)
		b = appendBytes(b, t.Signature)
		b = append(b, byte(t.Source))
	}
	b = appendBool(b, v.OCSPResponse != nil)
	b = appendBytes(b, v.OCSPResponse)
	b = appendString(b, v.Subject)
	b = appendString(b, v.SHA1)
	e.put(b)
}

const decValidate = 'V'

func appendBytes(b, p []byte) []byte {
	b = binary.AppendUvarint(b, uint64(len(p)))
	return append(b, p...)
}

// validation decodes an Encoder's Validate line (after its kind byte).
func (d *decoder) validation(c *tlsmon.Conn) (Validation, bool) {
	v := Validation{ID: d.Uvarint(), OCSP: d.bool(), Ts: d.Varint()}
	v.Conn = d.conn(c)
	n := d.Uvarint()
	if d.Err != nil || n > uint64(len(d.B)) {
		return v, false
	}
	v.Chain = make([][]byte, 0, n)
	for range n {
		if d.bool() {
			v.Chain = append(v.Chain, d.Bytes(d.Uvarint()))
		} else {
			v.Chain = append(v.Chain, nil)
		}
	}
	n = d.Uvarint()
	if d.Err != nil || n > uint64(len(d.B)) {
		return v, false
	}
	for range n {
		t := validate.SCT{Version: d.Uvarint(), LogID: d.Bytes(d.Uvarint()), Timestamp: d.Uvarint(),
			HashAlg: d.Uvarint(), SigAlg: d.Uvarint(), Signature: d.Bytes(d.Uvarint())}
		if p := d.Bytes(1); len(p) == 1 {
			t.Source = validate.SCTSource(p[0])
		}
		v.SCTs = append(v.SCTs, t)
	}
	hasResp := d.bool()
	resp := d.Bytes(d.Uvarint())
	if hasResp {
		v.OCSPResponse = resp
		if v.OCSPResponse == nil {
			v.OCSPResponse = []byte{}
		}
	}
	v.Subject, v.SHA1 = d.string(), d.string()
	return v, d.Err == nil && len(d.B) == 0 && v.Conn != nil && v.ID != 0
}
