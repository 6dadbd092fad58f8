package scap

import (
	"strconv"
	"strings"
)

// The driver does not store Linux values for flags and enumerations: it
// maps them to its own PPM_* encodings, listed here with the names Falco
// prints for them (evt.arg.flags = "O_RDONLY|O_CLOEXEC").

// FlagName is one named value of a FlagTable.
type FlagName struct {
	Name  string
	Value uint32
}

// FlagTable is a driver name table (flags_table.c) and the way libsinsp
// renders values with it.
type FlagTable struct {
	// Enum tables name whole values; the others name bits.
	Enum  bool
	Names []FlagName
}

// Format renders v the way libsinsp resolves flag and enum parameters.
// For an enum table it joins every name whose value equals v (socket
// family 1 is "AF_LOCAL|AF_UNIX"). For a bit table it walks the names in
// table order, taking each whose bits are all still set in v and clearing
// them, and stops at a name equal to the whole value; a zero value takes
// the table's zero name (O_NONE). Bits no name covers are not rendered.
// The result is "" when nothing matches.
func (t *FlagTable) Format(v uint32) string {
	if t == nil {
		return ""
	}
	var b strings.Builder
	rest := v
	for _, f := range t.Names {
		match := false
		if t.Enum {
			match = f.Value == v
		} else if (f.Value == 0 && v == 0) || (f.Value != 0 && rest != 0 && rest&f.Value == f.Value) {
			match = true
			rest &^= f.Value
		}
		if !match {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('|')
		}
		b.WriteString(f.Name)
		if !t.Enum && f.Value == v {
			break
		}
	}
	return b.String()
}

// Value returns the value named name, or false if the table has no such
// name.
func (t *FlagTable) Value(name string) (uint32, bool) {
	for _, f := range t.Names {
		if f.Name == name {
			return f.Value, true
		}
	}
	return 0, false
}

// OpenFlags is the PPM_O_* encoding of open flags, used by the flags
// parameter of open, openat, openat2, open_by_handle_at, dup3 and pipe2
// and by FD entries.
type OpenFlags uint32

// Open flags (PPM_O_*). Note RDONLY is 1 and RDWR is RDONLY|WRONLY, unlike
// Linux's O_RDONLY = 0.
const (
	OpenNone         OpenFlags = 0
	OpenReadOnly     OpenFlags = 1 << 0
	OpenWriteOnly    OpenFlags = 1 << 1
	OpenReadWrite    OpenFlags = OpenReadOnly | OpenWriteOnly
	OpenCreate       OpenFlags = 1 << 2
	OpenAppend       OpenFlags = 1 << 3
	OpenDsync        OpenFlags = 1 << 4
	OpenExcl         OpenFlags = 1 << 5
	OpenNonblock     OpenFlags = 1 << 6
	OpenSync         OpenFlags = 1 << 7
	OpenTrunc        OpenFlags = 1 << 8
	OpenDirect       OpenFlags = 1 << 9
	OpenDirectory    OpenFlags = 1 << 10
	OpenLargefile    OpenFlags = 1 << 11
	OpenCloexec      OpenFlags = 1 << 12
	OpenTmpfile      OpenFlags = 1 << 13
	OpenFCreated     OpenFlags = 1 << 14 // the call created the file
	OpenFDUpperLayer OpenFlags = 1 << 15 // the file is on an overlayfs upper layer
	OpenFDLowerLayer OpenFlags = 1 << 16 // the file is on an overlayfs lower layer
)

// OpenFlagNames renders OpenFlags.
var OpenFlagNames = &FlagTable{Names: []FlagName{
	{"O_LARGEFILE", uint32(OpenLargefile)},
	{"O_DIRECTORY", uint32(OpenDirectory)},
	{"O_DIRECT", uint32(OpenDirect)},
	{"O_TRUNC", uint32(OpenTrunc)},
	{"O_SYNC", uint32(OpenSync)},
	{"O_NONBLOCK", uint32(OpenNonblock)},
	{"O_EXCL", uint32(OpenExcl)},
	{"O_DSYNC", uint32(OpenDsync)},
	{"O_APPEND", uint32(OpenAppend)},
	{"O_CREAT", uint32(OpenCreate)},
	{"O_RDWR", uint32(OpenReadWrite)},
	{"O_WRONLY", uint32(OpenWriteOnly)},
	{"O_RDONLY", uint32(OpenReadOnly)},
	{"O_CLOEXEC", uint32(OpenCloexec)},
	{"O_NONE", uint32(OpenNone)},
	{"O_TMPFILE", uint32(OpenTmpfile)},
	{"O_F_CREATED", uint32(OpenFCreated)},
	{"FD_UPPER_LAYER", uint32(OpenFDUpperLayer)},
	{"FD_LOWER_LAYER", uint32(OpenFDLowerLayer)},
}}

// String renders f as Falco does, e.g. "O_RDONLY|O_CLOEXEC".
func (f OpenFlags) String() string { return OpenFlagNames.Format(uint32(f)) }

// AtFDCWD is the dirfd value meaning "the current working directory"
// (PPM_AT_FDCWD).
const AtFDCWD = -100

// SocketFamily is a PPM_AF_* socket family, used by the domain parameter
// of socket and socketpair and the first byte of SOCKADDR and SOCKTUPLE
// parameters.
type SocketFamily uint32

// Socket families (PPM_AF_*).
const (
	AFUnspec     SocketFamily = 0
	AFUnix       SocketFamily = 1
	AFLocal      SocketFamily = 1
	AFInet       SocketFamily = 2
	AFAX25       SocketFamily = 3
	AFIPX        SocketFamily = 4
	AFAppleTalk  SocketFamily = 5
	AFNetROM     SocketFamily = 6
	AFBridge     SocketFamily = 7
	AFATMPVC     SocketFamily = 8
	AFX25        SocketFamily = 9
	AFInet6      SocketFamily = 10
	AFRose       SocketFamily = 11
	AFDECnet     SocketFamily = 12
	AFNetBEUI    SocketFamily = 13
	AFSecurity   SocketFamily = 14
	AFKey        SocketFamily = 15
	AFNetlink    SocketFamily = 16
	AFRoute      SocketFamily = 16
	AFPacket     SocketFamily = 17
	AFAsh        SocketFamily = 18
	AFEconet     SocketFamily = 19
	AFATMSVC     SocketFamily = 20
	AFRDS        SocketFamily = 21
	AFSNA        SocketFamily = 22
	AFIrDA       SocketFamily = 23
	AFPPPoX      SocketFamily = 24
	AFWanpipe    SocketFamily = 25
	AFLLC        SocketFamily = 26
	AFCAN        SocketFamily = 29
	AFTIPC       SocketFamily = 30
	AFBluetooth  SocketFamily = 31
	AFIUCV       SocketFamily = 32
	AFRxRPC      SocketFamily = 33
	AFISDN       SocketFamily = 34
	AFPhonet     SocketFamily = 35
	AFIEEE802154 SocketFamily = 36
	AFCAIF       SocketFamily = 37
	AFALG        SocketFamily = 38
	AFNFC        SocketFamily = 39
)

// SocketFamilyNames renders SocketFamily values (an enum table).
var SocketFamilyNames = &FlagTable{Enum: true, Names: []FlagName{
	{"AF_NFC", 39}, {"AF_ALG", 38}, {"AF_CAIF", 37}, {"AF_IEEE802154", 36}, {"AF_PHONET", 35},
	{"AF_ISDN", 34}, {"AF_RXRPC", 33}, {"AF_IUCV", 32}, {"AF_BLUETOOTH", 31}, {"AF_TIPC", 30},
	{"AF_CAN", 29}, {"AF_LLC", 26}, {"AF_WANPIPE", 25}, {"AF_PPPOX", 24}, {"AF_IRDA", 23},
	{"AF_SNA", 22}, {"AF_RDS", 21}, {"AF_ATMSVC", 20}, {"AF_ECONET", 19}, {"AF_ASH", 18},
	{"AF_PACKET", 17}, {"AF_ROUTE", 16}, {"AF_NETLINK", 16}, {"AF_KEY", 15}, {"AF_SECURITY", 14},
	{"AF_NETBEUI", 13}, {"AF_DECnet", 12}, {"AF_ROSE", 11}, {"AF_INET6", 10}, {"AF_X25", 9},
	{"AF_ATMPVC", 8}, {"AF_BRIDGE", 7}, {"AF_NETROM", 6}, {"AF_APPLETALK", 5}, {"AF_IPX", 4},
	{"AF_AX25", 3}, {"AF_INET", 2}, {"AF_LOCAL", 1}, {"AF_UNIX", 1}, {"AF_UNSPEC", 0},
}}

// String renders f as Falco does, e.g. "AF_INET"; unknown values render
// as their number.
func (f SocketFamily) String() string {
	return orNumber(SocketFamilyNames.Format(uint32(f)), uint32(f))
}

// PtraceRequest is a PPM_PTRACE_* request, the request parameter of ptrace.
type PtraceRequest uint16

// Ptrace requests (PPM_PTRACE_*).
const (
	PtraceUnknown          PtraceRequest = 0
	PtraceTraceme          PtraceRequest = 1
	PtracePeektext         PtraceRequest = 2
	PtracePeekdata         PtraceRequest = 3
	PtracePeekusr          PtraceRequest = 4
	PtracePoketext         PtraceRequest = 5
	PtracePokedata         PtraceRequest = 6
	PtracePokeusr          PtraceRequest = 7
	PtraceCont             PtraceRequest = 8
	PtraceKill             PtraceRequest = 9
	PtraceSinglestep       PtraceRequest = 10
	PtraceAttach           PtraceRequest = 11
	PtraceDetach           PtraceRequest = 12
	PtraceSyscall          PtraceRequest = 13
	PtraceSetoptions       PtraceRequest = 14
	PtraceGeteventmsg      PtraceRequest = 15
	PtraceGetsiginfo       PtraceRequest = 16
	PtraceSetsiginfo       PtraceRequest = 17
	PtraceGetregset        PtraceRequest = 18
	PtraceSetregset        PtraceRequest = 19
	PtraceSeize            PtraceRequest = 20
	PtraceInterrupt        PtraceRequest = 21
	PtraceListen           PtraceRequest = 22
	PtracePeeksiginfo      PtraceRequest = 23
	PtraceGetsigmask       PtraceRequest = 24
	PtraceSetsigmask       PtraceRequest = 25
	PtraceGetregs          PtraceRequest = 26
	PtraceSetregs          PtraceRequest = 27
	PtraceGetfpregs        PtraceRequest = 28
	PtraceSetfpregs        PtraceRequest = 29
	PtraceGetfpxregs       PtraceRequest = 30
	PtraceSetfpxregs       PtraceRequest = 31
	PtraceOldsetoptions    PtraceRequest = 32
	PtraceGetThreadArea    PtraceRequest = 33
	PtraceSetThreadArea    PtraceRequest = 34
	PtraceArchPrctl        PtraceRequest = 35
	PtraceSysemu           PtraceRequest = 36
	PtraceSysemuSinglestep PtraceRequest = 37
	PtraceSingleblock      PtraceRequest = 38
)

// DYN type indexes of the ptrace addr and data parameters.
const (
	PtraceDynUint64  = 0 // the value is a u64
	PtraceDynSigtype = 1 // the value is a u8 signal number
)

// PtraceRequestNames renders PtraceRequest values (an enum table).
var PtraceRequestNames = &FlagTable{Enum: true, Names: []FlagName{
	{"PTRACE_SINGLEBLOCK", 38}, {"PTRACE_SYSEMU_SINGLESTEP", 37}, {"PTRACE_SYSEMU", 36},
	{"PTRACE_ARCH_PRCTL", 35}, {"PTRACE_SET_THREAD_AREA", 34}, {"PTRACE_GET_THREAD_AREA", 33},
	{"PTRACE_OLDSETOPTIONS", 32}, {"PTRACE_SETFPXREGS", 31}, {"PTRACE_GETFPXREGS", 30},
	{"PTRACE_SETFPREGS", 29}, {"PTRACE_GETFPREGS", 28}, {"PTRACE_SETREGS", 27},
	{"PTRACE_GETREGS", 26}, {"PTRACE_SETSIGMASK", 25}, {"PTRACE_GETSIGMASK", 24},
	{"PTRACE_PEEKSIGINFO", 23}, {"PTRACE_LISTEN", 22}, {"PTRACE_INTERRUPT", 21},
	{"PTRACE_SEIZE", 20}, {"PTRACE_SETREGSET", 19}, {"PTRACE_GETREGSET", 18},
	{"PTRACE_SETSIGINFO", 17}, {"PTRACE_GETSIGINFO", 16}, {"PTRACE_GETEVENTMSG", 15},
	{"PTRACE_SETOPTIONS", 14}, {"PTRACE_SYSCALL", 13}, {"PTRACE_DETACH", 12},
	{"PTRACE_ATTACH", 11}, {"PTRACE_SINGLESTEP", 10}, {"PTRACE_KILL", 9}, {"PTRACE_CONT", 8},
	{"PTRACE_POKEUSR", 7}, {"PTRACE_POKEDATA", 6}, {"PTRACE_POKETEXT", 5},
	{"PTRACE_PEEKUSR", 4}, {"PTRACE_PEEKDATA", 3}, {"PTRACE_PEEKTEXT", 2},
	{"PTRACE_TRACEME", 1}, {"PTRACE_UNKNOWN", 0},
}}

// String renders r as Falco does, e.g. "PTRACE_ATTACH".
func (r PtraceRequest) String() string {
	return orNumber(PtraceRequestNames.Format(uint32(r)), uint32(r))
}

// ExeFlags are the PPM_EXE_* bits of the flags parameter of execve and
// execveat exit events.
type ExeFlags uint32

// Exe flags (PPM_EXE_*).
const (
	ExeWritable   ExeFlags = 1 << 0 // the executable is writable by the caller
	ExeUpperLayer ExeFlags = 1 << 1 // the executable is on an overlayfs upper layer
	ExeFromMemfd  ExeFlags = 1 << 2 // the executable is a memfd
	ExeLowerLayer ExeFlags = 1 << 3 // the executable is on an overlayfs lower layer
)

// ExeFlagNames renders ExeFlags.
var ExeFlagNames = &FlagTable{Names: []FlagName{
	{"EXE_WRITABLE", uint32(ExeWritable)},
	{"EXE_UPPER_LAYER", uint32(ExeUpperLayer)},
	{"EXE_FROM_MEMFD", uint32(ExeFromMemfd)},
	{"EXE_LOWER_LAYER", uint32(ExeLowerLayer)},
}}

// String renders f as Falco does, e.g. "EXE_WRITABLE|EXE_UPPER_LAYER".
func (f ExeFlags) String() string { return ExeFlagNames.Format(uint32(f)) }

// CloneFlags are the PPM_CL_* bits of clone/fork/vfork/clone3 events and
// of process list entries. Some bits are libsinsp thread states rather
// than clone(2) flags.
type CloneFlags uint32

// Clone flags (PPM_CL_*).
const (
	CloneNone          CloneFlags = 0
	CloneFiles         CloneFlags = 1 << 0
	CloneFS            CloneFlags = 1 << 1
	CloneIO            CloneFlags = 1 << 2
	CloneNewIPC        CloneFlags = 1 << 3
	CloneNewNet        CloneFlags = 1 << 4
	CloneNewNS         CloneFlags = 1 << 5
	CloneNewPID        CloneFlags = 1 << 6
	CloneNewUTS        CloneFlags = 1 << 7
	CloneParent        CloneFlags = 1 << 8
	CloneParentSettid  CloneFlags = 1 << 9
	ClonePtrace        CloneFlags = 1 << 10
	CloneSighand       CloneFlags = 1 << 11
	CloneSysvsem       CloneFlags = 1 << 12
	CloneThread        CloneFlags = 1 << 13
	CloneUntraced      CloneFlags = 1 << 14
	CloneVM            CloneFlags = 1 << 15
	CloneInverted      CloneFlags = 1 << 16 // libsinsp: the child returned before the parent
	CloneNameChanged   CloneFlags = 1 << 17 // libsinsp: the thread name changed (execve)
	CloneClosed        CloneFlags = 1 << 18 // libsinsp: the thread has exited
	CloneActive        CloneFlags = 1 << 19 // libsinsp: the thread produced a non-clone event
	CloneNewUser       CloneFlags = 1 << 20
	ClonePipeSrc       CloneFlags = 1 << 21 // libsinsp: source of a shell pipe
	ClonePipeDst       CloneFlags = 1 << 22 // libsinsp: destination of a shell pipe
	CloneChildCleartid CloneFlags = 1 << 23
	CloneChildSettid   CloneFlags = 1 << 24
	CloneSettls        CloneFlags = 1 << 25
	CloneStopped       CloneFlags = 1 << 26
	CloneVfork         CloneFlags = 1 << 27
	CloneNewCgroup     CloneFlags = 1 << 28
	CloneChildInPidns  CloneFlags = 1 << 29 // the child is not in the init pid namespace
	CloneIsMainThread  CloneFlags = 1 << 30 // libsinsp: main thread where tid != pid
)

// CloneFlagNames renders CloneFlags.
var CloneFlagNames = &FlagTable{Names: []FlagName{
	{"CLONE_FILES", uint32(CloneFiles)},
	{"CLONE_FS", uint32(CloneFS)},
	{"CLONE_IO", uint32(CloneIO)},
	{"CLONE_NEWIPC", uint32(CloneNewIPC)},
	{"CLONE_NEWNET", uint32(CloneNewNet)},
	{"CLONE_NEWNS", uint32(CloneNewNS)},
	{"CLONE_NEWPID", uint32(CloneNewPID)},
	{"CLONE_NEWUTS", uint32(CloneNewUTS)},
	{"CLONE_PARENT", uint32(CloneParent)},
	{"CLONE_PARENT_SETTID", uint32(CloneParentSettid)},
	{"CLONE_PTRACE", uint32(ClonePtrace)},
	{"CLONE_SIGHAND", uint32(CloneSighand)},
	{"CLONE_SYSVSEM", uint32(CloneSysvsem)},
	{"CLONE_THREAD", uint32(CloneThread)},
	{"CLONE_UNTRACED", uint32(CloneUntraced)},
	{"CLONE_VM", uint32(CloneVM)},
	{"CLONE_INVERTED", uint32(CloneInverted)},
	{"NAME_CHANGED", uint32(CloneNameChanged)},
	{"CLOSED", uint32(CloneClosed)},
	{"CLONE_NEWUSER", uint32(CloneNewUser)},
	{"CLONE_CHILD_CLEARTID", uint32(CloneChildCleartid)},
	{"CLONE_CHILD_SETTID", uint32(CloneChildSettid)},
	{"CLONE_SETTLS", uint32(CloneSettls)},
	{"CLONE_STOPPED", uint32(CloneStopped)},
	{"CLONE_VFORK", uint32(CloneVfork)},
	{"CLONE_NEWCGROUP", uint32(CloneNewCgroup)},
}}

// String renders f as Falco does, e.g. "CLONE_VM|CLONE_VFORK".
func (f CloneFlags) String() string { return CloneFlagNames.Format(uint32(f)) }

// FcntlCmd is a PPM_FCNTL_* command, the cmd parameter of fcntl.
type FcntlCmd uint8

// Fcntl commands (PPM_FCNTL_*), as the 64-bit driver reports them.
const (
	FcntlUnknown      FcntlCmd = 0
	FcntlDupfd        FcntlCmd = 1
	FcntlGetfd        FcntlCmd = 2
	FcntlSetfd        FcntlCmd = 3
	FcntlGetfl        FcntlCmd = 4
	FcntlSetfl        FcntlCmd = 5
	FcntlGetlk        FcntlCmd = 6
	FcntlSetlk        FcntlCmd = 8
	FcntlSetlkw       FcntlCmd = 9
	FcntlSetown       FcntlCmd = 10
	FcntlGetown       FcntlCmd = 12
	FcntlSetsig       FcntlCmd = 13
	FcntlGetsig       FcntlCmd = 15
	FcntlSetownEx     FcntlCmd = 21
	FcntlGetownEx     FcntlCmd = 22
	FcntlSetlease     FcntlCmd = 23
	FcntlGetlease     FcntlCmd = 24
	FcntlCancellk     FcntlCmd = 25
	FcntlDupfdCloexec FcntlCmd = 26
	FcntlNotify       FcntlCmd = 27
	FcntlSetpipeSz    FcntlCmd = 28
	FcntlGetpipeSz    FcntlCmd = 29
	FcntlOfdGetlk     FcntlCmd = 30
	FcntlOfdSetlk     FcntlCmd = 31
	FcntlOfdSetlkw    FcntlCmd = 32
)

// FcntlCmdNames renders FcntlCmd values (an enum table).
var FcntlCmdNames = &FlagTable{Enum: true, Names: []FlagName{
	{"F_GETPIPE_SZ", 29}, {"F_SETPIPE_SZ", 28}, {"F_NOTIFY", 27}, {"F_DUPFD_CLOEXEC", 26},
	{"F_CANCELLK", 25}, {"F_GETLEASE", 24}, {"F_SETLEASE", 23}, {"F_GETOWN_EX", 22},
	{"F_SETOWN_EX", 21}, {"F_GETSIG", 15}, {"F_SETSIG", 13}, {"F_GETOWN", 12}, {"F_SETOWN", 10},
	{"F_SETLKW", 9}, {"F_SETLK", 8}, {"F_GETLK", 6}, {"F_SETFL", 5}, {"F_GETFL", 4},
	{"F_SETFD", 3}, {"F_GETFD", 2}, {"F_DUPFD", 1}, {"F_OFD_GETLK", 30}, {"F_OFD_SETLK", 31},
	{"F_OFD_SETLKW", 32}, {"UNKNOWN", 0},
}}

// String renders c as Falco does, e.g. "F_DUPFD_CLOEXEC".
func (c FcntlCmd) String() string { return orNumber(FcntlCmdNames.Format(uint32(c)), uint32(c)) }

// FileMode holds PPM_S_* permission bits, the mode parameter of chmod,
// fchmod, fchmodat and mknod (type MODE).
type FileMode uint32

// File mode bits (PPM_S_*).
const (
	ModeNone  FileMode = 0
	ModeIXOTH FileMode = 1 << 0
	ModeIWOTH FileMode = 1 << 1
	ModeIROTH FileMode = 1 << 2
	ModeIXGRP FileMode = 1 << 3
	ModeIWGRP FileMode = 1 << 4
	ModeIRGRP FileMode = 1 << 5
	ModeIXUSR FileMode = 1 << 6
	ModeIWUSR FileMode = 1 << 7
	ModeIRUSR FileMode = 1 << 8
	ModeISVTX FileMode = 1 << 9
	ModeISGID FileMode = 1 << 10
	ModeISUID FileMode = 1 << 11
)

// FileModeNames renders FileMode values.
var FileModeNames = &FlagTable{Names: []FlagName{
	{"S_IXOTH", uint32(ModeIXOTH)}, {"S_IWOTH", uint32(ModeIWOTH)}, {"S_IROTH", uint32(ModeIROTH)},
	{"S_IXGRP", uint32(ModeIXGRP)}, {"S_IWGRP", uint32(ModeIWGRP)}, {"S_IRGRP", uint32(ModeIRGRP)},
	{"S_IXUSR", uint32(ModeIXUSR)}, {"S_IWUSR", uint32(ModeIWUSR)}, {"S_IRUSR", uint32(ModeIRUSR)},
	{"S_ISVTX", uint32(ModeISVTX)}, {"S_ISGID", uint32(ModeISGID)}, {"S_ISUID", uint32(ModeISUID)},
}}

// String renders m as Falco does, e.g. "S_IXUSR|S_IWUSR|S_IRUSR".
func (m FileMode) String() string { return FileModeNames.Format(uint32(m)) }

func orNumber(s string, v uint32) string {
	if s == "" {
		return strconv.FormatUint(uint64(v), 10)
	}
	return s
}

type paramKey struct{ event, param string }

// paramNames lists the name tables of the parameters Falconer renders.
var paramNames = map[paramKey]*FlagTable{
	{"open", "flags"}:              OpenFlagNames,
	{"openat", "flags"}:            OpenFlagNames,
	{"openat2", "flags"}:           OpenFlagNames,
	{"open_by_handle_at", "flags"}: OpenFlagNames,
	{"dup3", "flags"}:              OpenFlagNames,
	{"pipe2", "flags"}:             OpenFlagNames,
	{"socket", "domain"}:           SocketFamilyNames,
	{"socketpair", "domain"}:       SocketFamilyNames,
	{"ptrace", "request"}:          PtraceRequestNames,
	{"execve", "flags"}:            ExeFlagNames,
	{"execveat", "flags"}:          ExeFlagNames,
	{"clone", "flags"}:             CloneFlagNames,
	{"clone3", "flags"}:            CloneFlagNames,
	{"fork", "flags"}:              CloneFlagNames,
	{"vfork", "flags"}:             CloneFlagNames,
	{"fcntl", "cmd"}:               FcntlCmdNames,
	{"chmod", "mode"}:              FileModeNames,
	{"fchmod", "mode"}:             FileModeNames,
	{"fchmodat", "mode"}:           FileModeNames,
	{"mknod", "mode"}:              FileModeNames,
	{"mknodat", "mode"}:            FileModeNames,
}

// ParamNames returns the name table used to render parameter i of events
// of code c, or nil if Falconer has none for it.
func ParamNames(c EventCode, i int) *FlagTable {
	info := c.Info()
	if info == nil || i < 0 || i >= len(info.Params) {
		return nil
	}
	return paramNames[paramKey{info.Name, info.Params[i].Name}]
}
