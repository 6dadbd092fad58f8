package scap

import (
	"encoding/binary"
	"fmt"
	"net/netip"
)

var le = binary.LittleEndian

// cursor reads little-endian fields from a block body. The first failed
// read records an error and makes every later read return zero values, so
// decoders check c.err once per entry instead of after every field.
type cursor struct {
	b   []byte
	pos int
	err error
}

// bodyError is a decoding failure inside a block body; the reader adds the
// block's offset and type.
type bodyError struct {
	pos int
	msg string
}

// Error returns the message with its position in the block body.
func (e *bodyError) Error() string { return fmt.Sprintf("at body offset %d: %s", e.pos, e.msg) }

func (c *cursor) fail(format string, args ...any) {
	if c.err == nil {
		c.err = &bodyError{pos: c.pos, msg: fmt.Sprintf(format, args...)}
	}
}

func (c *cursor) left() int { return len(c.b) - c.pos }

func (c *cursor) take(n int, what string) []byte {
	if c.err != nil {
		return nil
	}
	if n < 0 || n > c.left() {
		c.fail("%s: need %d bytes, %d left", what, n, c.left())
		return nil
	}
	b := c.b[c.pos : c.pos+n]
	c.pos += n
	return b
}

func (c *cursor) u8(what string) uint8 {
	if b := c.take(1, what); b != nil {
		return b[0]
	}
	return 0
}

func (c *cursor) u16(what string) uint16 {
	if b := c.take(2, what); b != nil {
		return le.Uint16(b)
	}
	return 0
}

func (c *cursor) u32(what string) uint32 {
	if b := c.take(4, what); b != nil {
		return le.Uint32(b)
	}
	return 0
}

func (c *cursor) u64(what string) uint64 {
	if b := c.take(8, what); b != nil {
		return le.Uint64(b)
	}
	return 0
}

func (c *cursor) i64(what string) int64 { return int64(c.u64(what)) }

// str reads a u16-length-prefixed string of at most max bytes.
func (c *cursor) str(max int, what string) string {
	n := int(c.u16(what + " length"))
	if c.err != nil {
		return ""
	}
	if n > max {
		c.fail("%s length %d exceeds %d", what, n, max)
		return ""
	}
	return string(c.take(n, what))
}

func (c *cursor) addr(n int, what string) netip.Addr {
	b := c.take(n, what)
	switch len(b) {
	case 4:
		return netip.AddrFrom4([4]byte(b))
	case 16:
		return netip.AddrFrom16([16]byte(b))
	}
	return netip.Addr{}
}

// entry bounds a sub-entry that starts with a length field. It returns a
// cursor over the entry body (after the length field) and advances c past
// the whole entry. inclusive tells whether the length counts its own 4
// bytes.
func (c *cursor) entry(inclusive bool, what string) *cursor {
	n := int(c.u32(what + " length"))
	if c.err == nil && inclusive {
		if n < 4 {
			c.fail("%s length %d is shorter than its length field", what, n)
		}
		n -= 4
	}
	if c.err == nil && n > c.left() {
		c.fail("%s length %d exceeds the %d bytes left in the block", what, n, c.left())
	}
	if c.err != nil {
		return &cursor{err: c.err}
	}
	// Positions inside the entry stay relative to the block body so that
	// error messages point at the right byte.
	sub := &cursor{b: c.b[:c.pos+n], pos: c.pos}
	c.pos += n
	return sub
}

func decodeSHB(body []byte) (SectionHeader, error) {
	c := cursor{b: body}
	magic := c.u32("byte order magic")
	h := SectionHeader{Major: c.u16("major version"), Minor: c.u16("minor version"), SectionLength: c.u64("section length")}
	if c.err != nil {
		return h, c.err
	}
	switch {
	case magic == 0x4D3C2B1A:
		return h, &bodyError{0, "byte order magic 0x4d3c2b1a: big-endian captures are not supported"}
	case magic != ByteOrderMagic:
		return h, &bodyError{0, fmt.Sprintf("bad byte order magic %#x, want %#x", magic, ByteOrderMagic)}
	case h.Major > MajorVersion:
		return h, &bodyError{4, fmt.Sprintf("unsupported format version %d.%d (newest known major version is %d)", h.Major, h.Minor, MajorVersion)}
	}
	// Anything after the fixed fields is pcapng-style options: skipped.
	return h, nil
}

func decodeMI(body []byte) (MachineInfo, error) {
	c := cursor{b: body}
	var m MachineInfo
	m.NumCPUs = c.u32("num_cpus")
	m.MemorySizeBytes = c.u64("memory size")
	m.MaxPid = c.u64("max pid")
	m.Hostname = cstring(c.take(hostnameLen, "hostname"))
	m.BootTime = c.u64("boot time")
	m.Flags = c.u64("flags")
	m.Reserved3 = c.u64("reserved3")
	m.Reserved4 = c.u64("reserved4")
	return m, c.err
}

// cstring returns b up to its first NUL.
func cstring(b []byte) string {
	for i, x := range b {
		if x == 0 {
			return string(b[:i])
		}
	}
	return string(b)
}

func decodeIL(body []byte, v2 bool) ([]Interface, error) {
	c := &cursor{b: body}
	var out []Interface
	for c.left() >= 4 {
		e := c
		if v2 {
			e = c.entry(false, fmt.Sprintf("interface entry %d", len(out)))
		}
		var it Interface
		it.Type = InterfaceType(e.u16("interface type"))
		nameLen := int(e.u16("interface name length"))
		if e.err == nil && nameLen >= maxPathLen {
			e.fail("interface name length %d exceeds %d", nameLen, maxPathLen-1)
		}
		alen, linkSpeed := 0, false
		switch it.Type {
		case IfIPv4:
			alen, linkSpeed = 4, true
		case IfIPv6:
			alen, linkSpeed = 16, true
		case IfIPv4NoLinkSpeed:
			alen = 4
		case IfIPv6NoLinkSpeed:
			alen = 16
		default:
			e.fail("unknown interface type %d", it.Type)
		}
		it.Addr = e.addr(alen, "address")
		it.Netmask = e.addr(alen, "netmask")
		it.Broadcast = e.addr(alen, "broadcast")
		if linkSpeed {
			it.LinkSpeed = e.u64("link speed")
		}
		it.Name = string(e.take(nameLen, "interface name"))
		if e.err != nil {
			return nil, e.err
		}
		out = append(out, it)
	}
	return out, nil
}

func decodeUL(body []byte, v2 bool) ([]User, []Group, error) {
	c := &cursor{b: body}
	var users []User
	var groups []Group
	for c.left() >= 4 {
		e := c
		if v2 {
			e = c.entry(true, fmt.Sprintf("user list entry %d", len(users)+len(groups)))
		}
		switch typ := e.u8("entry type"); {
		case e.err != nil:
		case typ == 0:
			var u User
			u.UID = e.u32("uid")
			u.GID = e.u32("gid")
			u.Name = e.str(maxCredentialsLen, "user name")
			u.Home = e.str(maxCredentialsLen, "user home")
			u.Shell = e.str(maxCredentialsLen, "user shell")
			users = append(users, u)
		case typ == 1:
			var g Group
			g.GID = e.u32("gid")
			g.Name = e.str(maxCredentialsLen, "group name")
			groups = append(groups, g)
		case v2:
			// An entry kind from a newer writer: its length lets us skip it.
		default:
			e.fail("unknown user list entry type %d", typ)
		}
		if e.err != nil {
			return nil, nil, e.err
		}
	}
	return users, groups, nil
}

// plVersion maps a process list block type to its layout version.
func plVersion(t BlockType) int {
	switch t {
	case BlockPLv1, BlockPLv1Legacy:
		return 1
	case BlockPLv2, BlockPLv2Legacy:
		return 2
	case BlockPLv3, BlockPLv3Legacy:
		return 3
	case BlockPLv4:
		return 4
	case BlockPLv5:
		return 5
	case BlockPLv6:
		return 6
	case BlockPLv7:
		return 7
	case BlockPLv8:
		return 8
	case BlockPLv9:
		return 9
	}
	return 0
}

func decodePL(body []byte, version int) ([]Process, error) {
	c := &cursor{b: body}
	var out []Process
	for c.left() >= 4 {
		e := c
		if version >= 9 {
			e = c.entry(true, fmt.Sprintf("process entry %d", len(out)))
		}
		p := decodeProcess(e, version)
		if e.err != nil {
			return nil, e.err
		}
		out = append(out, p)
	}
	return out, nil
}

func decodeProcess(e *cursor, v int) Process {
	p := Process{Sid: -1, Vpgid: -1, Vtid: -1, Vpid: -1, Pgid: -1, LoginUID: 0xFFFFFFFF}
	p.Tid = e.i64("tid")
	p.Pid = e.i64("pid")
	p.Ptid = e.i64("ptid")
	if v >= 6 {
		p.Sid = e.i64("sid")
	}
	if v >= 8 {
		p.Vpgid = e.i64("vpgid")
	}
	p.Comm = e.str(maxPathLen, "comm")
	p.Exe = e.str(maxPathLen, "exe")
	if v >= 7 {
		p.ExePath = e.str(maxPathLen, "exepath")
	}
	p.Args = e.str(maxArgsLen, "args")
	p.Cwd = e.str(maxPathLen, "cwd")
	p.FdLimit = e.i64("fdlimit")
	p.Flags = e.u32("flags")
	p.UID = e.u32("uid")
	p.GID = e.u32("gid")
	if v >= 2 {
		p.VmSizeKB = e.u32("vmsize")
		p.VmRSSKB = e.u32("vmrss")
		p.VmSwapKB = e.u32("vmswap")
		p.PfMajor = e.u64("pfmajor")
		p.PfMinor = e.u64("pfminor")
	}
	if v >= 3 {
		p.Env = e.str(maxEnvLen, "env")
	}
	if v >= 4 {
		p.Vtid = e.i64("vtid")
		p.Vpid = e.i64("vpid")
		p.Cgroups = e.str(maxCgroupsLen, "cgroups")
	}
	if v >= 5 {
		p.Root = e.str(maxPathLen, "root")
	}
	if v < 9 || e.err != nil {
		return p
	}
	// The V9 tail: each field is read only while the entry has room. Libs
	// before 0.10 wrote loginuid, exe_writable and the three capability
	// sets (29 bytes) right after root; 0.10 inserted pidns_init_start_ts
	// and tty before them. At most 29 bytes left means an old writer.
	if e.left() > 29 {
		if e.left() >= 8 {
			p.PidnsInitStartTs = e.u64("pidns_init_start_ts")
		}
		if e.left() >= 4 {
			p.Tty = e.u32("tty")
		}
	}
	if e.left() >= 4 {
		p.LoginUID = e.u32("loginuid")
	}
	if e.left() >= 1 {
		p.ExeWritable = e.u8("exe_writable") != 0
	}
	if e.left() >= 8 {
		p.CapInheritable = e.u64("cap_inheritable")
	}
	if e.left() >= 8 {
		p.CapPermitted = e.u64("cap_permitted")
	}
	if e.left() >= 8 {
		p.CapEffective = e.u64("cap_effective")
	}
	if e.left() >= 1 {
		p.ExeUpperLayer = e.u8("exe_upper_layer") != 0
	}
	if e.left() >= 8 {
		p.ExeIno = e.u64("exe_ino")
	}
	if e.left() >= 8 {
		p.ExeInoCtime = e.u64("exe_ino_ctime")
	}
	if e.left() >= 8 {
		p.ExeInoMtime = e.u64("exe_ino_mtime")
	}
	if e.left() >= 1 {
		p.ExeFromMemfd = e.u8("exe_from_memfd") != 0
	}
	if e.left() >= 1 {
		p.ExeLowerLayer = e.u8("exe_lower_layer") != 0
	}
	if e.left() >= 8 {
		p.Pgid = e.i64("pgid")
	}
	// Fields appended by newer writers are skipped with the entry.
	return p
}

func decodeFDL(body []byte, v2 bool) (FDList, error) {
	c := &cursor{b: body}
	l := FDList{Tid: c.i64("tid")}
	if c.err != nil {
		return l, c.err
	}
	for c.left() >= 4 {
		e := c
		if v2 {
			e = c.entry(true, fmt.Sprintf("fd entry %d", len(l.FDs)))
		}
		fd := decodeFD(e, v2)
		if e.err != nil {
			return FDList{}, e.err
		}
		l.FDs = append(l.FDs, fd)
	}
	return l, nil
}

func decodeFD(e *cursor, v2 bool) FD {
	var fd FD
	fd.Num = e.i64("fd")
	fd.Ino = e.u64("ino")
	fd.Type = FDType(e.u8("fd type"))
	switch t := fd.Type; {
	case e.err != nil:
	case t == FDIPv4Sock:
		fd.SrcIP = e.addr(4, "source ip")
		fd.DstIP = e.addr(4, "destination ip")
		fd.SrcPort = e.u16("source port")
		fd.DstPort = e.u16("destination port")
		fd.L4Proto = e.u8("l4 protocol")
	case t == FDIPv6Sock:
		fd.SrcIP = e.addr(16, "source ip")
		fd.DstIP = e.addr(16, "destination ip")
		fd.SrcPort = e.u16("source port")
		fd.DstPort = e.u16("destination port")
		fd.L4Proto = e.u8("l4 protocol")
	case t == FDIPv4ServSock:
		fd.SrcIP = e.addr(4, "ip")
		fd.SrcPort = e.u16("port")
		fd.L4Proto = e.u8("l4 protocol")
	case t == FDIPv6ServSock:
		fd.SrcIP = e.addr(16, "ip")
		fd.SrcPort = e.u16("port")
		fd.L4Proto = e.u8("l4 protocol")
	case t == FDUnixSock:
		fd.Source = e.u64("unix source")
		fd.Dest = e.u64("unix destination")
		fd.Name = e.str(maxPathLen-1, "fd name")
	case t == FDFileV2:
		fd.OpenFlags = e.u32("open flags")
		fd.Name = e.str(maxPathLen-1, "fd name")
		if v2 && e.left() >= 4 {
			fd.Dev = e.u32("dev")
		}
	case t.hasName():
		fd.Name = e.str(maxPathLen-1, "fd name")
	case t == FDUnknown:
	default:
		// A type from a newer writer: V2 entries are skipped by their
		// length; V1 entries cannot be delimited.
		if !v2 {
			e.fail("unknown fd type %d", t)
		}
	}
	return fd
}
