package scap

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"
)

// maxDumpBytes caps how much of a buffer FormatParam quotes.
const maxDumpBytes = 512

// FormatParam renders parameter i of e for people: numbers in decimal,
// results with their errno name ("-2(ENOENT)"), flags and enums with their
// names ("4097(O_RDONLY|O_CLOEXEC)"), strings and buffers quoted, socket
// addresses as ip:port. Buffers longer than 512 bytes are cut. A
// zero-length parameter is "<NA>".
func (e *Event) FormatParam(i int) string {
	p := e.Param(i)
	if len(p) == 0 {
		return "<NA>"
	}
	var pi ParamInfo
	if e.info != nil && i < len(e.info.Params) {
		pi = e.info.Params[i]
	}
	switch pi.Type {
	case TypeErrno:
		v := e.Int64(i)
		if name := ErrnoName(e.Errno(i)); v < 0 && name != "" {
			return strconv.FormatInt(v, 10) + "(" + name + ")"
		}
		return strconv.FormatInt(v, 10)
	case TypeFD, TypeFD32:
		v := e.Int64(i)
		switch {
		case v == AtFDCWD:
			return "-100(AT_FDCWD)"
		case v < 0 && ErrnoName(e.Errno(i)) != "":
			return strconv.FormatInt(v, 10) + "(" + ErrnoName(e.Errno(i)) + ")"
		}
		return strconv.FormatInt(v, 10)
	case TypeFlags8, TypeFlags16, TypeFlags32, TypeEnumFlags8, TypeEnumFlags16, TypeEnumFlags32, TypeMode:
		return formatFlags(e.Uint32(i), ParamNames(e.Code, i))
	case TypeCharBuf, TypeFSPath, TypeFSRelPath:
		return strconv.Quote(e.String(i))
	case TypeByteBuf, TypeCharBufArray, TypeCharBufPairArray:
		if len(p) > maxDumpBytes {
			return strconv.Quote(string(p[:maxDumpBytes])) + "...(" + strconv.Itoa(len(p)) + " bytes)"
		}
		return strconv.Quote(string(p))
	case TypeSockAddr:
		if a, ok := e.SockAddr(i); ok {
			return a.String()
		}
	case TypeSockTuple:
		if t, ok := e.SockTuple(i); ok {
			return t.String()
		}
	case TypeDyn:
		idx, val, _ := e.Dyn(i)
		return fmt.Sprintf("dyn[%d]:%x", idx, val)
	case TypeIPv4Addr:
		if len(p) == 4 {
			return fmt.Sprintf("%d.%d.%d.%d", p[0], p[1], p[2], p[3])
		}
	default:
		if size := pi.Type.Size(); size > 0 && size <= 8 && len(p) == size {
			if pi.Type.Signed() {
				return strconv.FormatInt(e.Int64(i), 10)
			}
			return strconv.FormatUint(e.Uint64(i), 10)
		}
	}
	return fmt.Sprintf("%x", p)
}

// Dump writes a readable listing of everything r decodes from here on:
// the current section's header and tables, then every event, including
// later sections. It is what the package's golden tests compare.
func Dump(w io.Writer, r *Reader) error {
	bw := bufio.NewWriter(w)
	dumpSection(bw, r)
	n := 0
	for {
		ev, err := r.Next()
		if err == io.EOF {
			break
		}
		if errors.Is(err, ErrNewSection) {
			dumpSection(bw, r)
			continue
		}
		if err != nil {
			bw.Flush()
			return err
		}
		dumpEvent(bw, n, ev)
		n++
	}
	fmt.Fprintf(bw, "end: %d events, %d skipped\n", r.Events(), r.Skipped())
	return bw.Flush()
}

func dumpSection(w io.Writer, r *Reader) {
	h := r.Header()
	fmt.Fprintf(w, "section %d: version %d.%d offset=%d\n", r.Section(), h.Major, h.Minor, h.Offset)
	if m := r.Machine(); m != nil {
		fmt.Fprintf(w, "machine: hostname=%q cpus=%d memory=%d max_pid=%d boot_time=%d flags=%#x\n",
			m.Hostname, m.NumCPUs, m.MemorySizeBytes, m.MaxPid, m.BootTime, m.Flags)
	}
	for _, it := range r.Interfaces() {
		fmt.Fprintf(w, "interface: %s type=%d addr=%s netmask=%s broadcast=%s linkspeed=%d\n",
			it.Name, it.Type, it.Addr, it.Netmask, it.Broadcast, it.LinkSpeed)
	}
	for _, u := range r.Users() {
		fmt.Fprintf(w, "user: uid=%d gid=%d name=%q home=%q shell=%q\n", u.UID, u.GID, u.Name, u.Home, u.Shell)
	}
	for _, g := range r.Groups() {
		fmt.Fprintf(w, "group: gid=%d name=%q\n", g.GID, g.Name)
	}
	for i := range r.Processes() {
		dumpProcess(w, &r.Processes()[i])
	}
	for _, l := range r.FDs() {
		fmt.Fprintf(w, "fds: tid=%d count=%d\n", l.Tid, len(l.FDs))
		for i := range l.FDs {
			fmt.Fprintf(w, "  %s\n", formatFD(&l.FDs[i]))
		}
	}
}

func quoteList(items []string) string {
	q := make([]string, len(items))
	for i, s := range items {
		q[i] = strconv.Quote(s)
	}
	return "[" + strings.Join(q, " ") + "]"
}

func dumpProcess(w io.Writer, p *Process) {
	fmt.Fprintf(w, "process: tid=%d pid=%d ptid=%d sid=%d vpgid=%d pgid=%d comm=%q exe=%q exepath=%q\n",
		p.Tid, p.Pid, p.Ptid, p.Sid, p.Vpgid, p.Pgid, p.Comm, p.Exe, p.ExePath)
	fmt.Fprintf(w, "  args=%s cwd=%q root=%q fdlimit=%d flags=%s uid=%d gid=%d loginuid=%d tty=%d\n",
		quoteList(p.ArgList()), p.Cwd, p.Root, p.FdLimit, formatFlags(p.Flags, CloneFlagNames), p.UID, p.GID, p.LoginUID, p.Tty)
	fmt.Fprintf(w, "  vm=%d/%d/%d pf=%d/%d vtid=%d vpid=%d pidns_init_start_ts=%d\n",
		p.VmSizeKB, p.VmRSSKB, p.VmSwapKB, p.PfMajor, p.PfMinor, p.Vtid, p.Vpid, p.PidnsInitStartTs)
	fmt.Fprintf(w, "  env=%s cgroups=%s\n", quoteList(p.EnvList()), quoteList(p.CgroupList()))
	fmt.Fprintf(w, "  caps=%#x/%#x/%#x exe_writable=%t upper=%t lower=%t memfd=%t exe_ino=%d/%d/%d\n",
		p.CapInheritable, p.CapPermitted, p.CapEffective, p.ExeWritable, p.ExeUpperLayer, p.ExeLowerLayer,
		p.ExeFromMemfd, p.ExeIno, p.ExeInoCtime, p.ExeInoMtime)
}

func formatFD(fd *FD) string {
	s := fmt.Sprintf("fd=%d type=%s ino=%d", fd.Num, fd.Type, fd.Ino)
	switch fd.Type {
	case FDIPv4Sock, FDIPv6Sock:
		s += fmt.Sprintf(" %s->%s proto=%d", netip.AddrPortFrom(fd.SrcIP, fd.SrcPort), netip.AddrPortFrom(fd.DstIP, fd.DstPort), fd.L4Proto)
	case FDIPv4ServSock, FDIPv6ServSock:
		s += fmt.Sprintf(" listen=%s proto=%d", netip.AddrPortFrom(fd.SrcIP, fd.SrcPort), fd.L4Proto)
	case FDUnixSock:
		s += fmt.Sprintf(" unix=%#x->%#x name=%q", fd.Source, fd.Dest, fd.Name)
	case FDFileV2:
		s += fmt.Sprintf(" name=%q flags=%s dev=%d", fd.Name, formatFlags(fd.OpenFlags, OpenFlagNames), fd.Dev)
	default:
		if fd.Type.hasName() {
			s += fmt.Sprintf(" name=%q", fd.Name)
		}
	}
	return s
}

func dumpEvent(w *bufio.Writer, n int, e *Event) {
	fmt.Fprintf(w, "event %d: offset=%d ts=%d tid=%d cpu=%d %s %s", n, e.Offset, e.Timestamp, e.Tid, e.CPU, e.Code, e.Name())
	if e.Flags != 0 {
		fmt.Fprintf(w, " dumpflags=%d", e.Flags)
	}
	for i := 0; i < e.NParams(); i++ {
		name := "arg" + strconv.Itoa(i)
		if e.info != nil && i < len(e.info.Params) {
			name = e.info.Params[i].Name
		}
		w.WriteString(" " + name + "=" + e.FormatParam(i))
	}
	w.WriteByte('\n')
}

// formatFlags renders v as "4097(O_RDONLY|O_CLOEXEC)", or as plain hex
// when no name applies.
func formatFlags(v uint32, t *FlagTable) string {
	if names := t.Format(v); names != "" {
		return strconv.FormatUint(uint64(v), 10) + "(" + names + ")"
	}
	return "0x" + strconv.FormatUint(uint64(v), 16)
}
