// Written from the event signatures of Zeek 9's src/analyzer/protocol/ssl/events.bif (declaration order kept).

package tlsmon

// SSLClientHello is Zeek's ssl_client_hello event.
type SSLClientHello struct {
	Meta
	Version       uint64   // version: count
	RecordVersion uint64   // record_version: count
	PossibleTs    float64  // possible_ts: time
	ClientRandom  []byte   // client_random: string
	SessionID     []byte   // session_id: string
	Ciphers       []uint64 // ciphers: index_vec
	CompMethods   []uint64 // comp_methods: index_vec
}

// Name returns "ssl_client_hello".
func (*SSLClientHello) Name() string { return "ssl_client_hello" }

// AppendArgs appends the canonical JSON object of the event's arguments.
func (e *SSLClientHello) AppendArgs(b []byte) []byte {
	b = append(b, '{')
	b = append(b, `"version":`...)
	b = appendCount(b, e.Version)
	b = append(b, `,"record_version":`...)
	b = appendCount(b, e.RecordVersion)
	b = append(b, `,"possible_ts":`...)
	b = appendTime(b, e.PossibleTs)
	b = append(b, `,"client_random":`...)
	b = appendHex(b, e.ClientRandom)
	b = append(b, `,"session_id":`...)
	b = appendHex(b, e.SessionID)
	b = append(b, `,"ciphers":`...)
	b = appendCounts(b, e.Ciphers)
	b = append(b, `,"comp_methods":`...)
	b = appendCounts(b, e.CompMethods)
	return append(b, '}')
}

// SSLServerHello is Zeek's ssl_server_hello event.
type SSLServerHello struct {
	Meta
	Version       uint64  // version: count
	RecordVersion uint64  // record_version: count
	PossibleTs    float64 // possible_ts: time
	ServerRandom  []byte  // server_random: string
	SessionID     []byte  // session_id: string
	Cipher        uint64  // cipher: count
	CompMethod    uint64  // comp_method: count
}

// Name returns "ssl_server_hello".
func (*SSLServerHello) Name() string { return "ssl_server_hello" }

// AppendArgs appends the canonical JSON object of the event's arguments.
func (e *SSLServerHello) AppendArgs(b []byte) []byte {
	b = append(b, '{')
	b = append(b, `"version":`...)
	b = appendCount(b, e.Version)
	b = append(b, `,"record_version":`...)
	b = appendCount(b, e.RecordVersion)
	b = append(b, `,"possible_ts":`...)
	b = appendTime(b, e.PossibleTs)
	b = append(b, `,"server_random":`...)
	b = appendHex(b, e.ServerRandom)
	b = append(b, `,"session_id":`...)
	b = appendHex(b, e.SessionID)
	b = append(b, `,"cipher":`...)
	b = appendCount(b, e.Cipher)
	b = append(b, `,"comp_method":`...)
	b = appendCount(b, e.CompMethod)
	return append(b, '}')
}

// SSLExtension is Zeek's ssl_extension event.
type SSLExtension struct {
	Meta
	IsClient bool   // is_client: bool
	Code     uint64 // code: count
	Val      []byte // val: string
}

// Name returns "ssl_extension".
func (*SSLExtension) Name() string { return "ssl_extension" }

// AppendArgs appends the canonical JSON object of the event's arguments.
func (e *SSLExtension) AppendArgs(b []byte) []byte {
	b = append(b, '{')
	b = append(b, `"is_client":`...)
	b = appendBool(b, e.IsClient)
	b = append(b, `,"code":`...)
	b = appendCount(b, e.Code)
	b = append(b, `,"val":`...)
	b = appendHex(b, e.Val)
	return append(b, '}')
}

// SSLExtensionEllipticCurves is Zeek's ssl_extension_elliptic_curves event.
type SSLExtensionEllipticCurves struct {
	Meta
	IsClient bool     // is_client: bool
	Curves   []uint64 // curves: index_vec
}

// Name returns "ssl_extension_elliptic_curves".
func (*SSLExtensionEllipticCurves) Name() string { return "ssl_extension_elliptic_curves" }

// AppendArgs appends the canonical JSON object of the event's arguments.
func (e *SSLExtensionEllipticCurves) AppendArgs(b []byte) []byte {
	b = append(b, '{')
	b = append(b, `"is_client":`...)
	b = appendBool(b, e.IsClient)
	b = append(b, `,"curves":`...)
	b = appendCounts(b, e.Curves)
	return append(b, '}')
}

// SSLExtensionECPointFormats is Zeek's ssl_extension_ec_point_formats event.
type SSLExtensionECPointFormats struct {
	Meta
	IsClient     bool     // is_client: bool
	PointFormats []uint64 // point_formats: index_vec
}

// Name returns "ssl_extension_ec_point_formats".
func (*SSLExtensionECPointFormats) Name() string { return "ssl_extension_ec_point_formats" }

// AppendArgs appends the canonical JSON object of the event's arguments.
func (e *SSLExtensionECPointFormats) AppendArgs(b []byte) []byte {
	b = append(b, '{')
	b = append(b, `"is_client":`...)
	b = appendBool(b, e.IsClient)
	b = append(b, `,"point_formats":`...)
	b = appendCounts(b, e.PointFormats)
	return append(b, '}')
}

// SSLExtensionSignatureAlgorithm is Zeek's ssl_extension_signature_algorithm event.
type SSLExtensionSignatureAlgorithm struct {
	Meta
	IsClient            bool                        // is_client: bool
	SignatureAlgorithms []SignatureAndHashAlgorithm // signature_algorithms: signature_and_hashalgorithm_vec
}

// Name returns "ssl_extension_signature_algorithm".
func (*SSLExtensionSignatureAlgorithm) Name() string { return "ssl_extension_signature_algorithm" }

// AppendArgs appends the canonical JSON object of the event's arguments.
func (e *SSLExtensionSignatureAlgorithm) AppendArgs(b []byte) []byte {
	b = append(b, '{')
	b = append(b, `"is_client":`...)
	b = appendBool(b, e.IsClient)
	b = append(b, `,"signature_algorithms":`...)
	b = appendSigAlgs(b, e.SignatureAlgorithms)
	return append(b, '}')
}

// SSLExtensionSignatureAlgorithmsCert is Zeek's ssl_extension_signature_algorithms_cert event.
type SSLExtensionSignatureAlgorithmsCert struct {
	Meta
	IsClient         bool     // is_client: bool
	SignatureSchemes []uint64 // signature_schemes: index_vec
}

// Name returns "ssl_extension_signature_algorithms_cert".
func (*SSLExtensionSignatureAlgorithmsCert) Name() string {
	return "ssl_extension_signature_algorithms_cert"
}

// AppendArgs appends the canonical JSON object of the event's arguments.
func (e *SSLExtensionSignatureAlgorithmsCert) AppendArgs(b []byte) []byte {
	b = append(b, '{')
	b = append(b, `"is_client":`...)
	b = appendBool(b, e.IsClient)
	b = append(b, `,"signature_schemes":`...)
	b = appendCounts(b, e.SignatureSchemes)
	return append(b, '}')
}

// SSLExtensionKeyShare is Zeek's ssl_extension_key_share event.
type SSLExtensionKeyShare struct {
	Meta
	IsClient bool     // is_client: bool
	Curves   []uint64 // curves: index_vec
}

// Name returns "ssl_extension_key_share".
func (*SSLExtensionKeyShare) Name() string { return "ssl_extension_key_share" }

// AppendArgs appends the canonical JSON object of the event's arguments.
func (e *SSLExtensionKeyShare) AppendArgs(b []byte) []byte {
	b = append(b, '{')
	b = append(b, `"is_client":`...)
	b = appendBool(b, e.IsClient)
	b = append(b, `,"curves":`...)
	b = appendCounts(b, e.Curves)
	return append(b, '}')
}

// SSLExtensionPreSharedKeyClientHello is Zeek's ssl_extension_pre_shared_key_client_hello event.
type SSLExtensionPreSharedKeyClientHello struct {
	Meta
	IsClient   bool          // is_client: bool
	Identities []PSKIdentity // identities: psk_identity_vec
	Binders    [][]byte      // binders: string_vec
}

// Name returns "ssl_extension_pre_shared_key_client_hello".
func (*SSLExtensionPreSharedKeyClientHello) Name() string {
	return "ssl_extension_pre_shared_key_client_hello"
}

// AppendArgs appends the canonical JSON object of the event's arguments.
func (e *SSLExtensionPreSharedKeyClientHello) AppendArgs(b []byte) []byte {
	b = append(b, '{')
	b = append(b, `"is_client":`...)
	b = appendBool(b, e.IsClient)
	b = append(b, `,"identities":`...)
	b = appendPSKIdentities(b, e.Identities)
	b = append(b, `,"binders":`...)
	b = appendHexes(b, e.Binders)
	return append(b, '}')
}

// SSLExtensionPreSharedKeyServerHello is Zeek's ssl_extension_pre_shared_key_server_hello event.
type SSLExtensionPreSharedKeyServerHello struct {
	Meta
	IsClient         bool   // is_client: bool
	SelectedIdentity uint64 // selected_identity: count
}

// Name returns "ssl_extension_pre_shared_key_server_hello".
func (*SSLExtensionPreSharedKeyServerHello) Name() string {
	return "ssl_extension_pre_shared_key_server_hello"
}

// AppendArgs appends the canonical JSON object of the event's arguments.
func (e *SSLExtensionPreSharedKeyServerHello) AppendArgs(b []byte) []byte {
	b = append(b, '{')
	b = append(b, `"is_client":`...)
	b = appendBool(b, e.IsClient)
	b = append(b, `,"selected_identity":`...)
	b = appendCount(b, e.SelectedIdentity)
	return append(b, '}')
}

// SSLECDHServerParams is Zeek's ssl_ecdh_server_params event.
type SSLECDHServerParams struct {
	Meta
	Curve uint64 // curve: count
	Point []byte // point: string
}

// Name returns "ssl_ecdh_server_params".
func (*SSLECDHServerParams) Name() string { return "ssl_ecdh_server_params" }

// AppendArgs appends the canonical JSON object of the event's arguments.
func (e *SSLECDHServerParams) AppendArgs(b []byte) []byte {
	b = append(b, '{')
	b = append(b, `"curve":`...)
	b = appendCount(b, e.Curve)
	b = append(b, `,"point":`...)
	b = appendHex(b, e.Point)
	return append(b, '}')
}

// SSLDHServerParams is Zeek's ssl_dh_server_params event.
type SSLDHServerParams struct {
	Meta
	P  []byte // p: string
	Q  []byte // q: string
	Ys []byte // Ys: string
}

// Name returns "ssl_dh_server_params".
func (*SSLDHServerParams) Name() string { return "ssl_dh_server_params" }

// AppendArgs appends the canonical JSON object of the event's arguments.
func (e *SSLDHServerParams) AppendArgs(b []byte) []byte {
	b = append(b, '{')
	b = append(b, `"p":`...)
	b = appendHex(b, e.P)
	b = append(b, `,"q":`...)
	b = appendHex(b, e.Q)
	b = append(b, `,"Ys":`...)
	b = appendHex(b, e.Ys)
	return append(b, '}')
}

// SSLServerSignature is Zeek's ssl_server_signature event.
type SSLServerSignature struct {
	Meta
	SignatureAndHashalgorithm SignatureAndHashAlgorithm // signature_and_hashalgorithm: SSL::SignatureAndHashAlgorithm
	Signature                 []byte                    // signature: string
}

// Name returns "ssl_server_signature".
func (*SSLServerSignature) Name() string { return "ssl_server_signature" }

// AppendArgs appends the canonical JSON object of the event's arguments.
func (e *SSLServerSignature) AppendArgs(b []byte) []byte {
	b = append(b, '{')
	b = append(b, `"signature_and_hashalgorithm":`...)
	b = appendSigAlg(b, e.SignatureAndHashalgorithm)
	b = append(b, `,"signature":`...)
	b = appendHex(b, e.Signature)
	return append(b, '}')
}

// SSLECDHClientParams is Zeek's ssl_ecdh_client_params event.
type SSLECDHClientParams struct {
	Meta
	Point []byte // point: string
}

// Name returns "ssl_ecdh_client_params".
func (*SSLECDHClientParams) Name() string { return "ssl_ecdh_client_params" }

// AppendArgs appends the canonical JSON object of the event's arguments.
func (e *SSLECDHClientParams) AppendArgs(b []byte) []byte {
	b = append(b, '{')
	b = append(b, `"point":`...)
	b = appendHex(b, e.Point)
	return append(b, '}')
}

// SSLDHClientParams is Zeek's ssl_dh_client_params event.
type SSLDHClientParams struct {
	Meta
	Yc []byte // Yc: string
}

// Name returns "ssl_dh_client_params".
func (*SSLDHClientParams) Name() string { return "ssl_dh_client_params" }

// AppendArgs appends the canonical JSON object of the event's arguments.
func (e *SSLDHClientParams) AppendArgs(b []byte) []byte {
	b = append(b, '{')
	b = append(b, `"Yc":`...)
	b = appendHex(b, e.Yc)
	return append(b, '}')
}

// SSLRSAClientPMS is Zeek's ssl_rsa_client_pms event.
type SSLRSAClientPMS struct {
	Meta
	PMS []byte // pms: string
}

// Name returns "ssl_rsa_client_pms".
func (*SSLRSAClientPMS) Name() string { return "ssl_rsa_client_pms" }

// AppendArgs appends the canonical JSON object of the event's arguments.
func (e *SSLRSAClientPMS) AppendArgs(b []byte) []byte {
	b = append(b, '{')
	b = append(b, `"pms":`...)
	b = appendHex(b, e.PMS)
	return append(b, '}')
}

// SSLExtensionApplicationLayerProtocolNegotiation is Zeek's ssl_extension_application_layer_protocol_negotiation event.
type SSLExtensionApplicationLayerProtocolNegotiation struct {
	Meta
	IsClient  bool     // is_client: bool
	Protocols [][]byte // protocols: string_vec
}

// Name returns "ssl_extension_application_layer_protocol_negotiation".
func (*SSLExtensionApplicationLayerProtocolNegotiation) Name() string {
	return "ssl_extension_application_layer_protocol_negotiation"
}

// AppendArgs appends the canonical JSON object of the event's arguments.
func (e *SSLExtensionApplicationLayerProtocolNegotiation) AppendArgs(b []byte) []byte {
	b = append(b, '{')
	b = append(b, `"is_client":`...)
	b = appendBool(b, e.IsClient)
	b = append(b, `,"protocols":`...)
	b = appendHexes(b, e.Protocols)
	return append(b, '}')
}

// SSLExtensionServerName is Zeek's ssl_extension_server_name event.
type SSLExtensionServerName struct {
	Meta
	IsClient bool     // is_client: bool
	Names    [][]byte // names: string_vec
}

// Name returns "ssl_extension_server_name".
func (*SSLExtensionServerName) Name() string { return "ssl_extension_server_name" }

// AppendArgs appends the canonical JSON object of the event's arguments.
func (e *SSLExtensionServerName) AppendArgs(b []byte) []byte {
	b = append(b, '{')
	b = append(b, `"is_client":`...)
	b = appendBool(b, e.IsClient)
	b = append(b, `,"names":`...)
	b = appendHexes(b, e.Names)
	return append(b, '}')
}

// SSLExtensionSignedCertificateTimestamp is Zeek's ssl_extension_signed_certificate_timestamp event.
type SSLExtensionSignedCertificateTimestamp struct {
	Meta
	IsClient                  bool                      // is_client: bool
	Version                   uint64                    // version: count
	LogID                     []byte                    // logid: string
	Timestamp                 uint64                    // timestamp: count
	SignatureAndHashalgorithm SignatureAndHashAlgorithm // signature_and_hashalgorithm: SSL::SignatureAndHashAlgorithm
	Signature                 []byte                    // signature: string
}

// Name returns "ssl_extension_signed_certificate_timestamp".
func (*SSLExtensionSignedCertificateTimestamp) Name() string {
	return "ssl_extension_signed_certificate_timestamp"
}

// AppendArgs appends the canonical JSON object of the event's arguments.
func (e *SSLExtensionSignedCertificateTimestamp) AppendArgs(b []byte) []byte {
	b = append(b, '{')
	b = append(b, `"is_client":`...)
	b = appendBool(b, e.IsClient)
	b = append(b, `,"version":`...)
	b = appendCount(b, e.Version)
	b = append(b, `,"logid":`...)
	b = appendHex(b, e.LogID)
	b = append(b, `,"timestamp":`...)
	b = appendCount(b, e.Timestamp)
	b = append(b, `,"signature_and_hashalgorithm":`...)
	b = appendSigAlg(b, e.SignatureAndHashalgorithm)
	b = append(b, `,"signature":`...)
	b = appendHex(b, e.Signature)
	return append(b, '}')
}

// SSLExtensionSupportedVersions is Zeek's ssl_extension_supported_versions event.
type SSLExtensionSupportedVersions struct {
	Meta
	IsClient bool     // is_client: bool
	Versions []uint64 // versions: index_vec
}

// Name returns "ssl_extension_supported_versions".
func (*SSLExtensionSupportedVersions) Name() string { return "ssl_extension_supported_versions" }

// AppendArgs appends the canonical JSON object of the event's arguments.
func (e *SSLExtensionSupportedVersions) AppendArgs(b []byte) []byte {
	b = append(b, '{')
	b = append(b, `"is_client":`...)
	b = appendBool(b, e.IsClient)
	b = append(b, `,"versions":`...)
	b = appendCounts(b, e.Versions)
	return append(b, '}')
}

// SSLExtensionPSKKeyExchangeModes is Zeek's ssl_extension_psk_key_exchange_modes event.
type SSLExtensionPSKKeyExchangeModes struct {
	Meta
	IsClient bool     // is_client: bool
	Modes    []uint64 // modes: index_vec
}

// Name returns "ssl_extension_psk_key_exchange_modes".
func (*SSLExtensionPSKKeyExchangeModes) Name() string { return "ssl_extension_psk_key_exchange_modes" }

// AppendArgs appends the canonical JSON object of the event's arguments.
func (e *SSLExtensionPSKKeyExchangeModes) AppendArgs(b []byte) []byte {
	b = append(b, '{')
	b = append(b, `"is_client":`...)
	b = appendBool(b, e.IsClient)
	b = append(b, `,"modes":`...)
	b = appendCounts(b, e.Modes)
	return append(b, '}')
}

// SSLExtensionConnectionID is Zeek's ssl_extension_connection_id event.
type SSLExtensionConnectionID struct {
	Meta
	IsClient bool   // is_client: bool
	CID      []byte // cid: string
}

// Name returns "ssl_extension_connection_id".
func (*SSLExtensionConnectionID) Name() string { return "ssl_extension_connection_id" }

// AppendArgs appends the canonical JSON object of the event's arguments.
func (e *SSLExtensionConnectionID) AppendArgs(b []byte) []byte {
	b = append(b, '{')
	b = append(b, `"is_client":`...)
	b = appendBool(b, e.IsClient)
	b = append(b, `,"cid":`...)
	b = appendHex(b, e.CID)
	return append(b, '}')
}

// SSLExtensionEncryptedClientHello is Zeek's ssl_extension_encrypted_client_hello event.
type SSLExtensionEncryptedClientHello struct {
	Meta
	IsClient      bool   // is_client: bool
	KDFID         uint64 // kdf_id: count
	AEADID        uint64 // aead_id: count
	ConfigID      uint64 // config_id: count
	Enc           []byte // enc: string
	PayloadLength uint64 // payload_length: count
}

// Name returns "ssl_extension_encrypted_client_hello".
func (*SSLExtensionEncryptedClientHello) Name() string { return "ssl_extension_encrypted_client_hello" }

// AppendArgs appends the canonical JSON object of the event's arguments.
func (e *SSLExtensionEncryptedClientHello) AppendArgs(b []byte) []byte {
	b = append(b, '{')
	b = append(b, `"is_client":`...)
	b = appendBool(b, e.IsClient)
	b = append(b, `,"kdf_id":`...)
	b = appendCount(b, e.KDFID)
	b = append(b, `,"aead_id":`...)
	b = appendCount(b, e.AEADID)
	b = append(b, `,"config_id":`...)
	b = appendCount(b, e.ConfigID)
	b = append(b, `,"enc":`...)
	b = appendHex(b, e.Enc)
	b = append(b, `,"payload_length":`...)
	b = appendCount(b, e.PayloadLength)
	return append(b, '}')
}

// SSLEstablished is Zeek's ssl_established event.
type SSLEstablished struct {
	Meta
}

// Name returns "ssl_established".
func (*SSLEstablished) Name() string { return "ssl_established" }

// AppendArgs appends the canonical JSON object of the event's arguments.
func (e *SSLEstablished) AppendArgs(b []byte) []byte {
	b = append(b, '{')
	return append(b, '}')
}

// SSLAlert is Zeek's ssl_alert event.
type SSLAlert struct {
	Meta
	IsClient bool   // is_client: bool
	Level    uint64 // level: count
	Desc     uint64 // desc: count
}

// Name returns "ssl_alert".
func (*SSLAlert) Name() string { return "ssl_alert" }

// AppendArgs appends the canonical JSON object of the event's arguments.
func (e *SSLAlert) AppendArgs(b []byte) []byte {
	b = append(b, '{')
	b = append(b, `"is_client":`...)
	b = appendBool(b, e.IsClient)
	b = append(b, `,"level":`...)
	b = appendCount(b, e.Level)
	b = append(b, `,"desc":`...)
	b = appendCount(b, e.Desc)
	return append(b, '}')
}

// SSLSessionTicketHandshake is Zeek's ssl_session_ticket_handshake event.
type SSLSessionTicketHandshake struct {
	Meta
	TicketLifetimeHint uint64 // ticket_lifetime_hint: count
	Ticket             []byte // ticket: string
}

// Name returns "ssl_session_ticket_handshake".
func (*SSLSessionTicketHandshake) Name() string { return "ssl_session_ticket_handshake" }

// AppendArgs appends the canonical JSON object of the event's arguments.
func (e *SSLSessionTicketHandshake) AppendArgs(b []byte) []byte {
	b = append(b, '{')
	b = append(b, `"ticket_lifetime_hint":`...)
	b = appendCount(b, e.TicketLifetimeHint)
	b = append(b, `,"ticket":`...)
	b = appendHex(b, e.Ticket)
	return append(b, '}')
}

// SSLHeartbeat is Zeek's ssl_heartbeat event.
type SSLHeartbeat struct {
	Meta
	IsClient      bool   // is_client: bool
	Length        uint64 // length: count
	HeartbeatType uint64 // heartbeat_type: count
	PayloadLength uint64 // payload_length: count
	Payload       []byte // payload: string
}

// Name returns "ssl_heartbeat".
func (*SSLHeartbeat) Name() string { return "ssl_heartbeat" }

// AppendArgs appends the canonical JSON object of the event's arguments.
func (e *SSLHeartbeat) AppendArgs(b []byte) []byte {
	b = append(b, '{')
	b = append(b, `"is_client":`...)
	b = appendBool(b, e.IsClient)
	b = append(b, `,"length":`...)
	b = appendCount(b, e.Length)
	b = append(b, `,"heartbeat_type":`...)
	b = appendCount(b, e.HeartbeatType)
	b = append(b, `,"payload_length":`...)
	b = appendCount(b, e.PayloadLength)
	b = append(b, `,"payload":`...)
	b = appendHex(b, e.Payload)
	return append(b, '}')
}

// SSLPlaintextData is Zeek's ssl_plaintext_data event.
type SSLPlaintextData struct {
	Meta
	IsClient      bool   // is_client: bool
	RecordVersion uint64 // record_version: count
	ContentType   uint64 // content_type: count
	Length        uint64 // length: count
}

// Name returns "ssl_plaintext_data".
func (*SSLPlaintextData) Name() string { return "ssl_plaintext_data" }

// AppendArgs appends the canonical JSON object of the event's arguments.
func (e *SSLPlaintextData) AppendArgs(b []byte) []byte {
	b = append(b, '{')
	b = append(b, `"is_client":`...)
	b = appendBool(b, e.IsClient)
	b = append(b, `,"record_version":`...)
	b = appendCount(b, e.RecordVersion)
	b = append(b, `,"content_type":`...)
	b = appendCount(b, e.ContentType)
	b = append(b, `,"length":`...)
	b = appendCount(b, e.Length)
	return append(b, '}')
}

// SSLEncryptedData is Zeek's ssl_encrypted_data event.
type SSLEncryptedData struct {
	Meta
	IsClient      bool   // is_client: bool
	RecordVersion uint64 // record_version: count
	ContentType   uint64 // content_type: count
	Length        uint64 // length: count
}

// Name returns "ssl_encrypted_data".
func (*SSLEncryptedData) Name() string { return "ssl_encrypted_data" }

// AppendArgs appends the canonical JSON object of the event's arguments.
func (e *SSLEncryptedData) AppendArgs(b []byte) []byte {
	b = append(b, '{')
	b = append(b, `"is_client":`...)
	b = appendBool(b, e.IsClient)
	b = append(b, `,"record_version":`...)
	b = appendCount(b, e.RecordVersion)
	b = append(b, `,"content_type":`...)
	b = appendCount(b, e.ContentType)
	b = append(b, `,"length":`...)
	b = appendCount(b, e.Length)
	return append(b, '}')
}

// SSLProbableEncryptedHandshakeMessage is Zeek's ssl_probable_encrypted_handshake_message event.
type SSLProbableEncryptedHandshakeMessage struct {
	Meta
	IsClient bool   // is_client: bool
	Length   uint64 // length: count
}

// Name returns "ssl_probable_encrypted_handshake_message".
func (*SSLProbableEncryptedHandshakeMessage) Name() string {
	return "ssl_probable_encrypted_handshake_message"
}

// AppendArgs appends the canonical JSON object of the event's arguments.
func (e *SSLProbableEncryptedHandshakeMessage) AppendArgs(b []byte) []byte {
	b = append(b, '{')
	b = append(b, `"is_client":`...)
	b = appendBool(b, e.IsClient)
	b = append(b, `,"length":`...)
	b = appendCount(b, e.Length)
	return append(b, '}')
}

// SSLStapledOCSP is Zeek's ssl_stapled_ocsp event.
type SSLStapledOCSP struct {
	Meta
	IsClient bool   // is_client: bool
	Response []byte // response: string
}

// Name returns "ssl_stapled_ocsp".
func (*SSLStapledOCSP) Name() string { return "ssl_stapled_ocsp" }

// AppendArgs appends the canonical JSON object of the event's arguments.
func (e *SSLStapledOCSP) AppendArgs(b []byte) []byte {
	b = append(b, '{')
	b = append(b, `"is_client":`...)
	b = appendBool(b, e.IsClient)
	b = append(b, `,"response":`...)
	b = appendHex(b, e.Response)
	return append(b, '}')
}

// SSLHandshakeMessage is Zeek's ssl_handshake_message event.
type SSLHandshakeMessage struct {
	Meta
	IsClient bool   // is_client: bool
	MsgType  uint64 // msg_type: count
	Length   uint64 // length: count
}

// Name returns "ssl_handshake_message".
func (*SSLHandshakeMessage) Name() string { return "ssl_handshake_message" }

// AppendArgs appends the canonical JSON object of the event's arguments.
func (e *SSLHandshakeMessage) AppendArgs(b []byte) []byte {
	b = append(b, '{')
	b = append(b, `"is_client":`...)
	b = appendBool(b, e.IsClient)
	b = append(b, `,"msg_type":`...)
	b = appendCount(b, e.MsgType)
	b = append(b, `,"length":`...)
	b = appendCount(b, e.Length)
	return append(b, '}')
}

// SSLChangeCipherSpec is Zeek's ssl_change_cipher_spec event.
type SSLChangeCipherSpec struct {
	Meta
	IsClient bool // is_client: bool
}

// Name returns "ssl_change_cipher_spec".
func (*SSLChangeCipherSpec) Name() string { return "ssl_change_cipher_spec" }

// AppendArgs appends the canonical JSON object of the event's arguments.
func (e *SSLChangeCipherSpec) AppendArgs(b []byte) []byte {
	b = append(b, '{')
	b = append(b, `"is_client":`...)
	b = appendBool(b, e.IsClient)
	return append(b, '}')
}

// SSLConnectionFlipped is Zeek's ssl_connection_flipped event.
type SSLConnectionFlipped struct {
	Meta
}

// Name returns "ssl_connection_flipped".
func (*SSLConnectionFlipped) Name() string { return "ssl_connection_flipped" }

// AppendArgs appends the canonical JSON object of the event's arguments.
func (e *SSLConnectionFlipped) AppendArgs(b []byte) []byte {
	b = append(b, '{')
	return append(b, '}')
}

// SSLCertificateRequest is Zeek's ssl_certificate_request event.
type SSLCertificateRequest struct {
	Meta
	IsClient                     bool                        // is_client: bool
	CertificateTypes             []uint64                    // certificate_types: index_vec
	SupportedSignatureAlgorithms []SignatureAndHashAlgorithm // supported_signature_algorithms: signature_and_hashalgorithm_vec
	CertificateAuthorities       [][]byte                    // certificate_authorities: string_vec
}

// Name returns "ssl_certificate_request".
func (*SSLCertificateRequest) Name() string { return "ssl_certificate_request" }

// AppendArgs appends the canonical JSON object of the event's arguments.
func (e *SSLCertificateRequest) AppendArgs(b []byte) []byte {
	b = append(b, '{')
	b = append(b, `"is_client":`...)
	b = appendBool(b, e.IsClient)
	b = append(b, `,"certificate_types":`...)
	b = appendCounts(b, e.CertificateTypes)
	b = append(b, `,"supported_signature_algorithms":`...)
	b = appendSigAlgs(b, e.SupportedSignatureAlgorithms)
	b = append(b, `,"certificate_authorities":`...)
	b = appendHexes(b, e.CertificateAuthorities)
	return append(b, '}')
}

// SSLEventNames lists the names of the SSL events of Zeek 9, in events.bif order.
var SSLEventNames = []string{
	"ssl_client_hello",
	"ssl_server_hello",
	"ssl_extension",
	"ssl_extension_elliptic_curves",
	"ssl_extension_ec_point_formats",
	"ssl_extension_signature_algorithm",
	"ssl_extension_signature_algorithms_cert",
	"ssl_extension_key_share",
	"ssl_extension_pre_shared_key_client_hello",
	"ssl_extension_pre_shared_key_server_hello",
	"ssl_ecdh_server_params",
	"ssl_dh_server_params",
	"ssl_server_signature",
	"ssl_ecdh_client_params",
	"ssl_dh_client_params",
	"ssl_rsa_client_pms",
	"ssl_extension_application_layer_protocol_negotiation",
	"ssl_extension_server_name",
	"ssl_extension_signed_certificate_timestamp",
	"ssl_extension_supported_versions",
	"ssl_extension_psk_key_exchange_modes",
	"ssl_extension_connection_id",
	"ssl_extension_encrypted_client_hello",
	"ssl_established",
	"ssl_alert",
	"ssl_session_ticket_handshake",
	"ssl_heartbeat",
	"ssl_plaintext_data",
	"ssl_encrypted_data",
	"ssl_probable_encrypted_handshake_message",
	"ssl_stapled_ocsp",
	"ssl_handshake_message",
	"ssl_change_cipher_spec",
	"ssl_connection_flipped",
	"ssl_certificate_request",
}
