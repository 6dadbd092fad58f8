package scap

import "strconv"

//go:generate go run ./internal/eventgen -in data/scap-event-table.tsv -out zevents.go

// EventCode is a PPME_* event type code of the driver's event table. The
// codes are stable on disk; the named constants (SyscallOpenat2X, ...) are
// generated from the table, one per PPME_ name with the prefix dropped.
type EventCode uint16

// Info returns the table entry of c, or nil if c is not below EventMax
// (an event written by a newer driver).
func (c EventCode) Info() *EventInfo {
	if int(c) >= len(eventTable) {
		return nil
	}
	return &eventTable[c]
}

// String returns the PPME_ name of c, or EventCode(N) for codes outside the
// table.
func (c EventCode) String() string {
	if info := c.Info(); info != nil {
		return info.PPME
	}
	return "EventCode(" + strconv.Itoa(int(c)) + ")"
}

// IsExit reports whether c is an exit (_X) event. Codes come in enter/exit
// pairs: even codes are enter events, odd ones exit events.
func (c EventCode) IsExit() bool { return c&1 == 1 }

// EventInfo is one entry of the driver's event table.
type EventInfo struct {
	Code     EventCode
	PPME     string     // PPME_ name, e.g. "PPME_SYSCALL_OPENAT_2_X"
	Name     string     // event name as evt.type sees it, e.g. "openat"; "NA" for unused codes
	Category Category   // EC_* bits
	Flags    EventFlags // EF_* bits
	Params   []ParamInfo
}

// LengthWidth returns the size in bytes of one entry of the event's
// parameter length array: 4 for large-payload events, 2 otherwise.
func (e *EventInfo) LengthWidth() int {
	if e.Flags&FlagLargePayload != 0 {
		return 4
	}
	return 2
}

// ParamInfo describes one parameter of an event.
type ParamInfo struct {
	Name string
	Type ParamType
	// DirFD is, for an FSRELPATH parameter, the index of the parameter
	// holding the directory fd the path is relative to; -1 otherwise.
	DirFD int8
}

// Category holds the EC_* category bits of an event: a source bit
// (syscall, tracepoint, plugin, meta event, iterator) plus a class.
type Category uint32

// Category bits and classes (EC_* in the driver's public header).
const (
	CatUnknown    Category = 0
	CatOther      Category = 1
	CatFile       Category = 2
	CatNet        Category = 3
	CatIPC        Category = 4
	CatMemory     Category = 5
	CatProcess    Category = 6
	CatSleep      Category = 7
	CatSystem     Category = 8
	CatSignal     Category = 9
	CatUser       Category = 10
	CatTime       Category = 11
	CatIORead     Category = 32
	CatIOWrite    Category = 33
	CatIOOther    Category = 34
	CatWait       Category = 64
	CatScheduler  Category = 128
	CatInternal   Category = 256
	CatSyscall    Category = 0x200
	CatTracepoint Category = 0x400
	CatPlugin     Category = 0x800
	CatMeta       Category = 0x1000
	CatIter       Category = 0x2000
)

// EventFlags holds the EF_* flags of an event table entry.
type EventFlags uint32

// Event table flags (EF_* in the driver's public header).
const (
	FlagCreatesFD        EventFlags = 1
	FlagDestroysFD       EventFlags = 2
	FlagUsesFD           EventFlags = 4
	FlagReadsFromFD      EventFlags = 8
	FlagWritesToFD       EventFlags = 16
	FlagModifiesState    EventFlags = 32
	FlagUnused           EventFlags = 64
	FlagWaits            EventFlags = 128
	FlagSkipParseReset   EventFlags = 256
	FlagOldVersion       EventFlags = 512
	FlagLargePayload     EventFlags = 2048
	FlagConverterManaged EventFlags = 4096
)

// ParamType is the encoding of an event parameter (PT_* in the driver's
// public header). The numbering is this package's own: types are never
// stored on disk, only looked up in the event table.
type ParamType uint8

// Parameter types.
const (
	TypeNone ParamType = iota
	TypeInt8
	TypeInt16
	TypeInt32
	TypeInt64
	TypeUint8
	TypeUint16
	TypeUint32
	TypeUint64
	TypeCharBuf
	TypeByteBuf
	TypeErrno
	TypeSockAddr
	TypeSockTuple
	TypeFD
	TypePID
	TypeFDList
	TypeFSPath
	TypeSyscallID
	TypeSigType
	TypeRelTime
	TypeAbsTime
	TypePort
	TypeL4Proto
	TypeSockFamily
	TypeBool
	TypeIPv4Addr
	TypeDyn
	TypeFlags8
	TypeFlags16
	TypeFlags32
	TypeUID
	TypeGID
	TypeDouble
	TypeSigSet
	TypeCharBufArray
	TypeCharBufPairArray
	TypeIPv4Net
	TypeIPv6Addr
	TypeIPv6Net
	TypeIPAddr
	TypeIPNet
	TypeMode
	TypeFSRelPath
	TypeEnumFlags8
	TypeEnumFlags16
	TypeEnumFlags32
	TypeFD32
	TypePID32
	numParamTypes
)

var paramTypeNames = [numParamTypes]string{
	TypeNone: "NONE", TypeInt8: "INT8", TypeInt16: "INT16", TypeInt32: "INT32",
	TypeInt64: "INT64", TypeUint8: "UINT8", TypeUint16: "UINT16", TypeUint32: "UINT32",
	TypeUint64: "UINT64", TypeCharBuf: "CHARBUF", TypeByteBuf: "BYTEBUF", TypeErrno: "ERRNO",
	TypeSockAddr: "SOCKADDR", TypeSockTuple: "SOCKTUPLE", TypeFD: "FD", TypePID: "PID",
	TypeFDList: "FDLIST", TypeFSPath: "FSPATH", TypeSyscallID: "SYSCALLID",
	TypeSigType: "SIGTYPE", TypeRelTime: "RELTIME", TypeAbsTime: "ABSTIME", TypePort: "PORT",
	TypeL4Proto: "L4PROTO", TypeSockFamily: "SOCKFAMILY", TypeBool: "BOOL",
	TypeIPv4Addr: "IPV4ADDR", TypeDyn: "DYN", TypeFlags8: "FLAGS8", TypeFlags16: "FLAGS16",
	TypeFlags32: "FLAGS32", TypeUID: "UID", TypeGID: "GID", TypeDouble: "DOUBLE",
	TypeSigSet: "SIGSET", TypeCharBufArray: "CHARBUFARRAY",
	TypeCharBufPairArray: "CHARBUF_PAIR_ARRAY", TypeIPv4Net: "IPV4NET",
	TypeIPv6Addr: "IPV6ADDR", TypeIPv6Net: "IPV6NET", TypeIPAddr: "IPADDR", TypeIPNet: "IPNET",
	TypeMode: "MODE", TypeFSRelPath: "FSRELPATH", TypeEnumFlags8: "ENUMFLAGS8",
	TypeEnumFlags16: "ENUMFLAGS16", TypeEnumFlags32: "ENUMFLAGS32", TypeFD32: "FD32",
	TypePID32: "PID32",
}

// String returns the PT_ name of t without the prefix, as the event table
// spells it (e.g. "FSRELPATH").
func (t ParamType) String() string {
	if t < numParamTypes {
		return paramTypeNames[t]
	}
	return "ParamType(" + strconv.Itoa(int(t)) + ")"
}

// Size returns the encoded size of a fixed-size type in bytes, or 0 for
// variable-length types (strings, buffers, socket addresses, ...).
func (t ParamType) Size() int {
	switch t {
	case TypeInt8, TypeUint8, TypeFlags8, TypeEnumFlags8, TypeSigType, TypeL4Proto, TypeSockFamily:
		return 1
	case TypeInt16, TypeUint16, TypeFlags16, TypeEnumFlags16, TypeSyscallID, TypePort:
		return 2
	case TypeInt32, TypeUint32, TypeFlags32, TypeEnumFlags32, TypeBool, TypeIPv4Addr, TypeUID,
		TypeGID, TypeSigSet, TypeMode, TypeFD32, TypePID32:
		return 4
	case TypeInt64, TypeUint64, TypeErrno, TypeFD, TypePID, TypeRelTime, TypeAbsTime, TypeDouble:
		return 8
	case TypeIPv6Addr:
		return 16
	}
	return 0
}

// Signed reports whether a fixed-size integer type is signed, so that its
// value must be sign-extended (errno, fd and pid values are negative on
// failure).
func (t ParamType) Signed() bool {
	switch t {
	case TypeInt8, TypeInt16, TypeInt32, TypeInt64, TypeErrno, TypeFD, TypePID, TypeFD32, TypePID32:
		return true
	}
	return false
}

// IsString reports whether t is a NUL-terminated string type (CHARBUF,
// FSPATH, FSRELPATH): its length on disk includes the trailing NUL.
func (t ParamType) IsString() bool {
	return t == TypeCharBuf || t == TypeFSPath || t == TypeFSRelPath
}

// IsInitialState reports whether events of code c belong to the run of
// "initial state" events a capture carries before its live events (users,
// groups, container and plugin state). libsinsp applies a leading run of
// them to its tables and does not hand them to rules.
func IsInitialState(c EventCode) bool {
	switch c {
	case UserAddedE, UserDeletedE, GroupAddedE, GroupDeletedE, ContainerJSONV2E, AsynceventE:
		return true
	}
	return false
}
