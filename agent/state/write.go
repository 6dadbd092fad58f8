package state

import (
	"sort"

	"github.com/falconer-sec/falconer/agent/scap"
	"github.com/falconer-sec/falconer/compiler/eval"
)

// WriteTables writes the table's users, groups, processes and fds to a
// capture, so that a replay of the events that follow starts from the
// same state. Entries are written in a stable order.
func (t *Table) WriteTables(w *scap.Writer) error {
	var users []scap.User
	for _, u := range t.users {
		users = append(users, scap.User{UID: u.UID, Name: u.Name, Home: u.Home, Shell: u.Shell})
	}
	sort.Slice(users, func(i, j int) bool { return users[i].UID < users[j].UID })
	var groups []scap.Group
	for _, g := range t.groups {
		groups = append(groups, scap.Group{GID: g.GID, Name: g.Name})
	}
	sort.Slice(groups, func(i, j int) bool { return groups[i].GID < groups[j].GID })
	if err := w.WriteUsers(users, groups); err != nil {
		return err
	}
	tids := make([]int64, 0, len(t.threads))
	for tid := range t.threads {
		tids = append(tids, tid)
	}
	sort.Slice(tids, func(i, j int) bool { return tids[i] < tids[j] })
	procs := make([]scap.Process, 0, len(tids))
	for _, tid := range tids {
		procs = append(procs, toProcess(&t.threads[tid].Thread))
	}
	if err := w.WriteProcesses(procs); err != nil {
		return err
	}
	for _, tid := range tids {
		th := t.threads[tid]
		if th.Pid != th.Tid || len(th.fds.m) == 0 {
			continue
		}
		l := scap.FDList{Tid: tid}
		for _, fd := range th.fds.m {
			l.FDs = append(l.FDs, toFD(fd))
		}
		sort.Slice(l.FDs, func(i, j int) bool { return l.FDs[i].Num < l.FDs[j].Num })
		if err := w.WriteFDs(l); err != nil {
			return err
		}
	}
	return nil
}

func toProcess(th *eval.Thread) scap.Process {
	p := scap.Process{
		Tid: th.Tid, Pid: th.Pid, Ptid: th.PPid, Sid: th.SID, Vpgid: th.VPGID, Pgid: th.PGID,
		Comm: th.Comm, Exe: th.Exe, ExePath: th.ExePath, Args: scap.JoinNUL(th.Args...), Cwd: th.Cwd,
		UID: th.UID, GID: th.GID, Env: scap.JoinNUL(th.Env...), Vtid: th.VTid, Vpid: th.VPid,
		Cgroups: scap.JoinNUL(th.Cgroups...), Tty: th.TTY, LoginUID: 0xFFFFFFFF,
		CapInheritable: th.CapInheritable, CapPermitted: th.CapPermitted, CapEffective: th.CapEffective,
		ExeWritable: th.ExeWritable, ExeUpperLayer: th.ExeUpperLayer, ExeLowerLayer: th.ExeLowerLayer, ExeFromMemfd: th.ExeFromMemfd,
		ExeIno: th.ExeIno, ExeInoCtime: uint64(th.ExeInoCtime), ExeInoMtime: uint64(th.ExeInoMtime),
		PidnsInitStartTs: uint64(th.PidnsInit),
	}
	if th.LoginUID >= 0 {
		p.LoginUID = uint32(th.LoginUID)
	}
	return p
}

func toFD(fd *eval.FD) scap.FD {
	f := scap.FD{Num: fd.Num, Name: fd.Name, Ino: fd.Ino, Dev: fd.Dev, OpenFlags: fd.OpenFlags}
	switch fd.Type {
	case eval.FDFile:
		f.Type = scap.FDFileV2
	case eval.FDDirectory:
		f.Type = scap.FDDirectory
	case eval.FDIPv4, eval.FDIPv6:
		v6 := fd.Type == eval.FDIPv6
		f.Name = ""
		switch fd.L4Proto {
		case "tcp":
			f.L4Proto = scap.L4TCP
		case "udp":
			f.L4Proto = scap.L4UDP
		case "icmp":
			f.L4Proto = scap.L4ICMP
		case "raw":
			f.L4Proto = scap.L4Raw
		}
		if fd.IsServer && !fd.Connected {
			f.Type = scap.FDIPv4ServSock
			if v6 {
				f.Type = scap.FDIPv6ServSock
			}
			f.SrcIP, f.SrcPort = fd.ServerIP, fd.ServerPort
		} else {
			f.Type = scap.FDIPv4Sock
			if v6 {
				f.Type = scap.FDIPv6Sock
			}
			f.SrcIP, f.SrcPort = fd.ClientIP, fd.ClientPort
			f.DstIP, f.DstPort = fd.ServerIP, fd.ServerPort
		}
	case eval.FDUnix:
		f.Type = scap.FDUnixSock
	case eval.FDPipe:
		f.Type = scap.FDFIFO
	case eval.FDEvent:
		f.Type = scap.FDEvent
	case eval.FDSignalfd:
		f.Type = scap.FDSignalfd
	case eval.FDEventPoll:
		f.Type = scap.FDEventpoll
	case eval.FDInotify:
		f.Type = scap.FDInotify
	case eval.FDTimerfd:
		f.Type = scap.FDTimerfd
	case eval.FDNetlink:
		f.Type = scap.FDNetlink
	case eval.FDBPF:
		f.Type = scap.FDBPF
	case eval.FDUserfaultfd:
		f.Type = scap.FDUserfaultfd
	case eval.FDIOUring:
		f.Type = scap.FDIOUring
	case eval.FDMemfd:
		f.Type = scap.FDMemfd
	case eval.FDPidfd:
		f.Type = scap.FDPidfd
	default:
		f.Type = scap.FDUnsupported
	}
	return f
}
