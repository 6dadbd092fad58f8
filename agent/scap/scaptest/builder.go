// Package scaptest builds capture files for tests and benchmarks: a
// Builder that writes the current-driver events the rules need with their
// full parameter lists, and Generate, which writes large synthetic but
// realistic captures.
package scaptest

import (
	"net/netip"

	"github.com/falconer-sec/falconer/agent/scap"
)

// Builder writes events through a scap.Writer with increasing timestamps.
// Every method writes one exit event in the layout the current driver
// produces (the parameter lists of the event table), filling parameters
// the caller leaves zero with plausible values.
type Builder struct {
	W *scap.Writer
	// TS is the timestamp of the next event; Step is added after each.
	TS   uint64
	Step uint64
	// CPU is stored in every event.
	CPU uint16
}

// NewBuilder returns a Builder starting at ts with a 1µs step.
func NewBuilder(w *scap.Writer, ts uint64) *Builder {
	return &Builder{W: w, TS: ts, Step: 1000}
}

// Event writes one event with explicit parameters.
func (b *Builder) Event(code scap.EventCode, tid int64, params ...scap.Param) error {
	err := b.W.WriteEvent(code, b.TS, tid, b.CPU, params...)
	b.TS += b.Step
	return err
}

// Openat writes an openat exit event (PPME_SYSCALL_OPENAT_2_X): fd is the
// result (negative for -errno), name is relative to dirfd (scap.AtFDCWD
// for the cwd).
func (b *Builder) Openat(tid, fd, dirfd int64, name string, flags scap.OpenFlags, mode uint32) error {
	return b.Event(scap.SyscallOpenatV2X, tid, scap.Int(fd), scap.Int(dirfd), scap.Str(name),
		scap.Uint(uint64(flags)), scap.Uint(uint64(mode)), scap.Uint(2049), scap.Uint(inode(name)))
}

// Open writes an open exit event (PPME_SYSCALL_OPEN_X).
func (b *Builder) Open(tid, fd int64, name string, flags scap.OpenFlags, mode uint32) error {
	return b.Event(scap.SyscallOpenX, tid, scap.Int(fd), scap.Str(name), scap.Uint(uint64(flags)),
		scap.Uint(uint64(mode)), scap.Uint(2049), scap.Uint(inode(name)))
}

// Close writes a close exit event; res is 0 or -errno.
func (b *Builder) Close(tid, fd, res int64) error {
	return b.Event(scap.SyscallCloseX, tid, scap.Int(res), scap.Int(fd))
}

// Dup writes a dup exit event: res is the new fd.
func (b *Builder) Dup(tid, res, oldfd int64) error {
	return b.Event(scap.SyscallDupV1X, tid, scap.Int(res), scap.Int(oldfd))
}

// Dup2 writes a dup2 exit event.
func (b *Builder) Dup2(tid, res, oldfd, newfd int64) error {
	return b.Event(scap.SyscallDup2X, tid, scap.Int(res), scap.Int(oldfd), scap.Int(newfd))
}

// Dup3 writes a dup3 exit event with open flags (O_CLOEXEC).
func (b *Builder) Dup3(tid, res, oldfd, newfd int64, flags scap.OpenFlags) error {
	return b.Event(scap.SyscallDup3X, tid, scap.Int(res), scap.Int(oldfd), scap.Int(newfd), scap.Uint(uint64(flags)))
}

// Chdir writes a chdir exit event.
func (b *Builder) Chdir(tid, res int64, path string) error {
	return b.Event(scap.SyscallChdirX, tid, scap.Int(res), scap.Str(path))
}

// Fchdir writes an fchdir exit event.
func (b *Builder) Fchdir(tid, res, fd int64) error {
	return b.Event(scap.SyscallFchdirX, tid, scap.Int(res), scap.Int(fd))
}

// Pipe2 writes a pipe2 exit event.
func (b *Builder) Pipe2(tid, fd1, fd2 int64, flags scap.OpenFlags) error {
	return b.Event(scap.SyscallPipe2X, tid, scap.Int(0), scap.Int(fd1), scap.Int(fd2), scap.Uint(uint64(fd1)<<8|4242), scap.Uint(uint64(flags)))
}

// Socket writes a socket exit event.
func (b *Builder) Socket(tid, fd int64, family scap.SocketFamily, typ, proto uint32) error {
	return b.Event(scap.SocketSocketX, tid, scap.Int(fd), scap.Uint(uint64(family)), scap.Uint(uint64(typ)), scap.Uint(uint64(proto)), scap.Uint(0))
}

// Connect writes a connect exit event from src to dst on fd. A failed
// connect (res < 0 other than -EINPROGRESS) carries an empty tuple, as the
// driver writes it.
func (b *Builder) Connect(tid, fd, res int64, src, dst netip.AddrPort) error {
	tuple := scap.Tuple(scap.InetTuple(src, dst))
	if res < 0 && res != -115 {
		tuple = scap.Empty()
	}
	return b.Event(scap.SocketConnectX, tid, scap.Int(res), tuple, scap.Int(fd), scap.Addr(scap.InetAddr(dst)))
}

// ConnectUnix writes a connect exit event on a unix socket.
func (b *Builder) ConnectUnix(tid, fd, res int64, path string) error {
	t := scap.SockTuple{Family: uint8(scap.AFUnix), Source: 0xffff9a0000001000 + uint64(fd), Dest: 0xffff9a0000002000, Path: path}
	return b.Event(scap.SocketConnectX, tid, scap.Int(res), scap.Tuple(t), scap.Int(fd),
		scap.Addr(scap.SockAddr{Family: uint8(scap.AFUnix), Path: path}))
}

// Exec describes an execve. Zero fields get defaults: Comm is the base
// of Exe, ExePath and Filename default to Exe, and without Login the
// loginuid is 0xFFFFFFFF (none).
type Exec struct {
	Res      int64 // 0 or -errno
	Pid      int64 // defaults to the tid
	Ptid     int64
	Exe      string // argv[0]
	Args     []string
	ExePath  string // trusted_exepath
	Filename string
	Comm     string
	Cwd      string // the modern probe leaves it empty
	Env      []string
	Cgroups  []string
	Tty      uint32
	Login    bool   // the process has a login uid
	LoginUID uint32 // used when Login is set
	Flags    scap.ExeFlags
	UID, GID uint32
	Pgid     int64
	Vpgid    int64
	Ino      uint64
}

func base(path string) string {
	for i := len(path) - 1; i >= 0; i-- {
		if path[i] == '/' {
			return path[i+1:]
		}
	}
	return path
}

// Execve writes an execve exit event (PPME_SYSCALL_EXECVE_19_X, 31 params).
func (b *Builder) Execve(tid int64, e Exec) error {
	if e.Pid == 0 {
		e.Pid = tid
	}
	if e.ExePath == "" {
		e.ExePath = e.Exe
	}
	if e.Filename == "" {
		e.Filename = e.ExePath
	}
	if e.Comm == "" {
		e.Comm = base(e.Exe)
		if len(e.Comm) > 15 {
			e.Comm = e.Comm[:15]
		}
	}
	if !e.Login {
		e.LoginUID = 0xFFFFFFFF
	}
	if e.Pgid == 0 {
		e.Pgid = e.Pid
	}
	if e.Vpgid == 0 {
		e.Vpgid = e.Pgid
	}
	if e.Ino == 0 {
		e.Ino = inode(e.ExePath)
	}
	cwd := scap.Empty()
	if e.Cwd != "" {
		cwd = scap.Str(e.Cwd)
	}
	return b.Event(scap.SyscallExecveV19X, tid,
		scap.Int(e.Res), scap.Str(e.Exe), scap.Str(scap.JoinNUL(e.Args...)),
		scap.Int(tid), scap.Int(e.Pid), scap.Int(e.Ptid), cwd,
		scap.Uint(1024), scap.Uint(0), scap.Uint(120),
		scap.Uint(8000), scap.Uint(3000), scap.Uint(0),
		scap.Str(e.Comm), scap.Str(scap.JoinNUL(e.Cgroups...)), scap.Str(scap.JoinNUL(e.Env...)),
		scap.Uint(uint64(e.Tty)), scap.Int(e.Vpgid), scap.Uint(uint64(e.LoginUID)),
		scap.Uint(uint64(e.Flags)), scap.Uint(0), scap.Uint(0x1ffffffffff), scap.Uint(0x1ffffffffff),
		scap.Uint(e.Ino), scap.Uint(1700000000000000000), scap.Uint(1700000000000000000),
		scap.Uint(uint64(e.UID)), scap.Str(e.ExePath), scap.Int(e.Pgid), scap.Uint(uint64(e.GID)),
		scap.Str(e.Filename))
}

// Clone describes a clone/fork/vfork/clone3 exit event. Both the parent
// (Res = child tid) and the child (Res = 0) emit one.
type Clone struct {
	Code     scap.EventCode // defaults to scap.SyscallCloneV20X
	Res      int64
	Pid      int64 // thread group of the emitting thread; defaults to the tid
	Ptid     int64
	Exe      string
	Args     []string
	Comm     string
	Cwd      string
	Cgroups  []string
	Flags    scap.CloneFlags
	UID, GID uint32
	Vtid     int64 // defaults to the tid
	Vpid     int64 // defaults to Pid
}

// Clone writes a clone-family exit event for thread tid.
func (b *Builder) Clone(tid int64, c Clone) error {
	if c.Code == 0 {
		c.Code = scap.SyscallCloneV20X
	}
	if c.Pid == 0 {
		c.Pid = tid
	}
	if c.Vtid == 0 {
		c.Vtid = tid
	}
	if c.Vpid == 0 {
		c.Vpid = c.Pid
	}
	if c.Comm == "" {
		c.Comm = base(c.Exe)
	}
	return b.Event(c.Code, tid,
		scap.Int(c.Res), scap.Str(c.Exe), scap.Str(scap.JoinNUL(c.Args...)),
		scap.Int(tid), scap.Int(c.Pid), scap.Int(c.Ptid), scap.Str(c.Cwd),
		scap.Int(1024), scap.Uint(0), scap.Uint(50), scap.Uint(8000), scap.Uint(3000), scap.Uint(0),
		scap.Str(c.Comm), scap.Str(scap.JoinNUL(c.Cgroups...)), scap.Uint(uint64(c.Flags)),
		scap.Uint(uint64(c.UID)), scap.Uint(uint64(c.GID)), scap.Int(c.Vtid), scap.Int(c.Vpid), scap.Uint(0))
}

// ProcExit writes a process exit event (PPME_PROCEXIT_1_E).
func (b *Builder) ProcExit(tid int64, status int64, reaper int64) error {
	return b.Event(scap.ProcexitV1E, tid, scap.Int(status), scap.Int(status>>8), scap.Uint(0), scap.Uint(0), scap.Int(reaper))
}

// Ptrace writes a ptrace exit event with u64 addr and data.
func (b *Builder) Ptrace(tid, res int64, req scap.PtraceRequest, pid int64) error {
	dyn := scap.Bytes([]byte{scap.PtraceDynUint64, 0, 0, 0, 0, 0, 0, 0, 0})
	return b.Event(scap.SyscallPtraceX, tid, scap.Int(res), dyn, dyn, scap.Uint(uint64(req)), scap.Int(pid))
}

// UserAdded writes a USER_ADDED meta event (tid NoTid), as captures carry
// their users after the tables.
func (b *Builder) UserAdded(u scap.User, container string) error {
	return b.Event(scap.UserAddedE, scap.NoTid, scap.Uint(uint64(u.UID)), scap.Uint(uint64(u.GID)),
		scap.Str(u.Name), scap.Str(u.Home), scap.Str(u.Shell), scap.Str(container))
}

// GroupAdded writes a GROUP_ADDED meta event.
func (b *Builder) GroupAdded(g scap.Group, container string) error {
	return b.Event(scap.GroupAddedE, scap.NoTid, scap.Uint(uint64(g.GID)), scap.Str(g.Name), scap.Str(container))
}

// inode derives a stable fake inode number from a path.
func inode(path string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(path); i++ {
		h ^= uint64(path[i])
		h *= 1099511628211
	}
	return h>>40 | 1
}
