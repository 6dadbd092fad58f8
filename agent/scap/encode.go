package scap

import (
	"fmt"
	"net/netip"
)

// beginBlock appends a block header with a placeholder length and returns
// the buffer and the block's start.
func beginBlock(b []byte, bt BlockType) ([]byte, int) {
	start := len(b)
	b = le.AppendUint32(b, uint32(bt))
	b = le.AppendUint32(b, 0)
	return b, start
}

// endBlock pads the block that starts at start, appends the trailer and
// patches the length into the header.
func endBlock(b []byte, start int) []byte {
	for (len(b)-start+trailerLen)%4 != 0 {
		b = append(b, 0)
	}
	total := uint32(len(b) - start + trailerLen)
	b = le.AppendUint32(b, total)
	le.PutUint32(b[start+4:], total)
	return b
}

func appendSHB(b []byte) []byte {
	b, start := beginBlock(b, BlockSHB)
	b = le.AppendUint32(b, ByteOrderMagic)
	b = le.AppendUint16(b, MajorVersion)
	b = le.AppendUint16(b, MinorVersion)
	b = le.AppendUint64(b, ^uint64(0))
	return endBlock(b, start)
}

func appendMI(b []byte, m *MachineInfo) ([]byte, error) {
	if len(m.Hostname) >= hostnameLen {
		return b, fmt.Errorf("hostname of %d bytes exceeds %d", len(m.Hostname), hostnameLen-1)
	}
	b, start := beginBlock(b, BlockMI)
	b = le.AppendUint32(b, m.NumCPUs)
	b = le.AppendUint64(b, m.MemorySizeBytes)
	b = le.AppendUint64(b, m.MaxPid)
	b = append(b, m.Hostname...)
	for i := len(m.Hostname); i < hostnameLen; i++ {
		b = append(b, 0)
	}
	b = le.AppendUint64(b, m.BootTime)
	b = le.AppendUint64(b, m.Flags)
	b = le.AppendUint64(b, m.Reserved3)
	b = le.AppendUint64(b, m.Reserved4)
	return endBlock(b, start), nil
}

func appendAddr(b []byte, a netip.Addr, n int) []byte {
	if n == 4 {
		ip := as4(a)
		return append(b, ip[:]...)
	}
	ip := a.As16()
	return append(b, ip[:]...)
}

func appendIL(b []byte, list []Interface) ([]byte, error) {
	b, start := beginBlock(b, BlockILv2)
	for i, it := range list {
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
			return b, fmt.Errorf("interface %d (%s): unknown type %d", i, it.Name, it.Type)
		}
		for _, a := range []netip.Addr{it.Addr, it.Netmask, it.Broadcast} {
			if a.IsValid() && (alen == 4) != (a.Is4() || a.Is4In6()) {
				return b, fmt.Errorf("interface %d (%s): address %s does not match type %d", i, it.Name, a, it.Type)
			}
		}
		if len(it.Name) >= maxPathLen {
			return b, fmt.Errorf("interface %d: name of %d bytes exceeds %d", i, len(it.Name), maxPathLen-1)
		}
		n := 2 + 2 + 3*alen + len(it.Name)
		if linkSpeed {
			n += 8
		}
		b = le.AppendUint32(b, uint32(n)) // excludes itself
		b = le.AppendUint16(b, uint16(it.Type))
		b = le.AppendUint16(b, uint16(len(it.Name)))
		b = appendAddr(b, it.Addr, alen)
		b = appendAddr(b, it.Netmask, alen)
		b = appendAddr(b, it.Broadcast, alen)
		if linkSpeed {
			b = le.AppendUint64(b, it.LinkSpeed)
		}
		b = append(b, it.Name...)
	}
	return endBlock(b, start), nil
}

func appendStr(b []byte, s string) []byte {
	b = le.AppendUint16(b, uint16(len(s)))
	return append(b, s...)
}

func checkLen(what, s string, max int) error {
	if len(s) > max {
		return fmt.Errorf("%s of %d bytes exceeds %d", what, len(s), max)
	}
	return nil
}

func appendUL(b []byte, users []User, groups []Group) ([]byte, error) {
	b, start := beginBlock(b, BlockULv2)
	for i, u := range users {
		for _, f := range []struct{ what, s string }{{"name", u.Name}, {"home", u.Home}, {"shell", u.Shell}} {
			if err := checkLen(fmt.Sprintf("user %d %s", i, f.what), f.s, maxCredentialsLen); err != nil {
				return b, err
			}
		}
		n := 4 + 1 + 4 + 4 + 2 + len(u.Name) + 2 + len(u.Home) + 2 + len(u.Shell)
		b = le.AppendUint32(b, uint32(n)) // includes itself
		b = append(b, 0)
		b = le.AppendUint32(b, u.UID)
		b = le.AppendUint32(b, u.GID)
		b = appendStr(b, u.Name)
		b = appendStr(b, u.Home)
		b = appendStr(b, u.Shell)
	}
	for i, g := range groups {
		if err := checkLen(fmt.Sprintf("group %d name", i), g.Name, maxCredentialsLen); err != nil {
			return b, err
		}
		b = le.AppendUint32(b, uint32(4+1+4+2+len(g.Name)))
		b = append(b, 1)
		b = le.AppendUint32(b, g.GID)
		b = appendStr(b, g.Name)
	}
	return endBlock(b, start), nil
}

func boolByte(v bool) byte {
	if v {
		return 1
	}
	return 0
}

func appendPL(b []byte, procs []Process) ([]byte, error) {
	b, start := beginBlock(b, BlockPLv9)
	for i := range procs {
		p := &procs[i]
		for _, f := range []struct {
			what, s string
			max     int
		}{
			{"comm", p.Comm, maxPathLen}, {"exe", p.Exe, maxPathLen}, {"exepath", p.ExePath, maxPathLen},
			{"args", p.Args, maxArgsLen}, {"cwd", p.Cwd, maxPathLen}, {"env", p.Env, maxEnvLen},
			{"cgroups", p.Cgroups, maxCgroupsLen}, {"root", p.Root, maxPathLen},
		} {
			if err := checkLen(fmt.Sprintf("process %d (tid %d) %s", i, p.Tid, f.what), f.s, f.max); err != nil {
				return b, err
			}
		}
		entry := len(b)
		b = le.AppendUint32(b, 0)
		b = le.AppendUint64(b, uint64(p.Tid))
		b = le.AppendUint64(b, uint64(p.Pid))
		b = le.AppendUint64(b, uint64(p.Ptid))
		b = le.AppendUint64(b, uint64(p.Sid))
		b = le.AppendUint64(b, uint64(p.Vpgid))
		b = appendStr(b, p.Comm)
		b = appendStr(b, p.Exe)
		b = appendStr(b, p.ExePath)
		b = appendStr(b, p.Args)
		b = appendStr(b, p.Cwd)
		b = le.AppendUint64(b, uint64(p.FdLimit))
		b = le.AppendUint32(b, p.Flags)
		b = le.AppendUint32(b, p.UID)
		b = le.AppendUint32(b, p.GID)
		b = le.AppendUint32(b, p.VmSizeKB)
		b = le.AppendUint32(b, p.VmRSSKB)
		b = le.AppendUint32(b, p.VmSwapKB)
		b = le.AppendUint64(b, p.PfMajor)
		b = le.AppendUint64(b, p.PfMinor)
		b = appendStr(b, p.Env)
		b = le.AppendUint64(b, uint64(p.Vtid))
		b = le.AppendUint64(b, uint64(p.Vpid))
		b = appendStr(b, p.Cgroups)
		b = appendStr(b, p.Root)
		b = le.AppendUint64(b, p.PidnsInitStartTs)
		b = le.AppendUint32(b, p.Tty)
		b = le.AppendUint32(b, p.LoginUID)
		b = append(b, boolByte(p.ExeWritable))
		b = le.AppendUint64(b, p.CapInheritable)
		b = le.AppendUint64(b, p.CapPermitted)
		b = le.AppendUint64(b, p.CapEffective)
		b = append(b, boolByte(p.ExeUpperLayer))
		b = le.AppendUint64(b, p.ExeIno)
		b = le.AppendUint64(b, p.ExeInoCtime)
		b = le.AppendUint64(b, p.ExeInoMtime)
		b = append(b, boolByte(p.ExeFromMemfd))
		b = append(b, boolByte(p.ExeLowerLayer))
		b = le.AppendUint64(b, uint64(p.Pgid))
		le.PutUint32(b[entry:], uint32(len(b)-entry))
	}
	return endBlock(b, start), nil
}

func appendFDL(b []byte, l *FDList) ([]byte, error) {
	b, start := beginBlock(b, BlockFDLv2)
	b = le.AppendUint64(b, uint64(l.Tid))
	for i := range l.FDs {
		fd := &l.FDs[i]
		if err := checkLen(fmt.Sprintf("fd %d name", fd.Num), fd.Name, maxPathLen-1); err != nil {
			return b, err
		}
		entry := len(b)
		b = le.AppendUint32(b, 0)
		b = le.AppendUint64(b, uint64(fd.Num))
		b = le.AppendUint64(b, fd.Ino)
		b = append(b, byte(fd.Type))
		switch t := fd.Type; {
		case t == FDIPv4Sock || t == FDIPv6Sock:
			n := 4
			if t == FDIPv6Sock {
				n = 16
			}
			b = appendAddr(b, fd.SrcIP, n)
			b = appendAddr(b, fd.DstIP, n)
			b = le.AppendUint16(b, fd.SrcPort)
			b = le.AppendUint16(b, fd.DstPort)
			b = append(b, fd.L4Proto)
		case t == FDIPv4ServSock || t == FDIPv6ServSock:
			n := 4
			if t == FDIPv6ServSock {
				n = 16
			}
			b = appendAddr(b, fd.SrcIP, n)
			b = le.AppendUint16(b, fd.SrcPort)
			b = append(b, fd.L4Proto)
		case t == FDUnixSock:
			b = le.AppendUint64(b, fd.Source)
			b = le.AppendUint64(b, fd.Dest)
			b = appendStr(b, fd.Name)
		case t == FDFileV2:
			b = le.AppendUint32(b, fd.OpenFlags)
			b = appendStr(b, fd.Name)
			b = le.AppendUint32(b, fd.Dev)
		case t.hasName():
			b = appendStr(b, fd.Name)
		}
		le.PutUint32(b[entry:], uint32(len(b)-entry))
	}
	return endBlock(b, start), nil
}
