//go:build linux && amd64

package bpf

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/link"
	"github.com/cilium/ebpf/rlimit"
	"golang.org/x/sys/unix"
)

const btfPath = "/sys/kernel/btf/vmlinux"

// Probe is the loaded capture probe: BPF programs, maps and the mapped ring
// buffer. Load it, Attach it, Read events, Close it.
type Probe struct {
	objs  probeObjects
	opts  Options
	links []link.Link

	mu      sync.Mutex // guards links, slots, closed
	slots   [slotCount]uint8
	closed  bool
	done    chan struct{}
	readMu  sync.Mutex // held by Read; Close waits for it
	reading atomic.Bool
	iterMu  sync.Mutex

	consMap []byte // consumer page (read-write)
	dataMap []byte // producer page + data mapped twice (read-only)
	ring    *ring
}

// Load loads the probe into the kernel without attaching it. It fails with
// ErrNoBTF when the kernel lacks BTF and ErrPermission when the process
// lacks CAP_BPF and CAP_PERFMON (or CAP_SYS_ADMIN), naming what is missing.
func Load(opts Options) (*Probe, error) {
	opts, err := opts.withDefaults(os.Getpagesize())
	if err != nil {
		return nil, fmt.Errorf("load probe: %w", err)
	}
	if _, err := os.Stat(btfPath); err != nil {
		return nil, fmt.Errorf("load probe: %w", ErrNoBTF)
	}
	if missing := missingCaps(); len(missing) > 0 {
		return nil, fmt.Errorf("load probe: %w: missing %v (run as root or grant them)", ErrPermission, missing)
	}
	slots, err := slotsFor(opts.Syscalls)
	if err != nil {
		return nil, fmt.Errorf("load probe: %w", err)
	}
	// Kernels before 5.11 charge BPF memory to RLIMIT_MEMLOCK; later ones
	// use memcg and this is a no-op. It fails harmlessly without privileges.
	_ = rlimit.RemoveMemlock()

	spec, err := loadProbe()
	if err != nil {
		return nil, fmt.Errorf("load probe: %w", err)
	}
	ncpu, err := ebpf.PossibleCPU()
	if err != nil {
		return nil, fmt.Errorf("load probe: %w", err)
	}
	spec.Maps[probeMapEvents].MaxEntries = uint32(opts.RingSize)
	spec.Maps[probeMapScratch].MaxEntries = uint32(ncpu)
	var self uint32
	if !opts.IncludeSelf {
		self = uint32(os.Getpid())
	}
	if err := spec.Variables[probeVarSelfTgid].Set(self); err != nil {
		return nil, fmt.Errorf("load probe: set self_tgid: %w", err)
	}
	epoch, err := bootEpoch()
	if err != nil {
		return nil, fmt.Errorf("load probe: %w", err)
	}
	if err := spec.Variables[probeVarBootEpochNs].Set(epoch); err != nil {
		return nil, fmt.Errorf("load probe: set boot_epoch_ns: %w", err)
	}

	p := &Probe{opts: opts, done: make(chan struct{})}
	if err := spec.LoadAndAssign(&p.objs, nil); err != nil {
		if errors.Is(err, unix.EPERM) {
			err = fmt.Errorf("%w: %w", ErrPermission, err)
		}
		return nil, fmt.Errorf("load probe: %w", err)
	}
	if err := p.init(slots); err != nil {
		p.objs.Close()
		p.unmap()
		return nil, fmt.Errorf("load probe: %w", err)
	}
	return p, nil
}

func (p *Probe) init(slots [slotCount]uint8) error {
	progs := map[string]*ebpf.Program{
		"open_x": p.objs.OpenX, "close_x": p.objs.CloseX, "dup_x": p.objs.DupX,
		"dup2_x": p.objs.Dup2X, "dup3_x": p.objs.Dup3X, "socket_x": p.objs.SocketX,
		"connect_x": p.objs.ConnectX, "accept_x": p.objs.AcceptX, "accept4_x": p.objs.Accept4X,
		"bind_x": p.objs.BindX, "listen_x": p.objs.ListenX, "clone_x": p.objs.CloneX,
		"clone3_x": p.objs.Clone3X, "fork_x": p.objs.ForkX, "vfork_x": p.objs.VforkX,
		"execve_x": p.objs.ExecveX, "execveat_x": p.objs.ExecveatX, "chdir_x": p.objs.ChdirX,
		"fchdir_x": p.objs.FchdirX, "rename_x": p.objs.RenameX, "renameat_x": p.objs.RenameatX,
		"renameat2_x": p.objs.Renameat2X, "mkdir_x": p.objs.MkdirX, "mkdirat_x": p.objs.MkdiratX,
		"rmdir_x": p.objs.RmdirX, "creat_x": p.objs.CreatX, "unlink_x": p.objs.UnlinkX,
		"unlinkat_x": p.objs.UnlinkatX, "symlink_x": p.objs.SymlinkX, "symlinkat_x": p.objs.SymlinkatX,
		"chmod_x": p.objs.ChmodX, "fchmod_x": p.objs.FchmodX, "fchmodat_x": p.objs.FchmodatX,
		"ptrace_x": p.objs.PtraceX, "setuid_x": p.objs.SetuidX, "setgid_x": p.objs.SetgidX,
		"setresuid_x": p.objs.SetresuidX, "setresgid_x": p.objs.SetresgidX, "capset_x": p.objs.CapsetX,
		"mount_x": p.objs.MountX, "umount2_x": p.objs.Umount2X, "openat_x": p.objs.OpenatX,
		"openat2_x": p.objs.Openat2X,
	}
	for _, sc := range syscalls {
		prog, ok := progs[sc.prog]
		if !ok || prog == nil {
			return fmt.Errorf("no program %s for %s", sc.prog, sc.name)
		}
		if err := p.objs.ExitProgs.Put(sc.nr, prog); err != nil {
			return fmt.Errorf("tail call table: %s: %w", sc.name, err)
		}
	}
	if err := p.mapRing(); err != nil {
		return err
	}
	return p.setSlots(slots)
}

// mapRing maps the ring buffer: the consumer page read-write, then the
// producer page and the data area (mapped twice by the kernel) read-only.
func (p *Probe) mapRing() error {
	fd := p.objs.Events.FD()
	page := os.Getpagesize()
	size := p.opts.RingSize
	cons, err := unix.Mmap(fd, 0, page, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		return fmt.Errorf("map ring consumer page: %w", err)
	}
	p.consMap = cons
	data, err := unix.Mmap(fd, int64(page), page+2*size, unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		return fmt.Errorf("map ring data: %w", err)
	}
	p.dataMap = data
	r, err := newRing((*uint64)(unsafe.Pointer(&cons[0])), (*uint64)(unsafe.Pointer(&data[0])), data[page:])
	if err != nil {
		return err
	}
	p.ring = r
	return nil
}

func (p *Probe) unmap() {
	if p.consMap != nil {
		_ = unix.Munmap(p.consMap)
		p.consMap = nil
	}
	if p.dataMap != nil {
		_ = unix.Munmap(p.dataMap)
		p.dataMap = nil
	}
}

// Attach attaches the dispatcher and the sched tracepoint programs. Calling
// it on an attached probe does nothing.
func (p *Probe) Attach() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return ErrClosed
	}
	if len(p.links) > 0 {
		return nil
	}
	for _, prog := range []*ebpf.Program{p.objs.SysExit, p.objs.SchedFork, p.objs.SchedExec, p.objs.SchedExit} {
		l, err := link.AttachTracing(link.TracingOptions{Program: prog})
		if err != nil {
			p.detachLocked()
			if errors.Is(err, unix.EPERM) {
				err = fmt.Errorf("%w: %w", ErrPermission, err)
			}
			return fmt.Errorf("attach %s: %w", prog, err)
		}
		p.links = append(p.links, l)
	}
	return nil
}

// Detach detaches every program; the probe stays loaded and can be
// attached again.
func (p *Probe) Detach() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.detachLocked()
}

func (p *Probe) detachLocked() error {
	var errs []error
	for _, l := range p.links {
		if err := l.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	p.links = nil
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("detach: %w", err)
	}
	return nil
}

// Close detaches the programs, stops Read and frees everything. It waits
// for a running Read to return.
func (p *Probe) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	close(p.done)
	err := p.detachLocked()
	p.mu.Unlock()

	p.readMu.Lock() // wait for Read to leave the ring
	p.unmap()
	p.readMu.Unlock()
	if cerr := p.objs.Close(); cerr != nil && err == nil {
		err = fmt.Errorf("close probe: %w", cerr)
	}
	return err
}

// SetSyscalls replaces the interesting-syscall set while the probe runs.
// Newly interesting syscalls are switched on before dropped ones are
// switched off, so a syscall in both sets is never missed.
func (p *Probe) SetSyscalls(names []string) error {
	slots, err := slotsFor(names)
	if err != nil {
		return fmt.Errorf("set syscalls: %w", err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return ErrClosed
	}
	if err := p.setSlots(slots); err != nil {
		return fmt.Errorf("set syscalls: %w", err)
	}
	return nil
}

func (p *Probe) setSlots(slots [slotCount]uint8) error {
	for _, on := range []uint8{1, 0} {
		for i, v := range slots {
			if v != on || p.slots[i] == v {
				continue
			}
			if err := p.objs.Interesting.Put(uint32(i), v); err != nil {
				return fmt.Errorf("slot %d: %w", i, err)
			}
			p.slots[i] = v
		}
	}
	return nil
}

// Stats reads the probe's counters summed over CPUs.
func (p *Probe) Stats() (Stats, error) {
	var per []probeCounters
	if err := p.objs.Stats.Lookup(uint32(0), &per); err != nil {
		return Stats{}, fmt.Errorf("read stats: %w", err)
	}
	var s Stats
	for _, c := range per {
		s.Events += c.Events
		s.DropsBuffer += c.DropsBuffer
		s.DropsOversize += c.DropsOversize
		s.DropsScratch += c.DropsScratch
	}
	return s, nil
}

// Read hands batches of raw event records to fn until ctx is done (then it
// returns nil), the probe is closed (ErrClosed) or fn fails (its error; the
// batch counts as consumed).
// Each record is one event in the scap layout: a 26-byte header (ts, tid,
// len, type, nparams), the u16 parameter lengths, then the parameters. The
// records alias the ring buffer and are valid only during the call; fn must
// copy what it keeps. The kernel does not wake the reader: Read polls,
// sleeping from Options.PollMin doubling to PollMax while the ring is empty.
// Only one Read may run at a time, and fn must not call Close (Close waits
// for Read to return).
func (p *Probe) Read(ctx context.Context, fn func(batch [][]byte) error) error {
	if !p.reading.CompareAndSwap(false, true) {
		return errors.New("read: another Read is running")
	}
	defer p.reading.Store(false)
	p.readMu.Lock()
	defer p.readMu.Unlock()
	select {
	case <-p.done:
		return ErrClosed
	default:
	}
	batch := make([][]byte, 0, p.opts.BatchSize)
	wait := p.opts.PollMin
	for {
		var err error
		batch, err = p.ring.drain(batch, p.opts.BatchSize)
		if err != nil {
			return fmt.Errorf("read: %w", err)
		}
		if len(batch) > 0 {
			ferr := fn(batch)
			p.ring.commit()
			if ferr != nil {
				return ferr
			}
			wait = p.opts.PollMin
			select {
			case <-ctx.Done():
				return nil
			case <-p.done:
				return ErrClosed
			default:
			}
			continue
		}
		p.ring.commit() // discarded records only
		// Sleep in the kernel rather than on a runtime timer: the thread
		// wakes by itself, on time, with whatever priority it was given,
		// instead of waiting for the scheduler to notice the timer.
		ts := unix.NsecToTimespec(int64(wait))
		_ = unix.Nanosleep(&ts, nil)
		select {
		case <-ctx.Done():
			return nil
		case <-p.done:
			return ErrClosed
		default:
		}
		if wait *= 2; wait > p.opts.PollMax {
			wait = p.opts.PollMax
		}
	}
}

// Snapshot runs the task iterator and returns one PPME_ITER_TASK_E record
// (32 parameters) per user thread. The header tid holds tgid<<32 | tid.
func (p *Probe) Snapshot() ([][]byte, error) {
	recs, err := p.iterate(p.objs.DumpTask)
	if err != nil {
		return nil, fmt.Errorf("snapshot tasks: %w", err)
	}
	return recs, nil
}

// Files runs the file iterator and returns one PPME_ITER_TASK_FILE_*_E
// record per open file of each user process: regular files, memfds,
// directories, pipes, and inet, inet6, unix and netlink sockets (other
// kinds are left out). The header tid holds tgid<<32 | tid.
func (p *Probe) Files() ([][]byte, error) {
	recs, err := p.iterate(p.objs.DumpTaskFile)
	if err != nil {
		return nil, fmt.Errorf("snapshot files: %w", err)
	}
	return recs, nil
}

func (p *Probe) iterate(prog *ebpf.Program) ([][]byte, error) {
	p.iterMu.Lock()
	defer p.iterMu.Unlock()
	p.mu.Lock()
	closed := p.closed
	p.mu.Unlock()
	if closed {
		return nil, ErrClosed
	}
	it, err := link.AttachIter(link.IterOptions{Program: prog})
	if err != nil {
		return nil, fmt.Errorf("attach iterator: %w", err)
	}
	defer it.Close()
	rd, err := it.Open()
	if err != nil {
		return nil, fmt.Errorf("open iterator: %w", err)
	}
	defer rd.Close()
	buf, err := io.ReadAll(rd)
	if err != nil {
		return nil, fmt.Errorf("read iterator: %w", err)
	}
	return splitRecords(buf)
}

// bootEpoch returns CLOCK_REALTIME - CLOCK_BOOTTIME in ns: the probe adds
// it to bpf_ktime_get_boot_ns() to stamp events in ns since the Unix epoch.
func bootEpoch() (uint64, error) {
	var rt, bt unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_REALTIME, &rt); err != nil {
		return 0, fmt.Errorf("read realtime clock: %w", err)
	}
	if err := unix.ClockGettime(unix.CLOCK_BOOTTIME, &bt); err != nil {
		return 0, fmt.Errorf("read boottime clock: %w", err)
	}
	return uint64(rt.Nano() - bt.Nano()), nil
}

// Capability numbers (linux/capability.h).
const (
	capSysAdmin = 21
	capPerfmon  = 38
	capBPF      = 39
)

// missingCaps names the capabilities the process lacks to load and attach
// the probe: CAP_BPF and CAP_PERFMON, or CAP_SYS_ADMIN on its own.
func missingCaps() []string {
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capget(&hdr, &data[0]); err != nil {
		return nil // cannot tell; let the kernel decide
	}
	has := func(c uint) bool { return data[c/32].Effective&(1<<(c%32)) != 0 }
	if has(capSysAdmin) {
		return nil
	}
	var missing []string
	if !has(capBPF) {
		missing = append(missing, "CAP_BPF")
	}
	if !has(capPerfmon) {
		missing = append(missing, "CAP_PERFMON")
	}
	return missing
}
