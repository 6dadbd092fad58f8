package bpf

import (
	"errors"
	"fmt"
	"time"
)

// DefaultRingSize is the ring buffer size used when Options.RingSize is 0.
const DefaultRingSize = 8 << 20

// MaxEventSize is the largest event the probe emits; larger ones are counted
// in Stats.DropsOversize and dropped.
const MaxEventSize = 64 << 10

// Errors callers can branch on.
var (
	// ErrUnsupported: the probe does not run on this platform (it needs
	// linux/amd64).
	ErrUnsupported = errors.New("eBPF capture is only supported on linux/amd64")
	// ErrNoBTF: the kernel exposes no BTF (/sys/kernel/btf/vmlinux), which
	// the CO-RE programs need (CONFIG_DEBUG_INFO_BTF).
	ErrNoBTF = errors.New("kernel has no BTF at /sys/kernel/btf/vmlinux (needs CONFIG_DEBUG_INFO_BTF=y)")
	// ErrPermission: the process may not load or attach BPF programs.
	ErrPermission = errors.New("not permitted to load BPF programs")
	// ErrUnknownSyscall: a syscall name the probe does not capture.
	ErrUnknownSyscall = errors.New("unknown syscall")
	// ErrClosed: the probe was closed.
	ErrClosed = errors.New("probe closed")
)

// Options configure Load. The zero value is ready to use.
type Options struct {
	// RingSize is the ring buffer size in bytes: a power of two and a
	// multiple of the page size. 0 means DefaultRingSize (8 MiB).
	RingSize int
	// Syscalls is the initial interesting set (names as Syscalls returns).
	// nil means DefaultSyscalls; an empty non-nil slice captures nothing.
	Syscalls []string
	// IncludeSelf captures the calling process's own syscalls too. By
	// default the kernel drops them before reserving ring space, so the
	// agent does not see itself.
	IncludeSelf bool
	// PollMin and PollMax bound the reader's sleep when the ring is empty:
	// it starts at PollMin and doubles up to PollMax. 0 means 200µs and 4ms.
	PollMin, PollMax time.Duration
	// BatchSize caps the records handed to one Read callback. 0 means 4096.
	BatchSize int
}

func (o Options) withDefaults(pageSize int) (Options, error) {
	if o.RingSize == 0 {
		o.RingSize = DefaultRingSize
	}
	if o.RingSize < pageSize || o.RingSize&(o.RingSize-1) != 0 {
		return o, fmt.Errorf("ring size %d: must be a power of two and at least %d bytes", o.RingSize, pageSize)
	}
	if o.Syscalls == nil {
		o.Syscalls = DefaultSyscalls()
	}
	if o.PollMin <= 0 {
		o.PollMin = 200 * time.Microsecond
	}
	if o.PollMax <= 0 {
		o.PollMax = 4 * time.Millisecond
	}
	if o.PollMax < o.PollMin {
		o.PollMax = o.PollMin
	}
	if o.BatchSize <= 0 {
		o.BatchSize = 4096
	}
	return o, nil
}

// Stats are the probe's counters, summed over CPUs.
type Stats struct {
	// Events counts the events the probe tried to emit, dropped ones included.
	Events uint64
	// DropsBuffer counts events lost because the ring buffer was full.
	DropsBuffer uint64
	// DropsOversize counts events lost because they passed MaxEventSize.
	DropsOversize uint64
	// DropsScratch counts events lost for want of a scratch area.
	DropsScratch uint64
}

// Drops is the total number of lost events.
func (s Stats) Drops() uint64 {
	return s.DropsBuffer + s.DropsOversize + s.DropsScratch
}
