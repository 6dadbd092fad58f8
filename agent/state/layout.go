package state

import (
	"github.com/falconer-sec/falconer/agent/scap"
	"github.com/falconer-sec/falconer/compiler/eval"
)

// handler says what an event does to the state.
type handler uint8

const (
	hNone handler = iota
	hOpen
	hClose
	hDup
	hSocket
	hConnect
	hAccept
	hBind
	hSend
	hExecve
	hClone
	hProcExit
	hChdir
	hFchdir
	hSetuid
	hSetgid
	hSetresuid
	hSetresgid
	hCapset
	hPipe
	hUserAdded
	hGroupAdded
	hNewFD // memfd_create, eventfd, signalfd, timerfd, inotify, epoll, bpf...
	hFcntl
)

// layout is what the state engine needs to know about one event code,
// computed once: the handler and the index of each parameter it reads
// (-1 when absent).
type layout struct {
	name, category string
	handler        handler
	exit           bool
	stateOnly      bool // meta events: update state, never reach rules
	creates        bool // the result is a new fd (EF_CREATES_FD)

	res, fd, dirfd, path, flags, mode, dev, ino int8
	tuple, addr, oldfd, newfd, domain, typ      int8
	exe, args, tid, pid, ptid, cwd, comm        int8
	cgroups, env, tty, vpgid, loginuid, uid     int8
	gid, capInh, capPerm, capEff, exeIno        int8
	exeCtime, exeMtime, trusted, pgid, vtid     int8
	vpid, pidnsInit, fd1, fd2, nameP, home      int8
	shell, euid, egid, cmd                      int8
	fdType                                      eval.FDType

	params map[string]int    // every parameter by name, for lazy arguments
	names  []*scap.FlagTable // per parameter: its flag or enum names, or nil
}

var layouts = func() []layout {
	var out []layout
	for c := scap.EventCode(0); ; c++ {
		info := c.Info()
		if info == nil {
			break
		}
		out = append(out, newLayout(c, info))
	}
	return out
}()

func newLayout(c scap.EventCode, info *scap.EventInfo) layout {
	l := layout{exit: c.IsExit()}
	l.name, l.category = eval.EventMeta(uint16(c))
	l.params = make(map[string]int, len(info.Params))
	l.names = make([]*scap.FlagTable, len(info.Params))
	for i, p := range info.Params {
		l.names[i] = scap.ParamNames(c, i)
		if _, dup := l.params[p.Name]; !dup {
			l.params[p.Name] = i
		}
	}
	idx := func(names ...string) int8 {
		for _, n := range names {
			if i, ok := l.params[n]; ok {
				return int8(i)
			}
		}
		return -1
	}
	l.res = idx("res")
	l.fd, l.dirfd = idx("fd"), idx("dirfd")
	l.path = idx("name", "path", "filename", "pathname")
	l.flags, l.mode, l.dev, l.ino = idx("flags"), idx("mode"), idx("dev"), idx("ino")
	l.tuple, l.addr = idx("tuple"), idx("addr")
	l.oldfd, l.newfd = idx("oldfd"), idx("newfd")
	l.domain, l.typ = idx("domain"), idx("type")
	l.exe, l.args, l.tid, l.pid, l.ptid, l.cwd, l.comm = idx("exe"), idx("args"), idx("tid"), idx("pid"), idx("ptid"), idx("cwd"), idx("comm")
	l.cgroups, l.env, l.tty, l.vpgid, l.loginuid = idx("cgroups"), idx("env"), idx("tty"), idx("vpgid"), idx("loginuid")
	l.uid, l.gid = idx("uid"), idx("gid")
	l.capInh, l.capPerm, l.capEff = idx("cap_inheritable"), idx("cap_permitted"), idx("cap_effective")
	l.exeIno, l.exeCtime, l.exeMtime = idx("exe_ino"), idx("exe_ino_ctime"), idx("exe_ino_mtime")
	l.trusted, l.pgid, l.vtid, l.vpid = idx("trusted_exepath"), idx("pgid"), idx("vtid"), idx("vpid")
	l.pidnsInit = idx("pidns_init_start_ts")
	l.fd1, l.fd2 = idx("fd1"), idx("fd2")
	l.nameP, l.home, l.shell = idx("name"), idx("home"), idx("shell")
	l.euid, l.egid, l.cmd = idx("euid"), idx("egid"), idx("cmd")
	l.creates = info.Flags&scap.FlagCreatesFD != 0
	cat := info.Category
	l.stateOnly = cat&scap.CatMeta != 0 || l.name == "NA"

	// Exit events carry the results: most handlers act on them only.
	// procexit and the meta events are current although their codes
	// are "enter" codes.
	switch l.name {
	case "procexit":
		l.handler = hProcExit
	case "user_added":
		l.handler = hUserAdded
	case "group_added":
		l.handler = hGroupAdded
	}
	if l.handler != hNone || !l.exit {
		return l
	}
	switch l.name {
	case "open", "openat", "openat2", "creat", "open_by_handle_at":
		l.handler = hOpen
		if l.res < 0 {
			l.res = l.fd // the result of open is the new fd
		}
	case "close":
		l.handler = hClose
	case "dup", "dup2", "dup3":
		l.handler = hDup
		if l.oldfd < 0 {
			l.oldfd = l.fd
		}
	case "socket":
		l.handler = hSocket
	case "connect":
		l.handler = hConnect
	case "accept", "accept4":
		l.handler = hAccept
	case "bind", "listen":
		l.handler = hBind
	case "sendto", "sendmsg", "recvfrom", "recvmsg":
		l.handler = hSend
	case "execve", "execveat":
		l.handler = hExecve
	case "clone", "clone3", "fork", "vfork":
		l.handler = hClone
	case "chdir":
		l.handler = hChdir
	case "fchdir":
		l.handler = hFchdir
	case "setuid":
		l.handler = hSetuid
	case "setgid":
		l.handler = hSetgid
	case "setresuid":
		l.handler = hSetresuid
	case "setresgid":
		l.handler = hSetresgid
	case "capset":
		l.handler = hCapset
	case "pipe", "pipe2":
		l.handler = hPipe
	case "fcntl":
		l.handler = hFcntl
	case "memfd_create":
		l.handler, l.fdType = hNewFD, eval.FDMemfd
	case "eventfd", "eventfd2":
		l.handler, l.fdType = hNewFD, eval.FDEvent
	case "signalfd", "signalfd4":
		l.handler, l.fdType = hNewFD, eval.FDSignalfd
	case "timerfd_create":
		l.handler, l.fdType = hNewFD, eval.FDTimerfd
	case "inotify_init", "inotify_init1":
		l.handler, l.fdType = hNewFD, eval.FDInotify
	case "epoll_create", "epoll_create1":
		l.handler, l.fdType = hNewFD, eval.FDEventPoll
	case "bpf":
		l.handler, l.fdType = hNewFD, eval.FDBPF
	case "userfaultfd":
		l.handler, l.fdType = hNewFD, eval.FDUserfaultfd
	case "io_uring_setup":
		l.handler, l.fdType = hNewFD, eval.FDIOUring
	case "pidfd_open":
		l.handler, l.fdType = hNewFD, eval.FDPidfd
	}
	if l.res < 0 && l.creates && l.fd == 0 {
		l.res = l.fd
	}
	return l
}
