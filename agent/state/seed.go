package state

import (
	"github.com/falconer-sec/falconer/agent/scap"
	"github.com/falconer-sec/falconer/compiler/eval"
)

// SeedCapture seeds the table from a capture's tables (users, groups,
// processes, fds), as Falco does before replaying a capture's events. Call
// it after scap.NewReader, before the first Next.
func (t *Table) SeedCapture(r *scap.Reader) {
	for _, u := range r.Users() {
		t.AddUser(eval.User{UID: u.UID, Name: u.Name, Home: u.Home, Shell: u.Shell})
	}
	for _, g := range r.Groups() {
		t.AddGroup(eval.Group{GID: g.GID, Name: g.Name})
	}
	for _, p := range r.Processes() {
		t.AddProcess(p)
	}
	t.Link()
	for _, l := range r.FDs() {
		for _, f := range l.FDs {
			t.AddFD(l.Tid, captureFD(f))
		}
	}
}

// captureFD converts a capture's fd-table entry.
func captureFD(f scap.FD) eval.FD {
	fd := eval.FD{Num: f.Num, Name: f.Name, NameRaw: f.Name, Ino: f.Ino, Dev: f.Dev, OpenFlags: f.OpenFlags}
	switch f.Type {
	case scap.FDFile, scap.FDFileV2:
		fd.Type = eval.FDFile
	case scap.FDDirectory:
		fd.Type = eval.FDDirectory
	case scap.FDIPv4Sock, scap.FDIPv4ServSock, scap.FDIPv6Sock, scap.FDIPv6ServSock:
		fd.Type = eval.FDIPv4
		if f.Type == scap.FDIPv6Sock || f.Type == scap.FDIPv6ServSock {
			fd.Type = eval.FDIPv6
		}
		fd.SockFamily = "ip"
		switch f.L4Proto {
		case scap.L4TCP:
			fd.L4Proto = "tcp"
		case scap.L4UDP:
			fd.L4Proto = "udp"
		case scap.L4ICMP:
			fd.L4Proto = "icmp"
		case scap.L4Raw:
			fd.L4Proto = "raw"
		}
		if f.Type == scap.FDIPv4ServSock || f.Type == scap.FDIPv6ServSock {
			fd.IsServer = true
			fd.ServerIP, fd.ServerPort = f.SrcIP.Unmap(), f.SrcPort
		} else {
			fd.ClientIP, fd.ClientPort = f.SrcIP.Unmap(), f.SrcPort
			fd.ServerIP, fd.ServerPort = f.DstIP.Unmap(), f.DstPort
			fd.Connected = true
			fd.Name = endpoint(fd.ClientIP, fd.ClientPort) + "->" + endpoint(fd.ServerIP, fd.ServerPort)
		}
	case scap.FDUnixSock:
		fd.Type = eval.FDUnix
		fd.SockFamily = "unix"
	case scap.FDFIFO:
		fd.Type = eval.FDPipe
	case scap.FDEvent:
		fd.Type = eval.FDEvent
	case scap.FDSignalfd:
		fd.Type = eval.FDSignalfd
	case scap.FDEventpoll:
		fd.Type = eval.FDEventPoll
	case scap.FDInotify:
		fd.Type = eval.FDInotify
	case scap.FDTimerfd:
		fd.Type = eval.FDTimerfd
	case scap.FDNetlink:
		fd.Type = eval.FDNetlink
	case scap.FDBPF:
		fd.Type = eval.FDBPF
	case scap.FDUserfaultfd:
		fd.Type = eval.FDUserfaultfd
	case scap.FDIOUring:
		fd.Type = eval.FDIOUring
	case scap.FDMemfd:
		fd.Type = eval.FDMemfd
	case scap.FDPidfd:
		fd.Type = eval.FDPidfd
	}
	return fd
}
