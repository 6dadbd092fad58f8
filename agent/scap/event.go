package scap

import (
	"bytes"
	"net/netip"
	"strconv"
)

// Event is one decoded event. The Reader reuses a single Event and the
// buffer its parameters point into: an Event and every slice obtained from
// it are valid only until the next call to Reader.Next. Use Clone to keep
// one.
//
// Parameter accessors take the parameter index and never panic: an index
// out of range reads as an empty parameter.
type Event struct {
	Code      EventCode
	Timestamp uint64 // ns since the Unix epoch
	Tid       int64  // thread id; NoTid for meta events
	CPU       uint16
	Flags     uint32 // dump flags of EVF blocks (DumpStateOnly); 0 otherwise
	Offset    int64  // offset of the event's block in the decompressed stream
	Block     BlockType

	info    *EventInfo
	data    []byte // length array and values of the parameters
	nparams int
	off     [MaxParams + 1]uint32 // value i is data[off[i]:off[i+1]]
}

// Dump flags stored in EVF blocks.
const (
	// DumpStateOnly marks an event kept only to update state: it must
	// not reach rules (SCAP_DF_STATE_ONLY).
	DumpStateOnly uint32 = 1
	// DumpLarge (SCAP_DF_LARGE) is never stored; the writer picks a LARGE
	// block type instead.
	DumpLarge uint32 = 4
)

// Info returns the event's table entry.
func (e *Event) Info() *EventInfo { return e.info }

// Name returns the event name (the syscall name for syscall events).
func (e *Event) Name() string {
	if e.info == nil {
		return ""
	}
	return e.info.Name
}

// NParams returns the number of parameters the event carries. For events
// written by the current driver it equals len(e.Info().Params).
func (e *Event) NParams() int { return e.nparams }

// StateOnly reports whether the event is flagged for state tracking only.
func (e *Event) StateOnly() bool { return e.Flags&DumpStateOnly != 0 }

// Param returns the raw bytes of parameter i (nil if i is out of range).
// A zero-length parameter means "not available".
func (e *Event) Param(i int) []byte {
	if uint(i) >= uint(e.nparams) {
		return nil
	}
	return e.data[e.off[i]:e.off[i+1]:e.off[i+1]]
}

// Bytes returns the raw bytes of parameter i; it is Param under the name
// that reads better for BYTEBUF parameters.
func (e *Event) Bytes(i int) []byte { return e.Param(i) }

// Empty reports whether parameter i is absent or has zero length.
func (e *Event) Empty(i int) bool { return len(e.Param(i)) == 0 }

// Uint64 decodes parameter i as an unsigned little-endian integer of its
// stored width (1, 2, 4 or 8 bytes). Other widths read as 0.
func (e *Event) Uint64(i int) uint64 {
	p := e.Param(i)
	switch len(p) {
	case 1:
		return uint64(p[0])
	case 2:
		return uint64(le.Uint16(p))
	case 4:
		return uint64(le.Uint32(p))
	case 8:
		return le.Uint64(p)
	}
	return 0
}

// Int64 decodes parameter i as a signed little-endian integer of its
// stored width, sign-extended. Other widths read as 0.
func (e *Event) Int64(i int) int64 {
	p := e.Param(i)
	switch len(p) {
	case 1:
		return int64(int8(p[0]))
	case 2:
		return int64(int16(le.Uint16(p)))
	case 4:
		return int64(int32(le.Uint32(p)))
	case 8:
		return int64(le.Uint64(p))
	}
	return 0
}

// Uint32 is Uint64 truncated to 32 bits, for FLAGS32, UID, MODE and other
// 4-byte parameters.
func (e *Event) Uint32(i int) uint32 { return uint32(e.Uint64(i)) }

// Errno returns the error number of a failed call whose result is in
// parameter i (ERRNO, or an FD/PID result): the negated value if it is
// negative, 0 otherwise.
func (e *Event) Errno(i int) int {
	if v := e.Int64(i); v < 0 && v >= -4095 {
		return int(-v)
	}
	return 0
}

// StringBytes returns parameter i up to its first NUL byte, without
// copying: a C string view of CHARBUF, FSPATH and FSRELPATH values.
func (e *Event) StringBytes(i int) []byte {
	p := e.Param(i)
	if j := bytes.IndexByte(p, 0); j >= 0 {
		return p[:j]
	}
	return p
}

// String returns parameter i up to its first NUL byte as a string. It
// allocates; hot paths should use StringBytes.
func (e *Event) String(i int) string { return string(e.StringBytes(i)) }

// SockAddr decodes a SOCKADDR parameter. ok is false if the parameter is
// empty or malformed.
func (e *Event) SockAddr(i int) (a SockAddr, ok bool) { return DecodeSockAddr(e.Param(i)) }

// SockTuple decodes a SOCKTUPLE parameter. ok is false if the parameter
// is empty (e.g. a failed connect) or malformed.
func (e *Event) SockTuple(i int) (t SockTuple, ok bool) { return DecodeSockTuple(e.Param(i)) }

// Dyn splits a DYN parameter into its type index and value bytes. ok is
// false if the parameter is empty.
func (e *Event) Dyn(i int) (index uint8, value []byte, ok bool) {
	p := e.Param(i)
	if len(p) == 0 {
		return 0, nil, false
	}
	return p[0], p[1:], true
}

// Clone returns a deep copy of e that stays valid after Reader.Next.
func (e *Event) Clone() *Event {
	c := *e
	c.data = bytes.Clone(e.data)
	return &c
}

// SockAddr is a decoded SOCKADDR parameter.
type SockAddr struct {
	Family uint8          // PPM_AF_* (AFInet, AFInet6, AFUnix, ...)
	Addr   netip.AddrPort // for AFInet and AFInet6
	Path   string         // for AFUnix
}

// String formats the address as "ip:port", "[ip6]:port" or the unix path.
func (a SockAddr) String() string {
	switch a.Family {
	case uint8(AFInet), uint8(AFInet6):
		return a.Addr.String()
	case uint8(AFUnix):
		return a.Path
	}
	return "family " + SocketFamily(a.Family).String()
}

// SockTuple is a decoded SOCKTUPLE parameter: client then server, for both
// connect (local to remote) and accept (peer to local).
type SockTuple struct {
	Family   uint8
	Src, Dst netip.AddrPort // for AFInet and AFInet6
	// For AFUnix: the kernel addresses of the two ends and the path.
	Source, Dest uint64
	Path         string
}

// String formats the tuple as "src->dst".
func (t SockTuple) String() string {
	switch t.Family {
	case uint8(AFInet), uint8(AFInet6):
		return t.Src.String() + "->" + t.Dst.String()
	case uint8(AFUnix):
		return "unix " + hex64(t.Source) + "->" + hex64(t.Dest) + " " + t.Path
	}
	return "family " + SocketFamily(t.Family).String()
}

func hex64(v uint64) string { return "0x" + strconv.FormatUint(v, 16) }

// DecodeSockAddr decodes SOCKADDR bytes: a family byte, then ip[4] and a
// little-endian port for AF_INET, ip[16] and the port for AF_INET6, or a
// NUL-terminated path for AF_UNIX. IPs are in network order.
func DecodeSockAddr(p []byte) (SockAddr, bool) {
	if len(p) == 0 {
		return SockAddr{}, false
	}
	a := SockAddr{Family: p[0]}
	switch SocketFamily(p[0]) {
	case AFInet:
		if len(p) != 7 {
			return a, false
		}
		a.Addr = netip.AddrPortFrom(netip.AddrFrom4([4]byte(p[1:5])), le.Uint16(p[5:]))
	case AFInet6:
		if len(p) != 19 {
			return a, false
		}
		a.Addr = netip.AddrPortFrom(netip.AddrFrom16([16]byte(p[1:17])), le.Uint16(p[17:]))
	case AFUnix:
		a.Path = cstring(p[1:])
	}
	return a, true
}

// DecodeSockTuple decodes SOCKTUPLE bytes: a family byte, then for
// AF_INET sip[4] sport dip[4] dport (13 bytes), for AF_INET6 sip[16] sport
// dip[16] dport (37 bytes), for AF_UNIX two u64 kernel addresses and a
// NUL-terminated path.
func DecodeSockTuple(p []byte) (SockTuple, bool) {
	if len(p) == 0 {
		return SockTuple{}, false
	}
	t := SockTuple{Family: p[0]}
	switch SocketFamily(p[0]) {
	case AFInet:
		if len(p) != 13 {
			return t, false
		}
		t.Src = netip.AddrPortFrom(netip.AddrFrom4([4]byte(p[1:5])), le.Uint16(p[5:]))
		t.Dst = netip.AddrPortFrom(netip.AddrFrom4([4]byte(p[7:11])), le.Uint16(p[11:]))
	case AFInet6:
		if len(p) != 37 {
			return t, false
		}
		t.Src = netip.AddrPortFrom(netip.AddrFrom16([16]byte(p[1:17])), le.Uint16(p[17:]))
		t.Dst = netip.AddrPortFrom(netip.AddrFrom16([16]byte(p[19:35])), le.Uint16(p[35:]))
	case AFUnix:
		if len(p) < 17 {
			return t, false
		}
		t.Source = le.Uint64(p[1:])
		t.Dest = le.Uint64(p[9:])
		t.Path = cstring(p[17:])
	}
	return t, true
}

// Encode returns the SOCKADDR encoding of a.
func (a SockAddr) Encode() []byte {
	b := []byte{a.Family}
	switch SocketFamily(a.Family) {
	case AFInet:
		ip := as4(a.Addr.Addr())
		b = append(b, ip[:]...)
		b = le.AppendUint16(b, a.Addr.Port())
	case AFInet6:
		ip := a.Addr.Addr().As16()
		b = append(b, ip[:]...)
		b = le.AppendUint16(b, a.Addr.Port())
	case AFUnix:
		b = append(b, a.Path...)
		b = append(b, 0)
	}
	return b
}

// Encode returns the SOCKTUPLE encoding of t.
func (t SockTuple) Encode() []byte {
	b := []byte{t.Family}
	switch SocketFamily(t.Family) {
	case AFInet:
		for _, ap := range [2]netip.AddrPort{t.Src, t.Dst} {
			ip := as4(ap.Addr())
			b = append(b, ip[:]...)
			b = le.AppendUint16(b, ap.Port())
		}
	case AFInet6:
		for _, ap := range [2]netip.AddrPort{t.Src, t.Dst} {
			ip := ap.Addr().As16()
			b = append(b, ip[:]...)
			b = le.AppendUint16(b, ap.Port())
		}
	case AFUnix:
		b = le.AppendUint64(b, t.Source)
		b = le.AppendUint64(b, t.Dest)
		b = append(b, t.Path...)
		b = append(b, 0)
	}
	return b
}

// InetAddr returns the SockAddr of an IPv4 or IPv6 address and port.
func InetAddr(ap netip.AddrPort) SockAddr {
	fam := AFInet
	if !ap.Addr().Is4() {
		fam = AFInet6
	}
	return SockAddr{Family: uint8(fam), Addr: ap}
}

// InetTuple returns the SockTuple of a connection from src to dst; the
// family follows src.
func InetTuple(src, dst netip.AddrPort) SockTuple {
	fam := AFInet
	if !src.Addr().Is4() {
		fam = AFInet6
	}
	return SockTuple{Family: uint8(fam), Src: src, Dst: dst}
}

// as4 returns the 4 bytes of an IPv4 (or IPv4-mapped) address and zeros
// for anything else, where netip's As4 would panic.
func as4(a netip.Addr) [4]byte {
	if a.Is4() || a.Is4In6() {
		return a.As4()
	}
	return [4]byte{}
}
