//go:build !linux

package live

import "github.com/tlsmon/tlsmon/capture"

// Source is not available on this platform.
type Source struct{}

// Open returns ErrUnsupported.
func Open(o Options) (*Source, error) { return nil, ErrUnsupported }

// Next returns ErrUnsupported.
func (s *Source) Next(f *capture.Frame) error { return ErrUnsupported }

// Stats returns nothing.
func (s *Source) Stats() []Stats { return nil }

// Close does nothing.
func (s *Source) Close() error { return nil }
