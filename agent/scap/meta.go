package scap

import (
	"net/netip"
	"strconv"
	"strings"
)

// SectionHeader is the section header block that opens every capture
// section.
type SectionHeader struct {
	Major, Minor  uint16
	SectionLength uint64 // 0xFFFFFFFFFFFFFFFF: unspecified
	Offset        int64  // offset of the block in the decompressed stream
}

// MachineInfo is the machine info block.
type MachineInfo struct {
	NumCPUs         uint32
	MemorySizeBytes uint64
	MaxPid          uint64
	Hostname        string // at most 127 bytes
	BootTime        uint64 // boot time, ns since the epoch
	Flags           uint64
	Reserved3       uint64
	Reserved4       uint64
}

// InterfaceType is the kind of an interface list entry.
type InterfaceType uint16

// Interface entry kinds.
const (
	IfIPv4            InterfaceType = 1
	IfIPv6            InterfaceType = 2
	IfIPv4NoLinkSpeed InterfaceType = 3
	IfIPv6NoLinkSpeed InterfaceType = 4
)

// Interface is one address of a network interface.
type Interface struct {
	Type      InterfaceType
	Name      string
	Addr      netip.Addr
	Netmask   netip.Addr
	Broadcast netip.Addr
	LinkSpeed uint64 // 0 for the no-linkspeed kinds
}

// User is a user list entry (or a USER_ADDED event).
type User struct {
	UID, GID uint32
	Name     string
	Home     string
	Shell    string
}

// Group is a group list entry.
type Group struct {
	GID  uint32
	Name string
}

// Process is one thread of the process list. Fields absent from older
// block versions keep libscap's defaults (-1 for the namespace and group
// ids, 0xFFFFFFFF for LoginUID).
type Process struct {
	Tid     int64
	Pid     int64 // thread group id
	Ptid    int64 // parent thread id
	Sid     int64
	Vpgid   int64
	Comm    string // task comm, at most 15 bytes in practice
	Exe     string // argv[0]-like name
	ExePath string // full executable path
	Args    string // argv[1..], NUL-separated as on disk
	Cwd     string
	FdLimit int64
	Flags   uint32 // PPM_CL_* thread flags
	UID     uint32
	GID     uint32

	VmSizeKB, VmRSSKB, VmSwapKB uint32
	PfMajor, PfMinor            uint64

	Env     string // NUL-separated
	Vtid    int64
	Vpid    int64
	Cgroups string // NUL-separated subsys=path entries
	Root    string

	PidnsInitStartTs uint64
	Tty              uint32
	LoginUID         uint32 // 0xFFFFFFFF: none
	ExeWritable      bool
	CapInheritable   uint64
	CapPermitted     uint64
	CapEffective     uint64
	ExeUpperLayer    bool
	ExeIno           uint64
	ExeInoCtime      uint64
	ExeInoMtime      uint64
	ExeFromMemfd     bool
	ExeLowerLayer    bool
	Pgid             int64
}

// ArgList returns the arguments split at NUL bytes.
func (p *Process) ArgList() []string { return SplitNUL(p.Args) }

// EnvList returns the environment entries split at NUL bytes.
func (p *Process) EnvList() []string { return SplitNUL(p.Env) }

// CgroupList returns the cgroup entries (subsys=path) split at NUL bytes.
func (p *Process) CgroupList() []string { return SplitNUL(p.Cgroups) }

// SplitNUL splits a NUL-separated list, as used for args, env and cgroups,
// ignoring one trailing NUL. It returns nil for an empty string.
func SplitNUL(s string) []string {
	if s == "" {
		return nil
	}
	s = strings.TrimSuffix(s, "\x00")
	return strings.Split(s, "\x00")
}

// JoinNUL joins items into a NUL-separated list with a trailing NUL, the
// form the driver writes for execve args, env and cgroups.
func JoinNUL(items ...string) string {
	if len(items) == 0 {
		return ""
	}
	return strings.Join(items, "\x00") + "\x00"
}

// FDType is the kind of an fd list entry (scap_fd_type).
type FDType uint8

// FD kinds.
const (
	FDUnknown      FDType = 0
	FDFile         FDType = 1 // legacy regular file
	FDDirectory    FDType = 2
	FDIPv4Sock     FDType = 3
	FDIPv6Sock     FDType = 4
	FDIPv4ServSock FDType = 5
	FDIPv6ServSock FDType = 6
	FDFIFO         FDType = 7
	FDUnixSock     FDType = 8
	FDEvent        FDType = 9 // eventfd
	FDUnsupported  FDType = 10
	FDSignalfd     FDType = 11
	FDEventpoll    FDType = 12
	FDInotify      FDType = 13
	FDTimerfd      FDType = 14
	FDNetlink      FDType = 15
	FDFileV2       FDType = 16 // regular file with open flags and device
	FDBPF          FDType = 17
	FDUserfaultfd  FDType = 18
	FDIOUring      FDType = 19
	FDMemfd        FDType = 20
	FDPidfd        FDType = 21
)

var fdTypeNames = [...]string{"unknown", "file", "directory", "ipv4", "ipv6", "ipv4_server",
	"ipv6_server", "fifo", "unix", "event", "unsupported", "signalfd", "eventpoll", "inotify",
	"timerfd", "netlink", "file_v2", "bpf", "userfaultfd", "io_uring", "memfd", "pidfd"}

// String returns a short lowercase name for t.
func (t FDType) String() string {
	if int(t) < len(fdTypeNames) {
		return fdTypeNames[t]
	}
	return "type_" + strconv.Itoa(int(t))
}

// hasName reports whether entries of type t carry a name string.
func (t FDType) hasName() bool {
	switch t {
	case FDFile, FDDirectory, FDFIFO, FDEvent, FDUnsupported, FDSignalfd, FDEventpoll,
		FDInotify, FDTimerfd, FDNetlink, FDBPF, FDUserfaultfd, FDIOUring, FDMemfd, FDPidfd:
		return true
	}
	return false
}

// L4 protocols of socket fd entries.
const (
	L4Unknown = 0
	L4NA      = 1
	L4TCP     = 2
	L4UDP     = 3
	L4ICMP    = 4
	L4Raw     = 5
)

// FD is one entry of a process's fd table.
type FD struct {
	Num  int64
	Ino  uint64
	Type FDType
	// Name is the path or description for file-like types and the path of
	// a unix socket.
	Name string
	// OpenFlags (PPM_O_* bits) and Dev are set for FDFileV2.
	OpenFlags uint32
	Dev       uint32
	// Sockets: source and destination for connected IPv4/IPv6 sockets;
	// SrcIP/SrcPort hold the listening address of server sockets. Ports are
	// in host order.
	SrcIP, DstIP     netip.Addr
	SrcPort, DstPort uint16
	L4Proto          uint8
	// Unix sockets: kernel addresses of the two ends.
	Source, Dest uint64
}

// FDList is the fd table of one process, as one FDL block carries it.
type FDList struct {
	Tid int64 // thread group leader
	FDs []FD
}
