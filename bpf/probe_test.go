//go:build linux && amd64

package bpf

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/link"
	"golang.org/x/sys/unix"

	"github.com/falconer-sec/falconer/bpf/bpftest"
)

// collector reads a probe in the background and keeps every event, decoded
// and checked against the format; a record that fails the check fails the
// test.
type collector struct {
	t      *testing.T
	p      *Probe
	mu     sync.Mutex
	events []event
	taken  map[int]bool // events find has returned
	cancel context.CancelFunc
	done   chan error
}

func startProbe(t *testing.T, opts Options) *collector {
	t.Helper()
	bpftest.Privileged(t)
	if opts.RingSize == 0 {
		opts.RingSize = 32 << 20 // room for other processes' events on a busy machine
	}
	p, err := Load(opts)
	if err != nil {
		t.Fatalf("Load() error = %v", err)
	}
	t.Cleanup(func() {
		if err := p.Close(); err != nil {
			t.Errorf("Close() error = %v", err)
		}
	})
	if err := p.Attach(); err != nil {
		t.Fatalf("Attach() error = %v", err)
	}
	c := &collector{t: t, p: p, done: make(chan error, 1), taken: map[int]bool{}}
	c.start()
	t.Cleanup(c.stop)
	return c
}

func (c *collector) start() {
	tab := eventTable(c.t)
	ctx, cancel := context.WithCancel(context.Background())
	c.cancel = cancel
	go func() {
		c.done <- c.p.Read(ctx, func(batch [][]byte) error {
			c.mu.Lock()
			defer c.mu.Unlock()
			for _, rec := range batch {
				ev, err := decodeEvent(slices.Clone(rec), tab)
				if err != nil {
					return fmt.Errorf("bad event: %w", err)
				}
				c.events = append(c.events, ev)
			}
			return nil
		})
	}()
}

func (c *collector) stop() {
	if c.cancel == nil {
		return
	}
	c.cancel()
	if err := <-c.done; err != nil {
		c.t.Errorf("Read() error = %v", err)
	}
	c.cancel = nil
}

// find waits for the first event matching pred that no earlier find
// returned.
func (c *collector) find(t testing.TB, what string, pred func(event) bool) event {
	t.Helper()
	return c.findExplained(t, what, nil, pred)
}

// findExplained is find with a description of the near misses for the
// failure message.
func (c *collector) findExplained(t testing.TB, what string, explain func() string, pred func(event) bool) event {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		c.mu.Lock()
		for i, ev := range c.events {
			if !c.taken[i] && pred(ev) {
				c.taken[i] = true
				c.mu.Unlock()
				return ev
			}
		}
		n := len(c.events)
		c.mu.Unlock()
		select {
		case err := <-c.done:
			t.Fatalf("reader stopped while waiting for %s: %v", what, err)
		default:
		}
		if time.Now().After(deadline) {
			if explain != nil {
				t.Fatalf("no event for %s among %d events; last near miss: %s", what, n, explain())
			}
			t.Fatalf("no event for %s among %d events", what, n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (c *collector) any(pred func(event) bool) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.ContainsFunc(c.events, pred)
}

// marker opens a unique non-existent path from the calling thread and waits
// for its event: everything the thread did before has been read.
func (c *collector) marker() {
	c.t.Helper()
	path := filepath.Join(os.TempDir(), fmt.Sprintf("falconer-marker-%d", time.Now().UnixNano()))
	_, _ = unix.Open(path, unix.O_RDONLY, 0)
	c.find(c.t, "marker "+path, func(e event) bool { return (e.typ == 3 || e.typ == 307) && e.str("name") == path })
}

func isOpenat(path string) func(event) bool {
	return func(e event) bool { return e.typ == 307 && e.str("name") == path }
}

func lockThread(t *testing.T) int {
	runtime.LockOSThread()
	t.Cleanup(runtime.UnlockOSThread)
	return unix.Gettid()
}

// kernelDev encodes a stat dev the way the kernel stores it (MKDEV).
func kernelDev(dev uint64) int64 {
	return int64(unix.Major(dev)<<20 | unix.Minor(dev))
}

func TestLoadAttachDetachClose(t *testing.T) {
	bpftest.Privileged(t)
	p, err := Load(Options{IncludeSelf: true})
	if err != nil {
		t.Fatalf("Load() error = %v", err)
	}
	defer p.Close()
	if err := p.Attach(); err != nil {
		t.Fatalf("Attach() error = %v", err)
	}
	if err := p.Attach(); err != nil {
		t.Fatalf("second Attach() error = %v", err)
	}
	var linkIDs []link.ID
	for _, l := range p.links {
		info, err := l.Info()
		if err != nil {
			t.Fatalf("link info: %v", err)
		}
		linkIDs = append(linkIDs, info.ID)
	}
	if len(linkIDs) != 4 {
		t.Fatalf("%d links attached, want 4", len(linkIDs))
	}
	var progIDs []ebpf.ProgramID
	for _, prog := range []*ebpf.Program{p.objs.SysExit, p.objs.OpenatX, p.objs.SchedExit, p.objs.DumpTask} {
		info, err := prog.Info()
		if err != nil {
			t.Fatalf("program info: %v", err)
		}
		id, ok := info.ID()
		if !ok {
			t.Fatalf("no program id")
		}
		progIDs = append(progIDs, id)
	}

	count := func() uint64 {
		st, err := p.Stats()
		if err != nil {
			t.Fatalf("Stats() error = %v", err)
		}
		return st.Events
	}
	openMissing := func() {
		for range 10 {
			_, _ = unix.Open("/nonexistent/falconer", unix.O_RDONLY, 0)
		}
	}
	before := count()
	openMissing()
	if got := count(); got < before+10 {
		t.Errorf("attached: events %d -> %d after 10 opens", before, got)
	}
	if err := p.Detach(); err != nil {
		t.Fatalf("Detach() error = %v", err)
	}
	before = count()
	openMissing()
	if got := count(); got != before {
		t.Errorf("detached: events %d -> %d", before, got)
	}
	if err := p.Attach(); err != nil {
		t.Fatalf("re-Attach() error = %v", err)
	}
	openMissing()
	if got := count(); got < before+10 {
		t.Errorf("re-attached: events %d -> %d after 10 opens", before, got)
	}
	if err := p.Close(); err != nil {
		t.Fatalf("Close() error = %v", err)
	}
	if err := p.Close(); err != nil {
		t.Errorf("second Close() error = %v", err)
	}
	if err := p.Attach(); !errors.Is(err, ErrClosed) {
		t.Errorf("Attach() after Close = %v, want ErrClosed", err)
	}
	if err := p.Read(context.Background(), func([][]byte) error { return nil }); !errors.Is(err, ErrClosed) {
		t.Errorf("Read() after Close = %v, want ErrClosed", err)
	}

	// The kernel frees links and programs once the last reference goes;
	// programs are released after an RCU grace period.
	deadline := time.Now().Add(5 * time.Second)
	for _, id := range linkIDs {
		if l, err := link.NewFromID(id); err == nil {
			l.Close()
			t.Errorf("link %d still exists after Close", id)
		}
	}
	for _, id := range progIDs {
		for {
			prog, err := ebpf.NewProgramFromID(id)
			if err != nil {
				break
			}
			prog.Close()
			if time.Now().After(deadline) {
				t.Errorf("program %d still loaded after Close", id)
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}

func TestLoadErrors(t *testing.T) {
	if _, err := Load(Options{RingSize: 12345}); err == nil {
		t.Errorf("Load(RingSize: 12345) succeeded")
	}
	if _, err := Load(Options{Syscalls: []string{"openat", "nosuch"}}); !errors.Is(err, ErrUnknownSyscall) && bpftest.Unavailable() == "" {
		t.Errorf("Load(unknown syscall) error = %v, want ErrUnknownSyscall", err)
	}
}

func TestOpenat(t *testing.T) {
	dir := t.TempDir()
	existing := filepath.Join(dir, "existing")
	if err := os.WriteFile(existing, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	c := startProbe(t, Options{IncludeSelf: true, Syscalls: []string{"openat"}})
	dirfd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(dirfd)

	const (
		rdonly, wronly, rdwr = 1, 2, 3
		creat, appendf, excl = 4, 8, 32
		trunc, directory     = 256, 1024
		cloexec, created     = 4096, 1 << 14
	)
	tests := []struct {
		name      string
		dirfd     int
		path      string // relative to dir
		flags     int
		mode      uint32
		wantFlags int64
		wantMode  int64
		wantErr   unix.Errno
	}{
		{name: "create", dirfd: unix.AT_FDCWD, path: "new", flags: unix.O_CREAT | unix.O_RDWR | unix.O_CLOEXEC, mode: 0o640,
			wantFlags: rdwr | creat | cloexec | created, wantMode: 0o640},
		{name: "create existing", dirfd: unix.AT_FDCWD, path: "existing", flags: unix.O_CREAT | unix.O_WRONLY, mode: 0o600,
			wantFlags: wronly | creat, wantMode: 0o600},
		{name: "read only", dirfd: unix.AT_FDCWD, path: "existing", flags: unix.O_RDONLY,
			wantFlags: rdonly},
		{name: "append", dirfd: unix.AT_FDCWD, path: "existing", flags: unix.O_WRONLY | unix.O_APPEND, mode: 0o777,
			wantFlags: wronly | appendf},
		{name: "truncate", dirfd: unix.AT_FDCWD, path: "existing", flags: unix.O_RDWR | unix.O_TRUNC,
			wantFlags: rdwr | trunc},
		{name: "directory", dirfd: unix.AT_FDCWD, path: ".", flags: unix.O_RDONLY | unix.O_DIRECTORY,
			wantFlags: rdonly | directory},
		{name: "relative to dirfd", dirfd: dirfd, path: "rel", flags: unix.O_CREAT | unix.O_EXCL | unix.O_WRONLY, mode: 0o600,
			wantFlags: wronly | creat | excl | created, wantMode: 0o600},
		{name: "missing", dirfd: unix.AT_FDCWD, path: "missing", flags: unix.O_RDONLY,
			wantFlags: rdonly, wantErr: unix.ENOENT},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tid := lockThread(t)
			path := tt.path
			if tt.dirfd == unix.AT_FDCWD {
				path = filepath.Join(dir, tt.path)
			}
			fd, err := unix.Openat(tt.dirfd, path, tt.flags, tt.mode)
			if !errors.Is(err, tt.wantErr) && !(err == nil && tt.wantErr == 0) {
				t.Fatalf("openat(%q) error = %v, want %v", path, err, tt.wantErr)
			}
			wantFD := int64(fd)
			var st unix.Stat_t
			if err == nil {
				defer unix.Close(fd)
				if err := unix.Fstat(fd, &st); err != nil {
					t.Fatal(err)
				}
			} else {
				wantFD = -int64(tt.wantErr)
			}
			ev := c.find(t, "openat "+path, func(e event) bool {
				return e.typ == 307 && e.tid == uint64(tid) && e.str("name") == path && e.int("fd") == wantFD
			})
			wantDirfd := int64(tt.dirfd)
			got := []int64{ev.int("dirfd"), ev.int("flags"), ev.int("mode")}
			want := []int64{wantDirfd, tt.wantFlags, tt.wantMode}
			if !slices.Equal(got, want) {
				t.Errorf("openat(%q) event dirfd, flags, mode = %v, want %v (%v)", path, got, want, ev)
			}
			wantDev, wantIno := int64(0), uint64(0)
			if err == nil {
				wantDev, wantIno = kernelDev(st.Dev), st.Ino
			}
			if ev.int("dev") != wantDev || ev.uint("ino") != wantIno {
				t.Errorf("openat(%q) event dev, ino = %#x, %d, want %#x, %d", path, ev.int("dev"), ev.uint("ino"), wantDev, wantIno)
			}
		})
	}
}

func TestExecve(t *testing.T) {
	c := startProbe(t, Options{IncludeSelf: true, Syscalls: []string{"execve", "execveat", "clone", "clone3", "fork", "vfork", ProcExit}})
	dir, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	mark := fmt.Sprintf("FALCONER_MARK=%d", time.Now().UnixNano())
	cmd := execCommand("/bin/true", "alpha", "beta")
	cmd.Dir = dir
	cmd.Env = []string{mark}
	if err := cmd.Run(); err != nil {
		t.Fatalf("run /bin/true: %v", err)
	}
	pid := int64(cmd.Process.Pid)

	ev := c.find(t, "execve of /bin/true", func(e event) bool {
		return e.typ == 293 && int64(e.tid) == pid && e.int("res") == 0
	})
	truePath, err := filepath.EvalSymlinks("/bin/true")
	if err != nil {
		t.Fatal(err)
	}
	strs := map[string]string{
		"exe": "/bin/true", "args": "alpha\x00beta\x00", "cwd": dir, "comm": "true",
		"filename": "/bin/true", "trusted_exepath": truePath, "env": mark + "\x00",
	}
	for name, want := range strs {
		if got := ev.str(name); got != want && !(name == "args" || name == "env") {
			t.Errorf("execve %s = %q, want %q", name, got, want)
		} else if (name == "args" || name == "env") && string(ev.raw(name)) != want {
			t.Errorf("execve %s = %q, want %q", name, ev.raw(name), want)
		}
	}
	ints := map[string]int64{"tid": pid, "pid": pid, "ptid": int64(os.Getpid()), "uid": 0, "gid": 0, "vpgid": int64(unix.Getpgrp())}
	for name, want := range ints {
		if got := ev.int(name); got != want {
			t.Errorf("execve %s = %d, want %d", name, got, want)
		}
	}
	var st unix.Stat_t
	if err := unix.Stat("/bin/true", &st); err != nil {
		t.Fatal(err)
	}
	if got := ev.uint("exe_ino"); got != st.Ino {
		t.Errorf("execve exe_ino = %d, want %d", got, st.Ino)
	}
	if got, want := ev.uint("exe_ino_mtime"), uint64(st.Mtim.Nano()); got != want {
		t.Errorf("execve exe_ino_mtime = %d, want %d", got, want)
	}
	if ev.int("fdlimit") <= 0 || ev.int("vm_size") <= 0 || ev.uint("cap_effective") == 0 {
		t.Errorf("execve fdlimit, vm_size, cap_effective = %d, %d, %#x: want > 0", ev.int("fdlimit"), ev.int("vm_size"), ev.uint("cap_effective"))
	}
	// The cgroups param lists "subsys=path" entries; ours are the same.
	cgroups := strings.Split(strings.TrimSuffix(string(ev.raw("cgroups")), "\x00"), "\x00")
	self, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(self)), "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 || parts[1] != "memory" {
			continue
		}
		if want := "memory=" + parts[2]; !slices.Contains(cgroups, want) {
			t.Errorf("execve cgroups = %q, want an entry %q", cgroups, want)
		}
	}
	if len(cgroups) < 2 {
		t.Errorf("execve cgroups = %q, want one entry per controller", cgroups)
	}
	if d := time.Since(time.Unix(0, int64(ev.ts))); d < 0 || d > time.Minute {
		t.Errorf("execve ts is %v away from now", d)
	}

	// The child side of the clone, from sched_process_fork, then its exit.
	child := c.find(t, "clone child", func(e event) bool { return e.typ == 223 && int64(e.tid) == pid && e.int("res") == 0 })
	if child.int("pid") != pid || child.int("ptid") != int64(os.Getpid()) {
		t.Errorf("clone child pid, ptid = %d, %d, want %d, %d", child.int("pid"), child.int("ptid"), pid, os.Getpid())
	}
	parent := c.find(t, "clone parent", func(e event) bool {
		return (e.typ == 223 || e.typ == 335 || e.typ == 227 || e.typ == 225) && e.int("res") == pid
	})
	if parent.int("pid") != int64(os.Getpid()) {
		t.Errorf("clone parent pid = %d, want %d", parent.int("pid"), os.Getpid())
	}
	exit := c.find(t, "procexit", func(e event) bool { return e.typ == 186 && int64(e.tid) == pid })
	if exit.int("status") != 0 || exit.int("ret") != 0 || exit.int("sig") != 0 {
		t.Errorf("procexit = %v, want status 0", exit)
	}

	// A failed exec comes from the sys_exit program, in the child.
	failed := execCommand("/nonexistent/falconer-true")
	if err := failed.Run(); err == nil {
		t.Fatalf("running a missing binary succeeded")
	}
	fev := c.find(t, "failed execve", func(e event) bool {
		return e.typ == 293 && e.str("filename") == "/nonexistent/falconer-true"
	})
	if fev.int("res") != -int64(unix.ENOENT) {
		t.Errorf("failed execve res = %d, want %d", fev.int("res"), -int64(unix.ENOENT))
	}

	// A killed process reports the signal.
	sleeper := execCommand("/bin/sleep", "30")
	if err := sleeper.Start(); err != nil {
		t.Fatal(err)
	}
	_ = sleeper.Process.Kill()
	_ = sleeper.Wait()
	kev := c.find(t, "procexit of a killed process", func(e event) bool { return e.typ == 186 && int(e.tid) == sleeper.Process.Pid })
	if kev.int("sig") != int64(unix.SIGKILL) {
		t.Errorf("killed procexit sig = %d, want %d (%v)", kev.int("sig"), unix.SIGKILL, kev)
	}
}

func TestConnect(t *testing.T) {
	c := startProbe(t, Options{IncludeSelf: true, Syscalls: []string{"socket", "bind", "listen", "connect", "accept", "accept4"}})
	ln, err := netListen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	lport := ln.Port()
	accepted := make(chan int, 1)
	go func() {
		port, err := ln.AcceptPeerPort()
		if err != nil {
			accepted <- -1
			return
		}
		accepted <- port
	}()
	clientPort, err := dialAndClose("tcp4", fmt.Sprintf("127.0.0.1:%d", lport))
	if err != nil {
		t.Fatal(err)
	}
	if got := <-accepted; got != clientPort {
		t.Fatalf("accepted peer port %d, dialed from %d", got, clientPort)
	}

	// SOCKTUPLE INET: family, sip[4], sport (LE), dip[4], dport (LE).
	tuple := []byte{2, 127, 0, 0, 1, byte(clientPort), byte(clientPort >> 8), 127, 0, 0, 1, byte(lport), byte(lport >> 8)}
	addr := []byte{2, 127, 0, 0, 1, byte(lport), byte(lport >> 8)}
	conn := c.find(t, "connect", func(e event) bool { return e.typ == 23 && string(e.raw("addr")) == string(addr) })
	if res := conn.int("res"); res != 0 && res != -int64(unix.EINPROGRESS) {
		t.Errorf("connect res = %d", res)
	}
	if got := conn.raw("tuple"); string(got) != string(tuple) {
		t.Errorf("connect tuple = %v, want %v", got, tuple)
	}
	acc := c.find(t, "accept4", func(e event) bool { return e.typ == 389 && e.int("fd") >= 0 && string(e.raw("tuple")) == string(tuple) })
	if acc.int("queuemax") <= 0 {
		t.Errorf("accept4 queuemax = %d, want > 0 (%v)", acc.int("queuemax"), acc)
	}
	bound := []byte{2, 127, 0, 0, 1, 0, 0} // port 0: the kernel picks one
	bind := c.find(t, "bind", func(e event) bool { return e.typ == 21 && string(e.raw("addr")) == string(bound) })
	if bind.int("res") != 0 {
		t.Errorf("bind res = %d", bind.int("res"))
	}
	c.find(t, "listen", func(e event) bool { return e.typ == 25 && e.int("fd") == bind.int("fd") && e.int("res") == 0 })
	sock := c.find(t, "socket", func(e event) bool { return e.typ == 19 && e.int("fd") == conn.int("fd") && e.int("domain") == 2 })
	if sock.int("domain") != 2 || sock.int("type")&0xf != unix.SOCK_STREAM || sock.int("flags") != 4096|64 {
		t.Errorf("socket = %v, want domain 2, SOCK_STREAM, flags CLOEXEC|NONBLOCK", sock)
	}

	// A unix socket: the tuple carries both socket addresses and the path.
	dir := t.TempDir()
	path := filepath.Join(dir, "sock")
	uln, err := netListen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer uln.Close()
	go func() { _, _ = uln.AcceptPeerPort() }()
	if _, err := dialAndClose("unix", path); err != nil {
		t.Fatal(err)
	}
	uaddr := append([]byte{1}, append([]byte(path), 0)...)
	uconn := c.find(t, "unix connect", func(e event) bool { return e.typ == 23 && string(e.raw("addr")) == string(uaddr) })
	tup := uconn.raw("tuple")
	if len(tup) != 17+len(path)+1 || tup[0] != 1 || string(tup[17:]) != path+"\x00" {
		t.Errorf("unix connect tuple = %q, want family 1, two addresses, %q", tup, path)
	}
}

func TestSyscallFilter(t *testing.T) {
	c := startProbe(t, Options{IncludeSelf: true, Syscalls: []string{"openat"}})
	tid := lockThread(t)
	dir := t.TempDir()
	first := filepath.Join(dir, "first")
	if err := unix.Mkdirat(unix.AT_FDCWD, first, 0o700); err != nil {
		t.Fatal(err)
	}
	c.marker()
	if c.any(func(e event) bool { return e.typ == 305 }) {
		t.Errorf("mkdirat event with mkdirat outside the set")
	}
	if err := c.p.SetSyscalls([]string{"openat", "mkdirat"}); err != nil {
		t.Fatalf("SetSyscalls() error = %v", err)
	}
	second := filepath.Join(dir, "second")
	if err := unix.Mkdirat(unix.AT_FDCWD, second, 0o700); err != nil {
		t.Fatal(err)
	}
	c.find(t, "mkdirat after SetSyscalls", func(e event) bool {
		return e.typ == 305 && e.tid == uint64(tid) && e.str("path") == second && e.int("mode") == 0o700
	})
	if err := c.p.SetSyscalls([]string{"mkdirat"}); err != nil {
		t.Fatalf("SetSyscalls() error = %v", err)
	}
	third := filepath.Join(dir, "third")
	_, _ = unix.Open(third, unix.O_RDONLY, 0)
	if err := unix.Mkdirat(unix.AT_FDCWD, filepath.Join(dir, "fourth"), 0o700); err != nil {
		t.Fatal(err)
	}
	c.find(t, "mkdirat marker", func(e event) bool { return e.typ == 305 && strings.HasSuffix(e.str("path"), "fourth") })
	if c.any(isOpenat(third)) {
		t.Errorf("openat event after openat left the set")
	}
	if err := c.p.SetSyscalls([]string{"getpid"}); !errors.Is(err, ErrUnknownSyscall) {
		t.Errorf("SetSyscalls(getpid) error = %v, want ErrUnknownSyscall", err)
	}
}

func TestSelfFilter(t *testing.T) {
	c := startProbe(t, Options{Syscalls: []string{"openat", "close", "execve", "clone", "clone3", ProcExit}})
	dir := t.TempDir()
	mine := filepath.Join(dir, "mine")
	theirs := filepath.Join(dir, "theirs")
	for _, p := range []string{mine, theirs} {
		if err := os.WriteFile(p, nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	f, err := os.Open(mine)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	cat := execCommand("/bin/cat", theirs)
	if err := cat.Run(); err != nil {
		t.Fatal(err)
	}
	ev := c.find(t, "a child's openat", func(e event) bool { return e.typ == 307 && e.str("name") == theirs })
	if int(ev.tid) != cat.Process.Pid {
		t.Errorf("child openat tid = %d, want %d", ev.tid, cat.Process.Pid)
	}
	if c.any(isOpenat(mine)) {
		t.Errorf("the probe captured its own process's openat")
	}
	if c.any(func(e event) bool { return int(e.tid) == os.Getpid() }) {
		t.Errorf("an event from the probe's own main thread")
	}
}

func TestDrops(t *testing.T) {
	bpftest.Privileged(t)
	p, err := Load(Options{IncludeSelf: true, RingSize: 4 * os.Getpagesize(), Syscalls: []string{"openat"}})
	if err != nil {
		t.Fatalf("Load() error = %v", err)
	}
	defer p.Close()
	if err := p.Attach(); err != nil {
		t.Fatal(err)
	}
	const n = 2000
	for range n {
		_, _ = unix.Openat(unix.AT_FDCWD, "/nonexistent/falconer-drop", unix.O_RDONLY, 0)
	}
	if err := p.Detach(); err != nil {
		t.Fatal(err)
	}
	st, err := p.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if st.Events < n || st.DropsBuffer == 0 || st.Drops() != st.DropsBuffer {
		t.Fatalf("Stats() = %+v after %d events into a paused %d-byte ring: want buffer drops", st, n, 4*os.Getpagesize())
	}
	delivered := 0
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if err := p.Read(ctx, func(b [][]byte) error { delivered += len(b); return nil }); err != nil {
		t.Fatal(err)
	}
	if uint64(delivered)+st.DropsBuffer != st.Events {
		t.Errorf("delivered %d + dropped %d != events %d", delivered, st.DropsBuffer, st.Events)
	}
}

func TestSnapshot(t *testing.T) {
	bpftest.Privileged(t)
	p, err := Load(Options{})
	if err != nil {
		t.Fatalf("Load() error = %v", err)
	}
	defer p.Close()
	recs, err := p.Snapshot()
	if err != nil {
		t.Fatalf("Snapshot() error = %v", err)
	}
	tab := eventTable(t)
	pid := os.Getpid()
	var self *event
	threads := 0
	for _, rec := range recs {
		ev, err := decodeEvent(rec, tab)
		if err != nil {
			t.Fatalf("snapshot record: %v", err)
		}
		if ev.typ != 430 {
			t.Fatalf("snapshot record type %d, want 430", ev.typ)
		}
		if int(ev.tid>>32) == pid {
			threads++
			if int(uint32(ev.tid)) == pid {
				self = &ev
			}
		}
	}
	if self == nil {
		t.Fatalf("no record for this process (%d) among %d", pid, len(recs))
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	exe, _ = filepath.EvalSymlinks(exe)
	wd, _ := os.Getwd()
	wd, _ = filepath.EvalSymlinks(wd)
	argv := strings.Join(os.Args, "\x00") + "\x00"
	if got := self.str("exepath"); got != exe {
		t.Errorf("exepath = %q, want %q", got, exe)
	}
	if got := self.str("cwd"); got != wd {
		t.Errorf("cwd = %q, want %q", got, wd)
	}
	if got := string(self.raw("argv")); got != argv {
		t.Errorf("argv = %q, want %q", got, argv)
	}
	if got := self.int("ppid"); got != int64(os.Getppid()) {
		t.Errorf("ppid = %d, want %d", got, os.Getppid())
	}
	if got := self.str("root"); got != "/" {
		t.Errorf("root = %q, want /", got)
	}
	if got := self.str("comm"); !strings.HasPrefix(filepath.Base(os.Args[0]), got) || got == "" {
		t.Errorf("comm = %q, want a prefix of %q", got, filepath.Base(os.Args[0]))
	}
	tasks, err := os.ReadDir("/proc/self/task")
	if err != nil {
		t.Fatal(err)
	}
	if threads < 2 || threads > len(tasks)+8 {
		t.Errorf("%d thread records for this process, /proc lists %d", threads, len(tasks))
	}
}

var execCommand = exec.Command

type listener struct{ net.Listener }

// netListen listens without MPTCP (Go's default for TCP listeners), whose
// socket carries no accept queue of its own.
func netListen(network, addr string) (listener, error) {
	var lc net.ListenConfig
	lc.SetMultipathTCP(false)
	l, err := lc.Listen(context.Background(), network, addr)
	return listener{l}, err
}

func (l listener) Port() int { return l.Addr().(*net.TCPAddr).Port }

// AcceptPeerPort accepts one connection and returns the peer's port (0 for
// unix sockets).
func (l listener) AcceptPeerPort() (int, error) {
	c, err := l.Accept()
	if err != nil {
		return 0, err
	}
	defer c.Close()
	if a, ok := c.RemoteAddr().(*net.TCPAddr); ok {
		return a.Port, nil
	}
	return 0, nil
}

// dialAndClose connects and returns the local port (0 for unix sockets).
func dialAndClose(network, addr string) (int, error) {
	c, err := net.Dial(network, addr)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	if a, ok := c.LocalAddr().(*net.TCPAddr); ok {
		return a.Port, nil
	}
	return 0, nil
}

func TestFiles(t *testing.T) {
	bpftest.Privileged(t)
	p, err := Load(Options{})
	if err != nil {
		t.Fatalf("Load() error = %v", err)
	}
	defer p.Close()
	dir, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	reg, err := os.OpenFile(filepath.Join(dir, "f"), os.O_CREATE|os.O_RDWR|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Close()
	d, err := os.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	ln, err := netListen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	lnFile, err := ln.Listener.(*net.TCPListener).File()
	if err != nil {
		t.Fatal(err)
	}
	defer lnFile.Close()
	upath := filepath.Join(dir, "sock")
	uln, err := netListen("unix", upath)
	if err != nil {
		t.Fatal(err)
	}
	defer uln.Close()
	ufile, err := uln.Listener.(*net.UnixListener).File()
	if err != nil {
		t.Fatal(err)
	}
	defer ufile.Close()
	var pipe [2]int
	if err := unix.Pipe2(pipe[:], unix.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	defer unix.Close(pipe[0])
	defer unix.Close(pipe[1])

	recs, err := p.Files()
	if err != nil {
		t.Fatalf("Files() error = %v", err)
	}
	tab := eventTable(t)
	mine := map[uint32]event{}
	for _, rec := range recs {
		ev, err := decodeEvent(rec, tab)
		if err != nil {
			t.Fatalf("file record: %v", err)
		}
		if int(ev.tid>>32) == os.Getpid() {
			mine[uint32(ev.uint("fd"))] = ev
		}
	}
	stat := func(fd uintptr) uint64 {
		var st unix.Stat_t
		if err := unix.Fstat(int(fd), &st); err != nil {
			t.Fatal(err)
		}
		return st.Ino
	}
	check := func(what string, fd uintptr, typ uint16, w want) {
		t.Helper()
		ev, ok := mine[uint32(fd)]
		if !ok {
			t.Errorf("%s: no record for fd %d", what, fd)
			return
		}
		if ev.typ != typ {
			t.Errorf("%s: record type %d, want %d (%v)", what, ev.typ, typ, ev)
			return
		}
		w["ino_num"] = int64(stat(fd))
		if err := w.match(ev); err != nil {
			t.Errorf("%s: %v in %v", what, err, ev)
		}
	}
	// f_flags: O_CREAT and O_CLOEXEC are not kept, O_LARGEFILE is forced.
	check("regular file", reg.Fd(), 436, want{"path": reg.Name(), "flags": 3 | 8 | 2048})
	check("directory", d.Fd(), 438, want{"path": dir})
	check("pipe", uintptr(pipe[0]), 432, want{})
	port := ln.Port()
	check("tcp listener", lnFile.Fd(), 440, want{"sk_type": unix.SOCK_STREAM, "sk_proto": unix.IPPROTO_TCP,
		"local_ip": []byte{127, 0, 0, 1}, "local_port": port, "remote_port": 0})
	check("unix listener", ufile.Fd(), 444, want{"sun_path": upath, "sk_type": unix.SOCK_STREAM})
}
