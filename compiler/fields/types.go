package fields

import "strconv"

// Type is the value type of a field or an event parameter, as libsinsp
// names it (ppm_param_type). Its values are this package's own numbering.
type Type uint8

// The parameter types of libscap and libsinsp.
const (
	TypeNone Type = iota
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

	numTypes
)

var typeNames = [numTypes]string{
	TypeNone:             "NONE",
	TypeInt8:             "INT8",
	TypeInt16:            "INT16",
	TypeInt32:            "INT32",
	TypeInt64:            "INT64",
	TypeUint8:            "UINT8",
	TypeUint16:           "UINT16",
	TypeUint32:           "UINT32",
	TypeUint64:           "UINT64",
	TypeCharBuf:          "CHARBUF",
	TypeByteBuf:          "BYTEBUF",
	TypeErrno:            "ERRNO",
	TypeSockAddr:         "SOCKADDR",
	TypeSockTuple:        "SOCKTUPLE",
	TypeFD:               "FD",
	TypePID:              "PID",
	TypeFDList:           "FDLIST",
	TypeFSPath:           "FSPATH",
	TypeSyscallID:        "SYSCALLID",
	TypeSigType:          "SIGTYPE",
	TypeRelTime:          "RELTIME",
	TypeAbsTime:          "ABSTIME",
	TypePort:             "PORT",
	TypeL4Proto:          "L4PROTO",
	TypeSockFamily:       "SOCKFAMILY",
	TypeBool:             "BOOL",
	TypeIPv4Addr:         "IPV4ADDR",
	TypeDyn:              "DYN",
	TypeFlags8:           "FLAGS8",
	TypeFlags16:          "FLAGS16",
	TypeFlags32:          "FLAGS32",
	TypeUID:              "UID",
	TypeGID:              "GID",
	TypeDouble:           "DOUBLE",
	TypeSigSet:           "SIGSET",
	TypeCharBufArray:     "CHARBUFARRAY",
	TypeCharBufPairArray: "CHARBUF_PAIR_ARRAY",
	TypeIPv4Net:          "IPV4NET",
	TypeIPv6Addr:         "IPV6ADDR",
	TypeIPv6Net:          "IPV6NET",
	TypeIPAddr:           "IPADDR",
	TypeIPNet:            "IPNET",
	TypeMode:             "MODE",
	TypeFSRelPath:        "FSRELPATH",
	TypeEnumFlags8:       "ENUMFLAGS8",
	TypeEnumFlags16:      "ENUMFLAGS16",
	TypeEnumFlags32:      "ENUMFLAGS32",
	TypeFD32:             "FD32",
	TypePID32:            "PID32",
}

// String returns the libsinsp name of the type, such as "CHARBUF", as it
// appears in fields.tsv and in Falco's error messages.
func (t Type) String() string {
	if t < numTypes {
		return typeNames[t]
	}
	return "Type(" + strconv.Itoa(int(t)) + ")"
}

// ParseType returns the type with the libsinsp name s (such as "UINT64").
func ParseType(s string) (Type, bool) {
	for t, n := range typeNames {
		if n == s {
			return Type(t), true
		}
	}
	return TypeNone, false
}

// Numeric reports whether values of the type compare as numbers: the
// integer, flag, time, port and double types (libsinsp's numeric filters).
func (t Type) Numeric() bool {
	switch t {
	case TypeInt8, TypeInt16, TypeInt32, TypeInt64,
		TypeUint8, TypeUint16, TypeUint32, TypeUint64,
		TypeErrno, TypeFD, TypePID, TypeSyscallID, TypeSigType,
		TypeRelTime, TypeAbsTime, TypePort,
		TypeFlags8, TypeFlags16, TypeFlags32,
		TypeEnumFlags8, TypeEnumFlags16, TypeEnumFlags32,
		TypeDouble, TypeMode, TypeUID, TypeGID, TypeFD32, TypePID32:
		return true
	}
	return false
}

// Signed reports whether a numeric type holds signed integers.
func (t Type) Signed() bool {
	switch t {
	case TypeInt8, TypeInt16, TypeInt32, TypeInt64, TypeErrno, TypeFD, TypePID, TypeFD32, TypePID32:
		return true
	}
	return false
}

// IsString reports whether the type is a string: CHARBUF, FSPATH or
// FSRELPATH (libsinsp's string filters).
func (t Type) IsString() bool {
	return t == TypeCharBuf || t == TypeFSPath || t == TypeFSRelPath
}

// IsBuffer reports whether the type is a byte buffer (BYTEBUF).
func (t Type) IsBuffer() bool { return t == TypeByteBuf }

// IsBool reports whether the type is BOOL.
func (t Type) IsBool() bool { return t == TypeBool }

// IsIP reports whether the type is an IP address or network, of either
// family (libsinsp's ip address and network filters).
func (t Type) IsIP() bool {
	switch t {
	case TypeIPv4Addr, TypeIPv4Net, TypeIPv6Addr, TypeIPv6Net, TypeIPAddr, TypeIPNet:
		return true
	}
	return false
}

// IsNet reports whether the type is an IP network (a value with a netmask).
func (t Type) IsNet() bool {
	return t == TypeIPv4Net || t == TypeIPv6Net || t == TypeIPNet
}
