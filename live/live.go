// Package live captures packets from network interfaces for the engine, with Linux's
// AF_PACKET TPACKET_V3 rings (github.com/gopacket/gopacket/afpacket: no cgo), one socket
// per interface joined to a PACKET_FANOUT group so that several sockets — of this process
// or of other tlsmon processes — share an interface by flow, as Zeek's AF_Packet source
// and Suricata's cluster_flow do. Other platforms get ErrUnsupported.
//
// A Source is what one engine reads. A run with several workers opens one Source per worker
// with the same Options (OpenWorkers: same fanout groups), each feeding its own engine: the
// kernel's symmetric flow hash sends every packet of a connection (and, with Defrag, every
// fragment of its datagrams) to the same worker, so no dispatcher is needed.
package live

import (
	"errors"
	"fmt"
	"time"

	"github.com/tlsmon/tlsmon/filter"
)

// ErrIdle is returned by Source.Next when no packet arrived within Options.IdleWait: the
// caller advances its clock with the wall clock and calls Next again.
var ErrIdle = errors.New("live: no packet within the idle wait")

// ErrUnsupported is returned by Open where live capture is not implemented.
var ErrUnsupported = errors.New("live capture (-i) is supported on Linux only (AF_PACKET)")

// Fanout modes (PACKET_FANOUT_*).
const (
	FanoutHash = "hash" // symmetric flow hash: both directions of a connection to one socket
	FanoutCPU  = "cpu"
	FanoutQM   = "qm" // the NIC's receive queue
	FanoutLB   = "lb" // round robin: splits connections; for tests only
)

// Options configures a Source. The zero value of each field takes Zeek's AF_Packet default
// (init-bare.zeek, module AF_Packet).
type Options struct {
	Interfaces   []string
	BufferSize   int           // ring bytes per socket (Zeek's buffer_size: 128 MiB)
	BlockSize    int           // ring block size, a multiple of the page size (Zeek: 32 KiB)
	BlockTimeout time.Duration // block retire timeout (Zeek: 10 ms)
	FanoutID     uint16        // fanout group id of the first interface, +1 for each next (Zeek: 23)
	FanoutMode   string        // FanoutHash (Zeek's default), FanoutCPU, FanoutQM, FanoutLB
	NoFanout     bool          // do not join a fanout group (Zeek's enable_fanout=F)
	Defrag       bool          // PACKET_FANOUT_FLAG_DEFRAG: fragments hashed as their datagram
	NoPromisc    bool          // leave the interface's promiscuous mode alone
	Filter       *filter.Filter
	// IdleWait is how long Next waits for a packet before returning ErrIdle (default 100 ms).
	IdleWait time.Duration
}

// Zeek's AF_Packet defaults.
const (
	DefaultBufferSize   = 128 << 20
	DefaultBlockSize    = 4096 * 8
	DefaultBlockTimeout = 10 * time.Millisecond
	DefaultFanoutID     = 23
	defaultIdleWait     = 100 * time.Millisecond
)

func (o *Options) defaults() error {
	if o.BufferSize == 0 {
		o.BufferSize = DefaultBufferSize
	}
	if o.BlockSize == 0 {
		o.BlockSize = DefaultBlockSize
	}
	if o.BlockTimeout == 0 {
		o.BlockTimeout = DefaultBlockTimeout
	}
	if o.FanoutID == 0 && !o.NoFanout {
		o.FanoutID = DefaultFanoutID
	}
	if o.FanoutMode == "" {
		o.FanoutMode = FanoutHash
	}
	if o.IdleWait == 0 {
		o.IdleWait = defaultIdleWait
	}
	switch o.FanoutMode {
	case FanoutHash, FanoutCPU, FanoutQM, FanoutLB:
	default:
		return fmt.Errorf("fanout mode %q: want hash, cpu, qm or lb", o.FanoutMode)
	}
	if o.BlockSize <= 0 || o.BlockSize%4096 != 0 {
		return fmt.Errorf("block size %d: must be a positive multiple of 4096", o.BlockSize)
	}
	if o.BufferSize < o.BlockSize {
		return fmt.Errorf("buffer size %d: smaller than one block (%d)", o.BufferSize, o.BlockSize)
	}
	if len(o.Interfaces) == 0 {
		return errors.New("no interface")
	}
	return nil
}

// Validate reports what Open would refuse in o before opening anything (a usage error).
func (o Options) Validate() error { return o.defaults() }

// OpenWorkers opens n Sources with the same Options, one per worker: each interface's n
// sockets join the same fanout group, which shares its packets out among them by flow. More
// than one worker needs the fanout group (without it every socket gets every packet).
func OpenWorkers(o Options, n int) ([]*Source, error) {
	if n > 1 && o.NoFanout {
		return nil, errors.New("several workers need the fanout group: each would see every packet without it")
	}
	srcs := make([]*Source, 0, n)
	for range max(n, 1) {
		s, err := Open(o)
		if err != nil {
			for _, s := range srcs {
				s.Close()
			}
			return nil, err
		}
		srcs = append(srcs, s)
	}
	return srcs, nil
}

// Stats are one socket's counters since it was opened.
type Stats struct {
	Interface string
	Received  uint64 // packets handed to the process
	Bytes     uint64 // their captured bytes
	Kernel    uint64 // packets the kernel counted for the socket (PACKET_STATISTICS tp_packets)
	Drops     uint64 // packets the kernel dropped for lack of ring space (tp_drops)
}
