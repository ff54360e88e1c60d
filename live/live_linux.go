//go:build linux

package live

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/afpacket"
	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"

	"github.com/tlsmon/tlsmon/capture"
	"github.com/tlsmon/tlsmon/filter"
)

// sock is one interface's socket.
type sock struct {
	iface string
	link  uint32
	tp    *afpacket.TPacket
	num   uint64
	bytes uint64
	// The socket receives from the moment it is bound, before the filter is attached and
	// before it joins its fanout group: frames received before the filter was attached
	// (kernel timestamp) are filtered in user space instead, and those received before the
	// join are dropped, as other sockets of the group may have them too (a worker that
	// joined earlier): a packet is never analysed twice. pending is set until a frame
	// newer than both comes.
	attached int64 // ns; 0: no filter
	joined   int64 // ns; 0: no fanout group
	pending  bool
	check    *filter.Matcher
}

// Source reads the interfaces' sockets in turn. Next and Stats are called from one
// goroutine (a worker's); Close may be called from others.
type Source struct {
	opts   Options
	socks  []*sock
	next   int // socket to read first
	mu     sync.Mutex
	closed bool
}

// linkType maps an interface's ARPHRD type to a pcap link type; loopback says whether it
// is a loopback interface.
func linkType(iface string) (link uint32, loopback bool, err error) {
	b, err := os.ReadFile("/sys/class/net/" + iface + "/type")
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return 0, false, fmt.Errorf("interface %s: no such interface", iface)
		}
		return 0, false, fmt.Errorf("interface %s: %w", iface, err)
	}
	t, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	switch t {
	case unix.ARPHRD_ETHER:
		return 1, false, nil // LINKTYPE_ETHERNET
	case unix.ARPHRD_LOOPBACK:
		return 1, true, nil
	case unix.ARPHRD_NONE:
		return 101, false, nil // LINKTYPE_RAW: tun devices and the like
	}
	return 0, false, fmt.Errorf("interface %s: hardware type %d is not supported (Ethernet, loopback and raw IP are)", iface, t)
}

func fanoutType(o *Options) afpacket.FanoutType {
	t := afpacket.FanoutHash
	switch o.FanoutMode {
	case FanoutCPU:
		t = afpacket.FanoutCPU
	case FanoutQM:
		t = afpacket.FanoutQueueMapping
	case FanoutLB:
		t = afpacket.FanoutLoadBalance
	}
	if o.Defrag {
		t |= unix.PACKET_FANOUT_FLAG_DEFRAG
	}
	return t
}

// Open opens one socket per interface, with the ring, fanout group, promiscuous mode and
// filter of o. Errors name the interface (and say when privileges are missing).
func Open(o Options) (*Source, error) {
	if err := o.defaults(); err != nil {
		return nil, err
	}
	s := &Source{opts: o}
	poll := o.IdleWait
	if len(o.Interfaces) > 1 {
		poll = time.Millisecond // each socket in turn: a short wait on each
	}
	for idx, iface := range o.Interfaces {
		link, loopback, err := linkType(iface)
		if err != nil {
			s.Close()
			return nil, err
		}
		tp, err := afpacket.NewTPacket(
			afpacket.OptInterface(iface),
			afpacket.TPacketVersion3,
			afpacket.OptBlockSize(o.BlockSize),
			afpacket.OptFrameSize(4096),
			afpacket.OptNumBlocks(o.BufferSize/o.BlockSize),
			afpacket.OptBlockTimeout(o.BlockTimeout),
			afpacket.OptPollTimeout(poll),
			afpacket.OptAddVLANHeader(true),
		)
		if err != nil {
			s.Close()
			return nil, ifaceError(iface, "open", err)
		}
		k := &sock{iface: iface, link: link, tp: tp}
		s.socks = append(s.socks, k)
		if o.Filter != nil || loopback {
			prog, err := kernelProgram(o.Filter, link, loopback)
			if err == nil {
				err = tp.SetBPF(prog)
			}
			if err != nil {
				s.Close()
				return nil, ifaceError(iface, "filter", err)
			}
			if o.Filter != nil {
				k.attached, k.check, k.pending = time.Now().UnixNano(), filter.NewMatcher(o.Filter), true
			}
		}
		if !o.NoPromisc {
			if err := tp.SetPromiscuous(true); err != nil {
				s.Close()
				return nil, ifaceError(iface, "promiscuous mode", err)
			}
		}
		if !o.NoFanout {
			// A fanout group belongs to one interface: the k-th interface joins FanoutID+k
			// (so processes sharing interfaces list them in the same order).
			id := o.FanoutID + uint16(idx)
			if err := tp.SetFanout(fanoutType(&o), id); err != nil {
				s.Close()
				if errors.Is(err, unix.EINVAL) || errors.Is(err, unix.EALREADY) {
					err = fmt.Errorf("%w: the group is in use on another interface or with another mode; choose another --af-packet-fanout-id", err)
				}
				return nil, ifaceError(iface, fmt.Sprintf("fanout group %d (%s)", id, o.FanoutMode), err)
			}
			k.joined, k.pending = time.Now().UnixNano(), true
		}
	}
	return s, nil
}

// kernelProgram is the socket filter: the -f program, preceded on a loopback interface by
// a test that drops the outgoing copy of each packet (a packet socket on lo sees every packet
// twice, leaving and arriving; libpcap drops the first the same way).
func kernelProgram(f *filter.Filter, link uint32, loopback bool) ([]bpf.RawInstruction, error) {
	prog := []bpf.Instruction{bpf.RetConstant{Val: 262144}}
	if f != nil {
		var err error
		if prog, err = f.Program(link); err != nil {
			return nil, err
		}
	}
	if loopback {
		prog = append([]bpf.Instruction{
			bpf.LoadExtension{Num: bpf.ExtType},
			bpf.JumpIf{Cond: bpf.JumpEqual, Val: unix.PACKET_OUTGOING, SkipFalse: 1},
			bpf.RetConstant{Val: 0},
		}, prog...)
	}
	return bpf.Assemble(prog)
}

func ifaceError(iface, what string, err error) error {
	if errors.Is(err, unix.EPERM) || errors.Is(err, unix.EACCES) {
		return fmt.Errorf("interface %s: %s: %w (needs root or the capability CAP_NET_RAW)", iface, what, err)
	}
	return fmt.Errorf("interface %s: %s: %w", iface, what, err)
}

// Next reads the next packet of any interface into f; f.Data points into the ring and is
// valid until the next call. It returns ErrIdle when no packet came within the idle wait,
// and io.EOF once the source is closed.
func (s *Source) Next(f *capture.Frame) error {
	n := len(s.socks)
	deadline := time.Time{}
	for {
		for i := 0; i < n; i++ {
			k := s.socks[(s.next+i)%n]
			data, ci, err := k.read()
			if err == nil {
				s.next = (s.next + i) % n
				k.num++
				k.bytes += uint64(len(data))
				f.Ts = ci.Timestamp.UnixMicro()
				f.LinkType = k.link
				f.Data = data
				f.WireLen = ci.Length
				f.Num = k.num
				f.File = k.iface
				return nil
			}
			if errors.Is(err, afpacket.ErrTimeout) {
				continue
			}
			if s.isClosed() {
				return io.EOF
			}
			return ifaceError(k.iface, "read", err)
		}
		if n == 1 {
			return ErrIdle
		}
		if deadline.IsZero() {
			deadline = time.Now().Add(s.opts.IdleWait)
		} else if time.Now().After(deadline) {
			return ErrIdle
		}
	}
}

// read returns the socket's next frame, skipping those queued before the socket joined
// its fanout group, and those queued before the kernel filter was attached that the filter
// rejects.
func (k *sock) read() ([]byte, gopacket.CaptureInfo, error) {
	for {
		data, ci, err := k.tp.ZeroCopyReadPacketData()
		if err != nil || !k.pending {
			return data, ci, err
		}
		ts := ci.Timestamp.UnixNano()
		if ts > k.attached && ts > k.joined {
			k.pending = false // past both: the kernel filters and shares out everything from here
			return data, ci, nil
		}
		if ts <= k.joined {
			continue
		}
		if ok, _ := k.check.Match(k.link, data); ok {
			return data, ci, nil
		}
	}
}

func (s *Source) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

// Stats returns each socket's counters; the kernel's are read now (PACKET_STATISTICS).
func (s *Source) Stats() []Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Stats, 0, len(s.socks))
	for _, k := range s.socks {
		st := Stats{Interface: k.iface, Received: k.num, Bytes: k.bytes}
		if !s.closed {
			if _, v3, err := k.tp.SocketStats(); err == nil {
				st.Kernel, st.Drops = uint64(v3.Packets()), uint64(v3.Drops())
			}
		}
		out = append(out, st)
	}
	return out
}

// Close closes the sockets.
func (s *Source) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	for _, k := range s.socks {
		k.tp.Close()
	}
	return nil
}
