package main

import "github.com/tlsmon/tlsmon"

// logBuilder turns events into the rows of one or more logs.
type logBuilder interface {
	tlsmon.Handler
	Close(ts int64) error
}
