package eval

import (
	"net/netip"
	"strconv"
	"strings"
)

// Event is one event as the evaluator sees it: the syscall (or internal
// event) with its decoded arguments, plus the state the event refers to
// (its thread with ancestors, the file descriptor it acts on, the
// container). Producers are the capture-file reader, the eBPF agent and
// rule tests; all three fill the same type, so a rule behaves the same
// everywhere.
//
// A value that is not known is left at its zero value (or nil pointer) and
// behaves as Falco's <NA>: every comparison on it is false.
type Event struct {
	Num      uint64 // evt.num, from 1
	Time     int64  // nanoseconds since the Unix epoch
	Code     uint16 // the driver's event code (PPME_*)
	Type     string // event name, e.g. "openat", "execve", "procexit"
	Category string // evt.category: "file", "net", "process", ...
	CPU      int16

	// Res is the return value (evt.rawres); HasRes is false for events
	// without one.
	Res    int64
	HasRes bool

	// Args are the event parameters by name, rendered as Falco renders
	// them (flags as "O_RDONLY|O_CLOEXEC", fds as numbers). Num holds
	// the raw numeric value where there is one.
	Args []Arg
	// Lazy, if set, supplies the arguments not in Args, rendered on
	// demand: producers decoding binary events use it so that only the
	// arguments a rule reads are ever rendered.
	Lazy ArgSource

	// Buffer is the I/O buffer of read/write-like events.
	Buffer []byte

	Thread *Thread // the thread that made the call
	FD     *FD     // the file descriptor the event acts on, if any

	Hostname string // evt.hostname
	Source   string // "syscall" when empty

	// memo caches the results of checks shared by several rules for
	// the current evaluation, tagged with epoch (see Engine.Evaluate).
	memo  []uint32
	epoch uint32
}

// beginEvaluation starts a new memo epoch, so results cached for an earlier
// evaluation (of another event in this struct, or by another engine) are
// ignored.
func (e *Event) beginEvaluation(slots int) {
	if len(e.memo) < slots {
		e.memo = make([]uint32, slots)
		e.epoch = 0
	}
	e.epoch++
	if e.epoch >= 1<<31 { // the tag is 31 bits: start over
		clear(e.memo)
		e.epoch = 1
	}
}

// Arg is one event parameter.
type Arg struct {
	Name   string
	Value  string // rendered value
	Num    int64  // raw numeric value
	HasNum bool
}

// ArgSource renders event arguments on demand.
type ArgSource interface {
	// Arg returns the argument called name.
	Arg(name string) (Arg, bool)
	// ArgAt returns the argument at index i (evt.arg[i]).
	ArgAt(i int) (Arg, bool)
	// AllArgs returns every argument, in order.
	AllArgs() []Arg
}

// Arg returns the parameter called name.
func (e *Event) Arg(name string) (Arg, bool) {
	for i := range e.Args {
		if e.Args[i].Name == name {
			return e.Args[i], true
		}
	}
	if e.Lazy != nil {
		return e.Lazy.Arg(name)
	}
	return Arg{}, false
}

// ArgAt returns the parameter at index i.
func (e *Event) ArgAt(i int) (Arg, bool) {
	if e.Lazy != nil && len(e.Args) == 0 {
		return e.Lazy.ArgAt(i)
	}
	if i < 0 || i >= len(e.Args) {
		return Arg{}, false
	}
	return e.Args[i], true
}

// AllArgs returns every parameter in order.
func (e *Event) AllArgs() []Arg {
	if e.Lazy != nil && len(e.Args) == 0 {
		return e.Lazy.AllArgs()
	}
	return e.Args
}

// Thread is a thread (and the process it belongs to) with the state the
// process fields need. Parent links form the ancestor chain that
// proc.aname[N] and proc.apid[N] walk.
type Thread struct {
	Tid, Pid, PPid int64
	VTid, VPid     int64
	SID, VPGID     int64
	PGID           int64

	Comm    string   // proc.name: the command name (comm)
	Exe     string   // proc.exe: argv[0] as executed
	ExePath string   // proc.exepath: full path of the executable
	Args    []string // proc.args (without argv[0])
	Cwd     string
	Env     []string // KEY=VALUE
	TTY     uint32
	Cgroups []string // "subsys=/path"

	UID, GID uint32
	LoginUID int64 // -1 when unset (4294967295 in the kernel)
	User     *User // resolved user (uid's name, home, shell); nil if unknown
	Group    *Group
	// LoginUser is the user of LoginUID.
	LoginUser *User

	CapPermitted, CapEffective, CapInheritable uint64

	ExeWritable, ExeUpperLayer, ExeLowerLayer, ExeFromMemfd bool
	ExeIno                                                  uint64
	ExeInoCtime, ExeInoMtime                                int64

	StartTime int64 // clone time, ns since epoch (proc.duration)
	PidnsInit int64 // start time of the pid namespace's init

	ContainerID string     // "" for host processes
	Container   *Container // metadata, if known
	K8s         *K8s

	Parent *Thread // nil for the root of what is known

	cmdline string // cached proc.cmdline
}

// Cmdline returns proc.cmdline: the command name followed by the
// arguments, separated by spaces. The result is cached.
func (t *Thread) Cmdline() string {
	if t.cmdline == "" {
		if len(t.Args) == 0 {
			t.cmdline = t.Comm
		} else {
			t.cmdline = t.Comm + " " + strings.Join(t.Args, " ")
		}
	}
	return t.cmdline
}

// ResetCache drops derived values cached on t; call it after changing
// Comm or Args (an execve).
func (t *Thread) ResetCache() { t.cmdline = "" }

// Ancestor returns the ancestor n levels up (0 is t itself).
func (t *Thread) Ancestor(n int) *Thread {
	for ; t != nil && n > 0; n-- {
		t = t.Parent
	}
	return t
}

// EnvVar returns the value of the environment variable name.
func (t *Thread) EnvVar(name string) (string, bool) {
	for _, kv := range t.Env {
		if len(kv) > len(name) && kv[len(name)] == '=' && kv[:len(name)] == name {
			return kv[len(name)+1:], true
		}
	}
	return "", false
}

// User is a user account.
type User struct {
	UID   uint32
	Name  string
	Home  string
	Shell string
}

// Group is a group.
type Group struct {
	GID  uint32
	Name string
}

// FDType is the kind of a file descriptor.
type FDType uint8

// File descriptor types, as libsinsp names them.
const (
	FDUnknown FDType = iota
	FDFile
	FDDirectory
	FDIPv4
	FDIPv6
	FDUnix
	FDPipe
	FDEvent
	FDSignalfd
	FDEventPoll
	FDInotify
	FDTimerfd
	FDNetlink
	FDBPF
	FDUserfaultfd
	FDIOUring
	FDMemfd
	FDPidfd
)

var fdTypeNames = [...]string{"unknown", "file", "directory", "ipv4", "ipv6", "unix", "pipe", "event", "signalfd", "eventpoll", "inotify", "timerfd", "netlink", "bpf", "userfaultfd", "io_uring", "memfd", "pidfd"}

var fdTypeChars = [...]string{"o", "f", "d", "4", "6", "u", "p", "e", "s", "l", "i", "t", "n", "b", "u", "r", "m", "P"}

// String returns libsinsp's name for t ("file", "ipv4", ...).
func (t FDType) String() string {
	if int(t) < len(fdTypeNames) {
		return fdTypeNames[t]
	}
	return "unknown"
}

// Char returns fd.typechar for t.
func (t FDType) Char() string {
	if int(t) < len(fdTypeChars) {
		return fdTypeChars[t]
	}
	return "o"
}

// FD is a file descriptor as the fd.* fields see it.
type FD struct {
	Num  int64
	Type FDType
	// Name is the resolved name: an absolute path for files, a tuple
	// "1.2.3.4:5->6.7.8.9:10" for sockets, the path for unix sockets.
	Name    string
	NameRaw string // the name as passed to the syscall (fd.nameraw)

	// Network endpoints: client and server side.
	L4Proto     string // "tcp", "udp", "icmp", "raw"
	ClientIP    netip.Addr
	ServerIP    netip.Addr
	ClientPort  uint16
	ServerPort  uint16
	IsServer    bool // this process is the server side (accepted/listening)
	Connected   bool
	NameChanged bool
	SockFamily  string // "ip", "unix", ... (fd.sockfamily)
	OpenFlags   uint32 // PPM_O_* bits
	Dev         uint32
	Ino         uint64
	UpperLayer  bool
	LowerLayer  bool
}

// Container is container metadata (the container plugin's fields).
type Container struct {
	ID              string // 12-character id
	FullID          string
	Name            string
	Image           string
	ImageID         string
	ImageRepository string
	ImageTag        string
	ImageDigest     string
	Type            string // docker, containerd, cri-o, podman, ...
	Privileged      bool
	HostPID         bool
	HostNetwork     bool
	HostIPC         bool
	Mounts          []Mount
	Labels          map[string]string
	StartTS         int64
	IP              string
}

// Mount is a container mount.
type Mount struct {
	Source, Dest, Mode string
	RW                 bool
	Propagation        string
}

// K8s is Kubernetes metadata of a container.
type K8s struct {
	PodName, PodUID, PodIP string
	Namespace              string
	PodLabels              map[string]string
}

// ErrnoName returns the symbolic name of a negative return value, as
// evt.res prints it ("ENOENT"), or "SUCCESS" for res >= 0.
func ErrnoName(res int64) string {
	if res >= 0 {
		return "SUCCESS"
	}
	if n := -res; n < int64(len(errnoNames)) && errnoNames[n] != "" {
		return errnoNames[n]
	}
	return "E" + strconv.FormatInt(-res, 10)
}

var errnoNames = [...]string{
	1: "EPERM", 2: "ENOENT", 3: "ESRCH", 4: "EINTR", 5: "EIO", 6: "ENXIO", 7: "E2BIG",
	8: "ENOEXEC", 9: "EBADF", 10: "ECHILD", 11: "EAGAIN", 12: "ENOMEM", 13: "EACCES",
	14: "EFAULT", 15: "ENOTBLK", 16: "EBUSY", 17: "EEXIST", 18: "EXDEV", 19: "ENODEV",
	20: "ENOTDIR", 21: "EISDIR", 22: "EINVAL", 23: "ENFILE", 24: "EMFILE", 25: "ENOTTY",
	26: "ETXTBSY", 27: "EFBIG", 28: "ENOSPC", 29: "ESPIPE", 30: "EROFS", 31: "EMLINK",
	32: "EPIPE", 33: "EDOM", 34: "ERANGE", 35: "EDEADLK", 36: "ENAMETOOLONG", 37: "ENOLCK",
	38: "ENOSYS", 39: "ENOTEMPTY", 40: "ELOOP", 95: "EOPNOTSUPP", 97: "EAFNOSUPPORT",
	98: "EADDRINUSE", 99: "EADDRNOTAVAIL", 100: "ENETDOWN", 101: "ENETUNREACH",
	104: "ECONNRESET", 110: "ETIMEDOUT", 111: "ECONNREFUSED", 113: "EHOSTUNREACH",
	115: "EINPROGRESS",
}
