package state

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/falconer-sec/falconer/agent/scap"
	"github.com/falconer-sec/falconer/compiler/eval"
)

// SeedProc seeds the table from a procfs mount (normally "/proc") and the
// host's user and group databases, for a live agent that starts with
// processes already running: every thread of every process, its fds
// (files and sockets by inode), users and groups. Processes that vanish
// during the scan are skipped. It returns how many threads it added.
func (t *Table) SeedProc(procfs, etc string) (int, error) {
	t.seedUsers(filepath.Join(etc, "passwd"), filepath.Join(etc, "group"))
	ents, err := os.ReadDir(procfs)
	if err != nil {
		return 0, fmt.Errorf("seed from %s: %w", procfs, err)
	}
	n := 0
	for _, ent := range ents {
		pid, err := strconv.ParseInt(ent.Name(), 10, 64)
		if err != nil {
			continue
		}
		dir := filepath.Join(procfs, ent.Name())
		p, ok := readProc(dir, pid, pid)
		if !ok {
			continue
		}
		t.AddProcess(p)
		n++
		t.seedFDs(dir, pid)
		tasks, _ := os.ReadDir(filepath.Join(dir, "task"))
		for _, task := range tasks {
			tid, err := strconv.ParseInt(task.Name(), 10, 64)
			if err != nil || tid == pid {
				continue
			}
			if tp, ok := readProc(filepath.Join(dir, "task", task.Name()), tid, pid); ok {
				t.AddProcess(tp)
				n++
			}
		}
	}
	t.Link()
	return n, nil
}

// readProc reads one thread's description from its procfs directory.
func readProc(dir string, tid, pid int64) (scap.Process, bool) {
	p := scap.Process{Tid: tid, Pid: pid, LoginUID: 0xFFFFFFFF}
	stat, err := os.ReadFile(filepath.Join(dir, "stat"))
	if err != nil {
		return p, false
	}
	// pid (comm) state ppid pgrp session tty_nr ...: comm may hold
	// spaces and parentheses, so split at the last ')'.
	open, close := bytes.IndexByte(stat, '('), bytes.LastIndexByte(stat, ')')
	if open < 0 || close < open {
		return p, false
	}
	p.Comm = string(stat[open+1 : close])
	f := strings.Fields(string(stat[close+1:]))
	if len(f) > 20 {
		p.Ptid, _ = strconv.ParseInt(f[1], 10, 64)
		p.Pgid, _ = strconv.ParseInt(f[2], 10, 64)
		p.Sid, _ = strconv.ParseInt(f[3], 10, 64)
		tty, _ := strconv.ParseUint(f[4], 10, 32)
		p.Tty = uint32(tty)
		p.Vpgid = p.Pgid
	}
	if tid != pid {
		// A thread's parent is its process's parent.
		if pstat, err := os.ReadFile(filepath.Join(dir, "..", "..", "stat")); err == nil {
			if c := bytes.LastIndexByte(pstat, ')'); c >= 0 {
				if pf := strings.Fields(string(pstat[c+1:])); len(pf) > 1 {
					p.Ptid, _ = strconv.ParseInt(pf[1], 10, 64)
				}
			}
		}
	}
	if status, err := os.ReadFile(filepath.Join(dir, "status")); err == nil {
		sc := bufio.NewScanner(bytes.NewReader(status))
		for sc.Scan() {
			k, v, _ := strings.Cut(sc.Text(), ":")
			fs := strings.Fields(v)
			if len(fs) == 0 {
				continue
			}
			switch k {
			case "Uid":
				if len(fs) > 1 {
					u, _ := strconv.ParseUint(fs[1], 10, 32) // effective uid
					p.UID = uint32(u)
				}
			case "Gid":
				if len(fs) > 1 {
					g, _ := strconv.ParseUint(fs[1], 10, 32)
					p.GID = uint32(g)
				}
			case "CapInh":
				p.CapInheritable, _ = strconv.ParseUint(fs[0], 16, 64)
			case "CapPrm":
				p.CapPermitted, _ = strconv.ParseUint(fs[0], 16, 64)
			case "CapEff":
				p.CapEffective, _ = strconv.ParseUint(fs[0], 16, 64)
			case "NSpid":
				p.Vpid, _ = strconv.ParseInt(fs[len(fs)-1], 10, 64)
			}
		}
	}
	if cmd, err := os.ReadFile(filepath.Join(dir, "cmdline")); err == nil && len(cmd) > 0 {
		args := strings.Split(strings.TrimSuffix(string(cmd), "\x00"), "\x00")
		p.Exe = args[0]
		p.Args = scap.JoinNUL(args[1:]...)
	}
	if p.Exe == "" {
		p.Exe = p.Comm
	}
	p.ExePath, _ = os.Readlink(filepath.Join(dir, "exe"))
	p.ExePath = strings.TrimSuffix(p.ExePath, " (deleted)")
	p.Cwd, _ = os.Readlink(filepath.Join(dir, "cwd"))
	if env, err := os.ReadFile(filepath.Join(dir, "environ")); err == nil {
		p.Env = string(env)
	}
	if cg, err := os.ReadFile(filepath.Join(dir, "cgroup")); err == nil {
		var list []string
		for _, line := range strings.Split(strings.TrimSpace(string(cg)), "\n") {
			// "hierarchy:controllers:path": v2 is "0::/path".
			parts := strings.SplitN(line, ":", 3)
			if len(parts) != 3 {
				continue
			}
			ctrl := parts[1]
			if ctrl == "" {
				ctrl = "cgroup2"
			}
			list = append(list, ctrl+"="+parts[2])
		}
		p.Cgroups = scap.JoinNUL(list...)
	}
	if lu, err := os.ReadFile(filepath.Join(dir, "loginuid")); err == nil {
		if v, err := strconv.ParseUint(strings.TrimSpace(string(lu)), 10, 32); err == nil {
			p.LoginUID = uint32(v)
		}
	}
	if p.Vtid == 0 {
		p.Vtid = tid
	}
	if p.Vpid == 0 {
		p.Vpid = pid
	}
	return p, true
}

// seedFDs reads a process's open files and sockets.
func (t *Table) seedFDs(dir string, pid int64) {
	fds, err := os.ReadDir(filepath.Join(dir, "fd"))
	if err != nil {
		return
	}
	for _, ent := range fds {
		num, err := strconv.ParseInt(ent.Name(), 10, 64)
		if err != nil {
			continue
		}
		target, err := os.Readlink(filepath.Join(dir, "fd", ent.Name()))
		if err != nil {
			continue
		}
		fd := eval.FD{Num: num, Name: target, NameRaw: target}
		switch {
		case strings.HasPrefix(target, "/"):
			fd.Type = eval.FDFile
			if st, err := os.Stat(target); err == nil && st.IsDir() {
				fd.Type = eval.FDDirectory
			}
		case strings.HasPrefix(target, "pipe:"):
			fd.Type = eval.FDPipe
		case strings.HasPrefix(target, "socket:"):
			fd.Type = eval.FDUnknown // family resolved by later events
		case strings.HasPrefix(target, "anon_inode:[eventfd]"):
			fd.Type = eval.FDEvent
		case strings.HasPrefix(target, "anon_inode:[eventpoll]"):
			fd.Type = eval.FDEventPoll
		case strings.HasPrefix(target, "anon_inode:inotify"):
			fd.Type = eval.FDInotify
		case strings.HasPrefix(target, "anon_inode:[signalfd]"):
			fd.Type = eval.FDSignalfd
		case strings.HasPrefix(target, "anon_inode:[timerfd]"):
			fd.Type = eval.FDTimerfd
		case strings.HasPrefix(target, "anon_inode:bpf"):
			fd.Type = eval.FDBPF
		case strings.HasPrefix(target, "/memfd:"):
			fd.Type = eval.FDMemfd
		}
		t.AddFD(pid, fd)
	}
}

// seedUsers reads passwd and group files (name:x:uid:gid:gecos:home:shell).
func (t *Table) seedUsers(passwd, group string) {
	if data, err := os.ReadFile(passwd); err == nil {
		for _, line := range strings.Split(string(data), "\n") {
			f := strings.Split(line, ":")
			if len(f) < 7 || strings.HasPrefix(line, "#") {
				continue
			}
			uid, err := strconv.ParseUint(f[2], 10, 32)
			if err != nil {
				continue
			}
			t.AddUser(eval.User{UID: uint32(uid), Name: f[0], Home: f[5], Shell: f[6]})
		}
	}
	if data, err := os.ReadFile(group); err == nil {
		for _, line := range strings.Split(string(data), "\n") {
			f := strings.Split(line, ":")
			if len(f) < 3 || strings.HasPrefix(line, "#") {
				continue
			}
			gid, err := strconv.ParseUint(f[2], 10, 32)
			if err != nil {
				continue
			}
			t.AddGroup(eval.Group{GID: uint32(gid), Name: f[0]})
		}
	}
}
