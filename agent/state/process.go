package state

import (
	"net/netip"
	"strings"

	"github.com/falconer-sec/falconer/agent/scap"
	"github.com/falconer-sec/falconer/compiler/eval"
)

// Process applies one event to the state and returns the event as the
// rules see it. The returned Event (and everything it points to) is valid
// until the next call. ok is false for events that only update state
// (meta events, events flagged state-only, unknown codes): they must not
// reach the rules.
func (t *Table) Process(e *scap.Event) (ev *eval.Event, ok bool) {
	t.stats.Events++
	if int(e.Code) >= len(layouts) {
		return nil, false
	}
	l := &layouts[e.Code]
	t.num++
	ev = &t.ev
	ev.Num = t.num
	ev.Time = int64(e.Timestamp)
	ev.Code = uint16(e.Code)
	ev.Type = l.name
	ev.Category = l.category
	ev.CPU = int16(e.CPU)
	ev.Args = nil
	ev.Buffer = nil
	ev.FD = nil
	ev.Hostname = t.opts.Hostname
	ev.Source = ""
	t.args.reset(e, l)
	ev.Lazy = &t.args
	ev.HasRes = l.exit && l.res >= 0
	ev.Res = 0
	if ev.HasRes {
		ev.Res = e.Int64(int(l.res))
	}

	var th *thread
	if e.Tid >= 0 && l.handler != hUserAdded && l.handler != hGroupAdded {
		th = t.threads[e.Tid]
		if th == nil {
			th = t.unknownThread(e.Tid)
		}
	}
	if th != nil {
		ev.Thread = &th.Thread
	} else {
		ev.Thread = nil
	}

	if th != nil || l.handler == hUserAdded || l.handler == hGroupAdded {
		t.apply(e, l, th, ev)
	}
	if th != nil && ev.FD == nil && l.fd >= 0 && l.handler == hNone {
		ev.FD = th.fds.m[e.Int64(int(l.fd))]
	}
	return ev, !l.stateOnly && !e.StateOnly()
}

// unknownThread creates an entry for a thread first seen in an event.
func (t *Table) unknownThread(tid int64) *thread {
	t.stats.ThreadsUnknown++
	th := t.newThread(tid)
	if th == nil {
		// The table is full: a transient entry keeps the event usable.
		th = &thread{fds: newFDTable()}
		th.Tid, th.Pid, th.LoginUID = tid, tid, -1
		th.main = th
	}
	return th
}

func (t *Table) apply(e *scap.Event, l *layout, th *thread, ev *eval.Event) {
	res := ev.Res
	switch l.handler {
	case hOpen:
		// A failed open leaves nothing in the table: its fd lives only
		// as long as the event, in a scratch entry.
		fd := &t.failedFD
		if res >= 0 {
			fd = t.newFD(eval.FDFile)
		} else {
			*fd = eval.FD{Type: eval.FDFile}
		}
		raw := t.intern(e.StringBytes(int(l.path)))
		fd.NameRaw = raw
		fd.Name = t.resolvePath(th, raw, e.Int64(int(l.dirfd)), l.dirfd >= 0)
		if l.flags >= 0 {
			fd.OpenFlags = e.Uint32(int(l.flags))
			if scap.OpenFlags(fd.OpenFlags)&scap.OpenDirectory != 0 {
				fd.Type = eval.FDDirectory
			}
		}
		if l.dev >= 0 {
			fd.Dev = e.Uint32(int(l.dev))
		}
		if l.ino >= 0 {
			fd.Ino = e.Uint64(int(l.ino))
		}
		if res >= 0 {
			fd.Num = res
			t.putFD(th, fd)
		} else {
			fd.Num = -1
		}
		ev.FD = fd
	case hClose:
		num := e.Int64(int(l.fd))
		ev.FD = th.fds.m[num]
		if res >= 0 && ev.FD != nil {
			delete(th.fds.m, num)
		}
	case hDup:
		old := th.fds.m[e.Int64(int(l.oldfd))]
		ev.FD = old
		if res >= 0 && old != nil {
			nfd := t.newFD(old.Type)
			*nfd = *old
			nfd.Num = res
			t.putFD(th, nfd)
		}
	case hFcntl:
		// F_DUPFD and F_DUPFD_CLOEXEC return a duplicate.
		old := th.fds.m[e.Int64(int(l.fd))]
		ev.FD = old
		if l.cmd >= 0 && old != nil && res >= 0 {
			if cmd := e.Uint64(int(l.cmd)); cmd == 1 || cmd == 2 { // PPM_FCNTL_F_DUPFD, F_DUPFD_CLOEXEC
				nfd := t.newFD(old.Type)
				*nfd = *old
				nfd.Num = res
				t.putFD(th, nfd)
			}
		}
	case hSocket:
		if res < 0 {
			return
		}
		fd := t.newFD(eval.FDUnknown)
		fd.Num = res
		switch scap.SocketFamily(e.Uint32(int(l.domain))) {
		case scap.AFInet:
			fd.Type = eval.FDIPv4
		case scap.AFInet6:
			fd.Type = eval.FDIPv6
		case scap.AFUnix:
			fd.Type = eval.FDUnix
		default:
			fd.Type = eval.FDUnknown
		}
		if fd.Type == eval.FDIPv4 || fd.Type == eval.FDIPv6 {
			fd.SockFamily = "ip"
			switch e.Uint32(int(l.typ)) & 0xf {
			case 1:
				fd.L4Proto = "tcp"
			case 2:
				fd.L4Proto = "udp"
			case 3:
				fd.L4Proto = "raw"
			}
		}
		t.putFD(th, fd)
		ev.FD = fd
	case hConnect:
		num := e.Int64(int(l.fd))
		fd := t.socketFD(th, num)
		if tup, ok := e.SockTuple(int(l.tuple)); ok {
			setTuple(fd, tup, false)
		}
		fd.Connected = res >= 0 || res == -115 // EINPROGRESS
		ev.FD = fd
	case hAccept:
		if res < 0 {
			return
		}
		fd := t.newFD(eval.FDIPv4)
		fd.Num = res
		if tup, ok := e.SockTuple(int(l.tuple)); ok {
			setTuple(fd, tup, true)
		}
		fd.Connected = true
		t.putFD(th, fd)
		ev.FD = fd
	case hBind:
		fd := th.fds.m[e.Int64(int(l.fd))]
		if fd != nil && l.addr >= 0 {
			if a, ok := e.SockAddr(int(l.addr)); ok && a.Addr.IsValid() {
				fd.ServerIP, fd.ServerPort, fd.IsServer = a.Addr.Addr().Unmap(), a.Addr.Port(), true
			}
		}
		ev.FD = fd
	case hSend:
		fd := th.fds.m[e.Int64(int(l.fd))]
		if fd != nil && l.tuple >= 0 {
			if tup, ok := e.SockTuple(int(l.tuple)); ok && (tup.Family == uint8(scap.AFInet) || tup.Family == uint8(scap.AFInet6)) {
				name := tup.String()
				if name != fd.Name {
					setTuple(fd, tup, fd.IsServer)
					fd.NameChanged = true
				} else {
					fd.NameChanged = false
				}
			}
		}
		ev.FD = fd
	case hExecve:
		if res == 0 {
			t.execve(e, l, th)
		}
	case hClone:
		t.clone(e, l, th, res)
	case hProcExit:
		t.exit(th)
	case hChdir:
		if res == 0 {
			th.Cwd = t.resolvePath(th, e.String(int(l.path)), 0, false)
			t.shareCwd(th)
		}
	case hFchdir:
		if res == 0 {
			if d := th.fds.m[e.Int64(int(l.fd))]; d != nil && d.Name != "" {
				th.Cwd = d.Name
				t.shareCwd(th)
			}
		}
	case hSetuid:
		if res == 0 && l.uid >= 0 {
			th.UID = e.Uint32(int(l.uid))
			t.resolveIDs(th)
		}
	case hSetgid:
		if res == 0 && l.gid >= 0 {
			th.GID = e.Uint32(int(l.gid))
			t.resolveIDs(th)
		}
	case hSetresuid:
		if res == 0 && l.euid >= 0 {
			if v := e.Uint32(int(l.euid)); v != 0xFFFFFFFF {
				th.UID = v
				t.resolveIDs(th)
			}
		}
	case hSetresgid:
		if res == 0 && l.egid >= 0 {
			if v := e.Uint32(int(l.egid)); v != 0xFFFFFFFF {
				th.GID = v
				t.resolveIDs(th)
			}
		}
	case hCapset:
		if res == 0 {
			th.CapInheritable = e.Uint64(int(l.capInh))
			th.CapPermitted = e.Uint64(int(l.capPerm))
			th.CapEffective = e.Uint64(int(l.capEff))
		}
	case hPipe:
		if res == 0 && l.fd1 >= 0 && l.fd2 >= 0 {
			for _, i := range []int8{l.fd1, l.fd2} {
				fd := t.newFD(eval.FDPipe)
				fd.Num = e.Int64(int(i))
				fd.Name = "pipe:[" + itoa(int64(e.Uint64(int(l.ino)))) + "]"
				t.putFD(th, fd)
			}
		}
	case hNewFD:
		if res >= 0 {
			fd := t.newFD(l.fdType)
			fd.Num = res
			if l.fdType == eval.FDMemfd && l.nameP >= 0 {
				fd.Name = "memfd:" + e.String(int(l.nameP))
			}
			t.putFD(th, fd)
			ev.FD = fd
		}
	case hUserAdded:
		t.AddUser(eval.User{UID: e.Uint32(int(l.uid)), Name: e.String(int(l.nameP)), Home: e.String(int(l.home)), Shell: e.String(int(l.shell))})
	case hGroupAdded:
		t.AddGroup(eval.Group{GID: e.Uint32(int(l.gid)), Name: e.String(int(l.nameP))})
	}
}

// newFD returns a zeroed fd of type typ, reusing a freed one if any.
func (t *Table) newFD(typ eval.FDType) *eval.FD {
	return &eval.FD{Type: typ}
}

// socketFD returns the socket fd num of th, creating an entry for a
// socket the table has not seen.
func (t *Table) socketFD(th *thread, num int64) *eval.FD {
	if fd := th.fds.m[num]; fd != nil {
		return fd
	}
	fd := t.newFD(eval.FDIPv4)
	fd.Num = num
	fd.SockFamily = "ip"
	t.putFD(th, fd)
	return fd
}

// setTuple records a connection's endpoints. A tuple is written
// source->destination; for an accepted connection the source is the
// client, for an outgoing one the source is us (the client) too.
func setTuple(fd *eval.FD, tup scap.SockTuple, server bool) {
	switch tup.Family {
	case uint8(scap.AFInet), uint8(scap.AFInet6):
		fd.Type = eval.FDIPv4
		if tup.Family == uint8(scap.AFInet6) && !(tup.Src.Addr().Is4In6() && tup.Dst.Addr().Is4In6()) {
			fd.Type = eval.FDIPv6
		}
		fd.ClientIP, fd.ClientPort = tup.Src.Addr().Unmap(), tup.Src.Port()
		fd.ServerIP, fd.ServerPort = tup.Dst.Addr().Unmap(), tup.Dst.Port()
		fd.IsServer = server
		fd.SockFamily = "ip"
		if fd.L4Proto == "" {
			fd.L4Proto = "tcp"
		}
		fd.Name = endpoint(fd.ClientIP, fd.ClientPort) + "->" + endpoint(fd.ServerIP, fd.ServerPort)
	case uint8(scap.AFUnix):
		fd.Type = eval.FDUnix
		fd.Name = tup.Path
	}
}

func endpoint(a netip.Addr, port uint16) string {
	return netip.AddrPortFrom(a, port).String()
}

// execve applies a successful execve to th.
func (t *Table) execve(e *scap.Event, l *layout, th *thread) {
	// The event names the process and its parent: link a thread the
	// table learnt of only now (its fork was not seen).
	if l.pid >= 0 {
		if pid := e.Int64(int(l.pid)); pid > 0 {
			th.Pid = pid
		}
	}
	if l.ptid >= 0 && th.Parent == nil {
		if ptid := e.Int64(int(l.ptid)); ptid > 0 {
			th.PPid = ptid
			if p := t.threads[ptid]; p != nil && p != th {
				th.Parent = &p.main.Thread
			}
		}
	}
	if l.comm >= 0 {
		th.Comm = e.String(int(l.comm))
	}
	if l.exe >= 0 {
		th.Exe = e.String(int(l.exe))
	}
	if l.args >= 0 {
		th.Args = splitNUL(e.Bytes(int(l.args)))
	}
	if l.trusted >= 0 && hasText(e, l.trusted) {
		th.ExePath = e.String(int(l.trusted))
	} else if l.path >= 0 && hasText(e, l.path) {
		th.ExePath = t.resolvePath(th, e.String(int(l.path)), 0, false)
	} else {
		th.ExePath = th.Exe
	}
	if l.cwd >= 0 && hasText(e, l.cwd) {
		th.Cwd = e.String(int(l.cwd))
	}
	if l.env >= 0 {
		th.Env = splitNUL(e.Bytes(int(l.env)))
	}
	if l.tty >= 0 {
		th.TTY = e.Uint32(int(l.tty))
	}
	if l.loginuid >= 0 {
		th.LoginUID = loginUID(e.Uint32(int(l.loginuid)))
	}
	if l.vpgid >= 0 {
		th.VPGID = e.Int64(int(l.vpgid))
	}
	if l.pgid >= 0 {
		th.PGID = e.Int64(int(l.pgid))
	}
	if l.uid >= 0 {
		th.UID = e.Uint32(int(l.uid))
	}
	if l.gid >= 0 {
		th.GID = e.Uint32(int(l.gid))
	}
	if l.flags >= 0 {
		f := scap.ExeFlags(e.Uint32(int(l.flags)))
		th.ExeWritable = f&scap.ExeWritable != 0
		th.ExeUpperLayer = f&scap.ExeUpperLayer != 0
		th.ExeLowerLayer = f&scap.ExeLowerLayer != 0
		th.ExeFromMemfd = f&scap.ExeFromMemfd != 0
	}
	if l.capEff >= 0 {
		th.CapInheritable = e.Uint64(int(l.capInh))
		th.CapPermitted = e.Uint64(int(l.capPerm))
		th.CapEffective = e.Uint64(int(l.capEff))
	}
	if l.exeIno >= 0 {
		th.ExeIno = e.Uint64(int(l.exeIno))
		th.ExeInoCtime = int64(e.Uint64(int(l.exeCtime)))
		th.ExeInoMtime = int64(e.Uint64(int(l.exeMtime)))
	}
	if l.cgroups >= 0 && hasText(e, l.cgroups) {
		th.setCgroups(splitNUL(e.Bytes(int(l.cgroups))), t)
	}
	t.resolveIDs(th)
	th.ResetCache()
	// Falco closes fds marked close-on-exec at exec time.
	for n, fd := range th.fds.m {
		if scap.OpenFlags(fd.OpenFlags)&scap.OpenCloexec != 0 {
			delete(th.fds.m, n)
		}
	}
}

// clone applies a clone/fork/vfork exit. Both the parent (res = child
// tid) and the child (res = 0) report one, in either order. The parent's
// event creates the child as a copy of itself; the child's event carries
// the child's own parameters (its pid, ptid, comm, cwd, ids, cgroups).
func (t *Table) clone(e *scap.Event, l *layout, th *thread, res int64) {
	flags := scap.CloneFlags(0)
	if l.flags >= 0 {
		flags = scap.CloneFlags(e.Uint32(int(l.flags)))
	}
	isThread := flags&scap.CloneThread != 0
	switch {
	case res > 0: // in the parent
		if t.threads[res] != nil {
			return // the child reported first
		}
		child := t.newThread(res)
		if child == nil {
			return
		}
		t.inherit(child, th, isThread, flags&scap.CloneFiles != 0)
		child.StartTime = int64(e.Timestamp)
	case res == 0: // in the child
		child := th
		if child.StartTime == 0 && child.Comm == "" {
			// First news of this thread: inherit from its parent.
			var parent *thread
			if l.ptid >= 0 {
				parent = t.threads[e.Int64(int(l.ptid))]
			}
			if isThread && l.pid >= 0 {
				if leader := t.threads[e.Int64(int(l.pid))]; leader != nil && leader != child {
					parent = leader
				}
			}
			if parent != nil && parent != child {
				t.inherit(child, parent, isThread, flags&scap.CloneFiles != 0)
			}
			child.StartTime = int64(e.Timestamp)
		}
		if l.pid >= 0 {
			child.Pid = e.Int64(int(l.pid))
		}
		if !isThread && l.ptid >= 0 {
			child.PPid = e.Int64(int(l.ptid))
			if p := t.threads[child.PPid]; p != nil && p != child {
				child.Parent = &p.main.Thread
			}
		}
		if l.comm >= 0 && hasText(e, l.comm) {
			child.Comm = e.String(int(l.comm))
		}
		if l.exe >= 0 && hasText(e, l.exe) {
			child.Exe = e.String(int(l.exe))
		}
		if l.args >= 0 {
			child.Args = splitNUL(e.Bytes(int(l.args)))
		}
		if l.cwd >= 0 && hasText(e, l.cwd) {
			child.Cwd = e.String(int(l.cwd))
		}
		if l.uid >= 0 {
			child.UID = e.Uint32(int(l.uid))
		}
		if l.gid >= 0 {
			child.GID = e.Uint32(int(l.gid))
		}
		if l.vtid >= 0 {
			child.VTid = e.Int64(int(l.vtid))
		}
		if l.vpid >= 0 {
			child.VPid = e.Int64(int(l.vpid))
		}
		if l.cgroups >= 0 && hasText(e, l.cgroups) {
			child.setCgroups(splitNUL(e.Bytes(int(l.cgroups))), t)
		}
		t.resolveIDs(child)
		child.ResetCache()
	}
}

// inherit makes child a copy of parent, as clone does: a thread joins its
// parent's process (same pid, parent and fd table); a new process has the
// parent as its parent and a copy of its fds (shared with CLONE_FILES).
func (t *Table) inherit(child, parent *thread, isThread, shareFiles bool) {
	tid := child.Tid
	fds := child.fds
	child.Thread = parent.Thread
	child.Tid = tid
	child.ResetCache()
	leader := parent.main
	if leader == nil {
		leader = parent
	}
	if isThread {
		child.Pid, child.main = leader.Pid, leader
		child.fds = leader.fds
		return
	}
	child.Pid, child.PPid = tid, leader.Pid
	child.Parent = &leader.Thread
	child.main = child
	if shareFiles {
		child.fds = leader.fds
		return
	}
	child.fds = fds
	for n, fd := range leader.fds.m {
		child.fds.m[n] = fd
	}
}

// exit removes a thread that exited. Its children keep a pointer to it, so
// their ancestry stays printable; the entry itself leaves the table.
func (t *Table) exit(th *thread) {
	if t.threads[th.Tid] == th {
		delete(t.threads, th.Tid)
		t.stats.ThreadsPurged++
	}
}

// shareCwd propagates a new cwd to the other threads of the process.
func (t *Table) shareCwd(th *thread) {
	if th.main != nil && th.main != th {
		th.main.Cwd = th.Cwd
	}
}

func splitNUL(b []byte) []string {
	if len(b) == 0 {
		return nil
	}
	s := strings.TrimSuffix(string(b), "\x00")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\x00")
}

// intern returns the string for b, reusing an earlier copy: paths repeat
// a lot (libraries, configuration), and the table keeps them.
func (t *Table) intern(b []byte) string {
	if s, ok := t.strs[string(b)]; ok {
		return s
	}
	s := string(b)
	if len(t.strs) >= maxInterned {
		clear(t.strs)
	}
	t.strs[s] = s
	return s
}

const maxInterned = 1 << 16

// hasText reports whether string parameter i is present and non-empty (a
// lone NUL terminator counts as empty).
func hasText(e *scap.Event, i int8) bool {
	return i >= 0 && len(e.StringBytes(int(i))) > 0
}
