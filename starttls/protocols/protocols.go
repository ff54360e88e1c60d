// Package protocols lists the analyzers of the starttls tree, for registration.
package protocols

import (
	"github.com/tlsmon/tlsmon/analyzer"
	"github.com/tlsmon/tlsmon/starttls/ftp"
	"github.com/tlsmon/tlsmon/starttls/http"
	"github.com/tlsmon/tlsmon/starttls/imap"
	"github.com/tlsmon/tlsmon/starttls/irc"
	"github.com/tlsmon/tlsmon/starttls/ldap"
	"github.com/tlsmon/tlsmon/starttls/mysql"
	"github.com/tlsmon/tlsmon/starttls/pop3"
	"github.com/tlsmon/tlsmon/starttls/postgresql"
	"github.com/tlsmon/tlsmon/starttls/smtp"
	"github.com/tlsmon/tlsmon/starttls/socks"
	"github.com/tlsmon/tlsmon/starttls/xmpp"
)

// Specs returns the specs of every analyzer that can start TLS inside its protocol.
func Specs() []analyzer.Spec {
	return []analyzer.Spec{smtp.Spec(), pop3.Spec(), imap.Spec(), irc.Spec(), xmpp.Spec(), ftp.Spec(),
		postgresql.Spec(), mysql.Spec(), ldap.Spec(), socks.Spec(), http.Spec()}
}
