package ruletest

import (
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"strings"

	"github.com/falconer-sec/falconer/compiler/eval"
)

// baseTime is the time of a case's first event (2026-01-01T00:00:00Z), so
// outputs are reproducible.
const baseTime = int64(1767225600) * 1e9

// Open flag names and their driver bits (PPM_O_*).
var openFlagBits = map[string]int64{
	"O_NONE": 0, "O_RDONLY": 1, "O_WRONLY": 2, "O_RDWR": 3, "O_CREAT": 4, "O_APPEND": 8,
	"O_DSYNC": 16, "O_EXCL": 32, "O_NONBLOCK": 64, "O_SYNC": 128, "O_TRUNC": 256,
	"O_DIRECT": 512, "O_DIRECTORY": 1024, "O_LARGEFILE": 2048, "O_CLOEXEC": 4096,
	"O_TMPFILE": 8192, "O_F_CREATED": 1 << 14,
}

var openFlagOrder = []string{"O_RDWR", "O_RDONLY", "O_WRONLY", "O_CREAT", "O_APPEND", "O_DSYNC", "O_EXCL", "O_NONBLOCK", "O_SYNC", "O_TRUNC", "O_DIRECT", "O_DIRECTORY", "O_LARGEFILE", "O_CLOEXEC", "O_TMPFILE", "O_F_CREATED"}

// parseOpenFlags parses "O_RDONLY|O_CLOEXEC" and renders it back in the
// driver's order, as Falco prints evt.arg.flags.
func parseOpenFlags(s string) (int64, string, error) {
	var bits int64
	for _, part := range strings.Split(s, "|") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		b, ok := openFlagBits[part]
		if !ok {
			return 0, "", fmt.Errorf("unknown open flag %q", part)
		}
		bits |= b
	}
	return bits, renderOpenFlags(bits), nil
}

func renderOpenFlags(bits int64) string {
	var parts []string
	rest := bits
	for _, n := range openFlagOrder {
		b := openFlagBits[n]
		if b == 0 || rest&b != b {
			continue
		}
		if n == "O_RDONLY" || n == "O_WRONLY" {
			if rest&3 == 3 {
				continue
			}
		}
		parts = append(parts, n)
		rest &^= b
	}
	if len(parts) == 0 {
		return "O_NONE"
	}
	return strings.Join(parts, "|")
}

var capBits = func() map[string]uint {
	m := map[string]uint{}
	for i := uint(0); i < 64; i++ {
		n := eval.FormatCaps(1 << i)
		if n == "" {
			break
		}
		m[n] = i
	}
	return m
}()

func capMask(names []string) (uint64, error) {
	var m uint64
	for _, n := range names {
		n = strings.ToUpper(strings.TrimSpace(n))
		if !strings.HasPrefix(n, "CAP_") {
			n = "CAP_" + n
		}
		b, ok := capBits[n]
		if !ok {
			return 0, fmt.Errorf("unknown capability %q", n)
		}
		m |= 1 << b
	}
	return m, nil
}

// builder turns a case's specs into events.
type builder struct {
	c        *Case
	hostname string
	num      uint64
	nextPid  int64
}

var wellKnownUsers = map[uint32]string{0: "root", 1: "daemon", 33: "www-data", 65534: "nobody", 1000: "user"}

func (b *builder) thread(p *Process, ctr *eval.Container, k8s *eval.K8s, ctrID string, depth int) (*eval.Thread, error) {
	if p == nil {
		return nil, nil
	}
	if depth > 64 {
		return nil, fmt.Errorf("process tree deeper than 64")
	}
	t := &eval.Thread{Comm: p.Name, Exe: p.Exe, ExePath: p.ExePath, Args: p.Args, Cwd: p.Cwd, TTY: p.TTY, Cgroups: p.Cgroups}
	if t.Comm == "" {
		return nil, fmt.Errorf("a process needs a name")
	}
	if t.Exe == "" {
		t.Exe = t.Comm
	}
	if t.ExePath == "" {
		if strings.HasPrefix(t.Exe, "/") {
			t.ExePath = t.Exe
		} else {
			t.ExePath = "/usr/bin/" + t.Comm
		}
	}
	if t.Cwd == "" {
		t.Cwd = "/"
	}
	b.nextPid -= 7
	t.Pid, t.Tid = p.Pid, p.Tid
	if t.Pid == 0 {
		t.Pid = b.nextPid
	}
	if t.Tid == 0 {
		t.Tid = t.Pid
	}
	t.VPid, t.SID, t.VPGID = p.VPid, p.SID, p.VPGID
	if t.VPid == 0 {
		t.VPid = t.Pid
	}
	if p.UID != nil {
		t.UID = *p.UID
	}
	if p.GID != nil {
		t.GID = *p.GID
	} else {
		t.GID = t.UID
	}
	uname := p.User
	if uname == "" {
		uname = wellKnownUsers[t.UID]
	}
	if uname != "" {
		t.User = &eval.User{UID: t.UID, Name: uname, Home: "/home/" + uname, Shell: "/bin/bash"}
		if t.UID == 0 {
			t.User.Home = "/root"
		}
	}
	gname := p.Group
	if gname == "" {
		gname = wellKnownUsers[t.GID]
	}
	if gname != "" {
		t.Group = &eval.Group{GID: t.GID, Name: gname}
	}
	t.LoginUID = -1
	if p.LoginUID != nil {
		t.LoginUID = *p.LoginUID
	}
	if p.Login != "" {
		t.LoginUser = &eval.User{UID: uint32(t.LoginUID), Name: p.Login}
	} else if t.LoginUID >= 0 {
		if n, ok := wellKnownUsers[uint32(t.LoginUID)]; ok {
			t.LoginUser = &eval.User{UID: uint32(t.LoginUID), Name: n}
		}
	}
	keys := make([]string, 0, len(p.Env))
	for k := range p.Env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		t.Env = append(t.Env, k+"="+p.Env[k])
	}
	var err error
	if t.CapEffective, err = capMask(p.CapEffective); err != nil {
		return nil, err
	}
	if t.CapPermitted, err = capMask(p.CapPermitted); err != nil {
		return nil, err
	}
	t.ExeWritable, t.ExeUpperLayer, t.ExeFromMemfd = p.ExeWritable, p.ExeUpperLayer, p.ExeFromMemfd
	t.StartTime = baseTime - int64(depth+1)*1e9
	if !p.Host && ctr != nil {
		t.ContainerID, t.Container, t.K8s = ctrID, ctr, k8s
	}
	if p.Parent != nil {
		if t.Parent, err = b.thread(p.Parent, ctr, k8s, ctrID, depth+1); err != nil {
			return nil, err
		}
		t.PPid = t.Parent.Pid
	}
	return t, nil
}

func (b *builder) container() (*eval.Container, *eval.K8s, string) {
	c := b.c.Container
	if c == nil {
		return nil, nil, ""
	}
	id := c.ID
	if id == "" {
		id = "0123456789ab"
	}
	if len(id) > 12 {
		id = id[:12]
	}
	ec := &eval.Container{ID: id, FullID: c.ID, Name: c.Name, Image: c.Image, ImageRepository: c.Repository, ImageTag: c.Tag, Privileged: c.Privileged, Labels: c.Labels, Type: c.Type}
	if ec.Type == "" {
		ec.Type = "containerd"
	}
	if ec.Image == "" && ec.ImageRepository != "" {
		ec.Image = ec.ImageRepository
		if ec.ImageTag != "" {
			ec.Image += ":" + ec.ImageTag
		}
	}
	if ec.ImageRepository == "" && ec.Image != "" {
		// The tag follows the last ':' after the last '/': a registry
		// port (localhost:5000/app:1) is part of the repository.
		ec.ImageRepository = ec.Image
		if i := strings.LastIndexByte(ec.Image, ':'); i > strings.LastIndexByte(ec.Image, '/') {
			ec.ImageRepository, ec.ImageTag = ec.Image[:i], ec.Image[i+1:]
		}
	}
	if ec.Name == "" {
		ec.Name = "test-container"
	}
	for _, m := range c.Mounts {
		ec.Mounts = append(ec.Mounts, eval.Mount{Source: m.Source, Dest: m.Dest, Mode: m.Mode, RW: m.RW})
	}
	var k8s *eval.K8s
	if c.Pod != "" || c.Namespace != "" {
		k8s = &eval.K8s{PodName: c.Pod, Namespace: c.Namespace}
	}
	return ec, k8s, id
}

// fdCreating lists event names whose result is a new fd.
var fdCreating = map[string]bool{
	"open": true, "openat": true, "openat2": true, "creat": true, "open_by_handle_at": true,
	"socket": true, "accept": true, "accept4": true, "memfd_create": true, "dup": true, "dup2": true, "dup3": true,
}

// build turns one event spec into an event.
func (b *builder) build(spec *EventSpec, defaultProc *eval.Thread, ctr *eval.Container, k8s *eval.K8s, ctrID string) (*eval.Event, error) {
	code, ok := eval.EventCode(spec.Type)
	if !ok {
		return nil, fmt.Errorf("unknown event type %q", spec.Type)
	}
	b.num++
	name, cat := eval.EventMeta(code)
	ev := &eval.Event{Num: b.num, Time: baseTime + int64(b.num)*1e6, Code: code, Type: name, Category: cat, Hostname: b.hostname}
	ev.Thread = defaultProc
	if spec.Process != nil {
		t, err := b.thread(spec.Process, ctr, k8s, ctrID, 0)
		if err != nil {
			return nil, err
		}
		ev.Thread = t
	}
	if ev.Thread == nil {
		return nil, fmt.Errorf("event %s has no process (set process on the case or the event)", spec.Type)
	}
	if spec.FD != nil {
		fd, err := buildFD(spec.FD)
		if err != nil {
			return nil, err
		}
		ev.FD = fd
	}
	ev.HasRes = true
	if spec.Res != nil {
		ev.Res = *spec.Res
	} else if fdCreating[spec.Type] && ev.FD != nil {
		ev.Res = ev.FD.Num
	}
	if spec.Flags != "" {
		bits, rendered, err := parseOpenFlags(spec.Flags)
		if err != nil {
			return nil, err
		}
		ev.Args = append(ev.Args, eval.Arg{Name: "flags", Value: rendered, Num: bits, HasNum: true})
		if ev.FD != nil {
			ev.FD.OpenFlags = uint32(bits)
		}
	}
	if spec.Mode != "" {
		m, err := strconv.ParseInt(spec.Mode, 8, 64)
		if err != nil {
			return nil, fmt.Errorf("mode %q is not an octal number", spec.Mode)
		}
		ev.Args = append(ev.Args, eval.Arg{Name: "mode", Value: "0" + strconv.FormatInt(m, 8), Num: m, HasNum: true})
	}
	if ev.FD != nil && (ev.FD.Type == eval.FDFile || ev.FD.Type == eval.FDDirectory) {
		if _, ok := ev.Arg("name"); !ok && fdCreating[spec.Type] {
			ev.Args = append(ev.Args, eval.Arg{Name: "name", Value: ev.FD.Name})
		}
	}
	keys := make([]string, 0, len(spec.Args))
	for k := range spec.Args {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := spec.Args[k]
		a := eval.Arg{Name: k, Value: v}
		if n, err := strconv.ParseInt(v, 0, 64); err == nil {
			a.Num, a.HasNum = n, true
		}
		ev.Args = append(ev.Args, a)
	}
	if spec.Buffer != "" {
		ev.Buffer = []byte(spec.Buffer)
	}
	return ev, nil
}

var fdTypes = map[string]eval.FDType{
	"file": eval.FDFile, "directory": eval.FDDirectory, "ipv4": eval.FDIPv4, "ipv6": eval.FDIPv6,
	"unix": eval.FDUnix, "pipe": eval.FDPipe, "event": eval.FDEvent, "signalfd": eval.FDSignalfd,
	"eventpoll": eval.FDEventPoll, "inotify": eval.FDInotify, "timerfd": eval.FDTimerfd,
	"netlink": eval.FDNetlink, "bpf": eval.FDBPF, "userfaultfd": eval.FDUserfaultfd,
	"io_uring": eval.FDIOUring, "memfd": eval.FDMemfd, "pidfd": eval.FDPidfd,
}

func buildFD(s *FDSpec) (*eval.FD, error) {
	fd := &eval.FD{Num: s.Num, Name: s.Name, NameRaw: s.NameRaw, IsServer: s.Server}
	if fd.NameRaw == "" {
		fd.NameRaw = s.Name
	}
	if fd.Num == 0 {
		fd.Num = 3
	}
	typ := s.Type
	if typ == "" {
		switch {
		case s.SIP != "" || s.CIP != "":
			typ = "ipv4"
			if strings.Contains(s.SIP+s.CIP, ":") {
				typ = "ipv6"
			}
		default:
			typ = "file"
		}
	}
	t, ok := fdTypes[typ]
	if !ok {
		return nil, fmt.Errorf("unknown fd type %q", typ)
	}
	fd.Type = t
	if t == eval.FDIPv4 || t == eval.FDIPv6 {
		var err error
		if s.SIP != "" {
			if fd.ServerIP, err = netip.ParseAddr(s.SIP); err != nil {
				return nil, fmt.Errorf("fd sip: %v", err)
			}
		}
		if s.CIP != "" {
			if fd.ClientIP, err = netip.ParseAddr(s.CIP); err != nil {
				return nil, fmt.Errorf("fd cip: %v", err)
			}
		}
		fd.ServerPort, fd.ClientPort = s.SPort, s.CPort
		fd.L4Proto = s.Proto
		if fd.L4Proto == "" {
			fd.L4Proto = "tcp"
		}
		fd.Connected = true
		fd.SockFamily = "ip"
		if fd.Name == "" {
			fd.Name = endpoint(fd.ClientIP, fd.ClientPort) + "->" + endpoint(fd.ServerIP, fd.ServerPort)
		}
	}
	return fd, nil
}

func endpoint(a netip.Addr, port uint16) string {
	if !a.IsValid() {
		return ":" + strconv.Itoa(int(port))
	}
	if a.Is6() && !a.Is4In6() {
		return "[" + a.String() + "]:" + strconv.Itoa(int(port))
	}
	return a.String() + ":" + strconv.Itoa(int(port))
}
