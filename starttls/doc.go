// Package starttls hosts the analyzers of protocols that start TLS inside their own stream
// (SMTP, POP3, IMAP, IRC, XMPP, FTP, PostgreSQL, MySQL, LDAP, SOCKS, HTTP CONNECT and
// WebSocket). Each lives in a sub-package that parses only what decides, as Zeek's analyzer
// of that protocol does, the byte at which the stream turns into TLS, and the analyzer
// confirmations Zeek raises (they feed conn.log's service).
//
// This package holds what they share: Host, the analyzer.Analyzer that runs a protocol's
// Parser and owns the child it hands the stream to (the SSL analyzer directly, or a
// content-detection child that attaches the SSL analyzer when its signature matches, as
// Zeek's PIA does inside SOCKS, HTTP CONNECT and WebSocket tunnels), and Lines, a capped
// line framer for the text protocols. The SSL analyzer is the engine's (analyzer.Env.SSL:
// its limits, memory budget and event filters), or ssl.New when the Env has none.
package starttls
