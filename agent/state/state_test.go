package state_test

import (
	"bytes"
	"net/netip"
	"os"
	"testing"

	"github.com/falconer-sec/falconer/agent/scap"
	"github.com/falconer-sec/falconer/agent/scap/scaptest"
	"github.com/falconer-sec/falconer/agent/state"
	"github.com/falconer-sec/falconer/compiler/eval"
)

const containerCgroup = "cpuset=/kubepods/besteffort/pod1234/cri-containerd-3ad7b26ded6d8e7b23da7d48fe889434573036c27ae5a74837233de441c3601e.scope"

// capture writes a small capture: a process tree (systemd > sshd > bash),
// then activity that exercises every kind of state the rules rely on.
func capture(t *testing.T, events func(b *scaptest.Builder)) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := scap.NewWriter(&buf, scap.WriterOptions{})
	if err := w.WriteUsers([]scap.User{{UID: 0, GID: 0, Name: "root", Home: "/root", Shell: "/bin/bash"}, {UID: 1000, GID: 1000, Name: "dev", Home: "/home/dev", Shell: "/bin/bash"}},
		[]scap.Group{{GID: 0, Name: "root"}, {GID: 1000, Name: "dev"}}); err != nil {
		t.Fatal(err)
	}
	procs := []scap.Process{
		{Tid: 1, Pid: 1, Ptid: 0, Comm: "systemd", Exe: "/sbin/init", ExePath: "/usr/lib/systemd/systemd", Cwd: "/", LoginUID: 0xFFFFFFFF},
		{Tid: 800, Pid: 800, Ptid: 1, Comm: "sshd", Exe: "sshd", ExePath: "/usr/sbin/sshd", Args: "-D\x00", Cwd: "/", LoginUID: 0xFFFFFFFF},
		{Tid: 900, Pid: 900, Ptid: 800, Comm: "bash", Exe: "-bash", ExePath: "/usr/bin/bash", Cwd: "/home/dev", UID: 1000, GID: 1000, LoginUID: 1000, Tty: 34816},
	}
	if err := w.WriteProcesses(procs); err != nil {
		t.Fatal(err)
	}
	if err := w.WriteFDs(scap.FDList{Tid: 900, FDs: []scap.FD{{Num: 0, Type: scap.FDFileV2, Name: "/dev/pts/0", OpenFlags: uint32(scap.OpenReadWrite)}}}); err != nil {
		t.Fatal(err)
	}
	b := scaptest.NewBuilder(w, 1767225600e9)
	events(b)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// replay feeds a capture through a state table and returns a copy of
// what matters of every event that reaches the rules.
type seen struct {
	typ, name, dir, pname, aname2, cmdline, exepath, user, cwd, fdType, container string
	fdNum                                                                         int64
	cip, sip                                                                      string
}

func replay(t *testing.T, data []byte) []seen {
	t.Helper()
	r, err := scap.NewReader(bytes.NewReader(data), scap.ReaderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	tab := state.New(state.Options{Hostname: "test"})
	tab.SeedCapture(r)
	var out []seen
	for {
		e, err := r.Next()
		if err != nil {
			break
		}
		ev, ok := tab.Process(e)
		if !ok {
			continue
		}
		s := seen{typ: ev.Type}
		if th := ev.Thread; th != nil {
			s.cmdline, s.exepath, s.cwd = th.Cmdline(), th.ExePath, th.Cwd
			if th.Parent != nil {
				s.pname = th.Parent.Comm
			}
			if a := th.Ancestor(2); a != nil {
				s.aname2 = a.Comm
			}
			if th.User != nil {
				s.user = th.User.Name
			}
			s.container = th.ContainerID
		}
		if fd := ev.FD; fd != nil {
			s.name, s.fdNum, s.fdType = fd.Name, fd.Num, fd.Type.String()
			if fd.Type == eval.FDFile && len(fd.Name) > 0 && fd.Name[0] == '/' {
				s.dir = fd.Name[:max(1, lastSlash(fd.Name))]
			}
			if fd.ClientIP.IsValid() {
				s.cip = netip.AddrPortFrom(fd.ClientIP, fd.ClientPort).String()
				s.sip = netip.AddrPortFrom(fd.ServerIP, fd.ServerPort).String()
			}
		}
		out = append(out, s)
	}
	return out
}

func lastSlash(s string) int {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == '/' {
			return i
		}
	}
	return 0
}

func TestProcessTreeAndPaths(t *testing.T) {
	data := capture(t, func(b *scaptest.Builder) {
		must := func(err error) {
			if err != nil {
				t.Fatal(err)
			}
		}
		// bash forks a child that execs cat with a relative path.
		must(b.Clone(900, scaptest.Clone{Res: 1000, Exe: "-bash", Comm: "bash", Ptid: 800, UID: 1000, GID: 1000}))
		must(b.Clone(1000, scaptest.Clone{Res: 0, Exe: "-bash", Comm: "bash", Ptid: 900, UID: 1000, GID: 1000}))
		must(b.Execve(1000, scaptest.Exec{Exe: "cat", Args: []string{"notes.txt"}, ExePath: "/usr/bin/cat", Ptid: 900, UID: 1000, GID: 1000, Login: true, LoginUID: 1000, Tty: 34816}))
		must(b.Openat(1000, 3, scap.AtFDCWD, "notes.txt", scap.OpenReadOnly, 0))          // relative to cwd /home/dev
		must(b.Openat(1000, 4, scap.AtFDCWD, "/etc/../etc/shadow", scap.OpenReadOnly, 0)) // needs cleaning
		must(b.Openat(1000, 5, scap.AtFDCWD, "/var/log", scap.OpenReadOnly|scap.OpenDirectory, 0))
		must(b.Openat(1000, 6, 5, "syslog", scap.OpenReadOnly, 0)) // relative to dirfd 5
		must(b.Dup2(1000, 1, 6, 1))
		must(b.Close(1000, 6, 0))
		must(b.Chdir(1000, 0, "/tmp"))
		must(b.Openat(1000, 7, scap.AtFDCWD, "x", scap.OpenWriteOnly|scap.OpenCreate, 0o644))
		must(b.Socket(1000, 8, scap.AFInet, 1, 6))
		must(b.Connect(1000, 8, 0, netip.MustParseAddrPort("10.0.0.5:40000"), netip.MustParseAddrPort("203.0.113.7:443")))
		must(b.ProcExit(1000, 0, 900))
		must(b.Openat(1000, 9, scap.AtFDCWD, "after-exit", scap.OpenReadOnly, 0)) // a late event from a dead tid
	})
	got := replay(t, data)
	want := []seen{
		{typ: "clone", pname: "sshd", aname2: "systemd", cmdline: "bash", exepath: "/usr/bin/bash", user: "dev", cwd: "/home/dev"},
		{typ: "clone", pname: "bash", aname2: "sshd", cmdline: "bash", exepath: "/usr/bin/bash", user: "dev", cwd: "/home/dev"},
		{typ: "execve", pname: "bash", aname2: "sshd", cmdline: "cat notes.txt", exepath: "/usr/bin/cat", user: "dev", cwd: "/home/dev"},
		{typ: "openat", name: "/home/dev/notes.txt", dir: "/home/dev", fdNum: 3, fdType: "file", pname: "bash", aname2: "sshd", cmdline: "cat notes.txt", exepath: "/usr/bin/cat", user: "dev", cwd: "/home/dev"},
		{typ: "openat", name: "/etc/shadow", dir: "/etc", fdNum: 4, fdType: "file", pname: "bash", aname2: "sshd", cmdline: "cat notes.txt", exepath: "/usr/bin/cat", user: "dev", cwd: "/home/dev"},
		{typ: "openat", name: "/var/log", fdNum: 5, fdType: "directory", pname: "bash", aname2: "sshd", cmdline: "cat notes.txt", exepath: "/usr/bin/cat", user: "dev", cwd: "/home/dev"},
		{typ: "openat", name: "/var/log/syslog", dir: "/var/log", fdNum: 6, fdType: "file", pname: "bash", aname2: "sshd", cmdline: "cat notes.txt", exepath: "/usr/bin/cat", user: "dev", cwd: "/home/dev"},
		{typ: "dup2", name: "/var/log/syslog", dir: "/var/log", fdNum: 6, fdType: "file", pname: "bash", aname2: "sshd", cmdline: "cat notes.txt", exepath: "/usr/bin/cat", user: "dev", cwd: "/home/dev"},
		{typ: "close", name: "/var/log/syslog", dir: "/var/log", fdNum: 6, fdType: "file", pname: "bash", aname2: "sshd", cmdline: "cat notes.txt", exepath: "/usr/bin/cat", user: "dev", cwd: "/home/dev"},
		{typ: "chdir", pname: "bash", aname2: "sshd", cmdline: "cat notes.txt", exepath: "/usr/bin/cat", user: "dev", cwd: "/tmp"},
		{typ: "openat", name: "/tmp/x", dir: "/tmp", fdNum: 7, fdType: "file", pname: "bash", aname2: "sshd", cmdline: "cat notes.txt", exepath: "/usr/bin/cat", user: "dev", cwd: "/tmp"},
		{typ: "socket", fdNum: 8, fdType: "ipv4", pname: "bash", aname2: "sshd", cmdline: "cat notes.txt", exepath: "/usr/bin/cat", user: "dev", cwd: "/tmp"},
		{typ: "connect", name: "10.0.0.5:40000->203.0.113.7:443", fdNum: 8, fdType: "ipv4", pname: "bash", aname2: "sshd", cmdline: "cat notes.txt", exepath: "/usr/bin/cat", user: "dev", cwd: "/tmp", cip: "10.0.0.5:40000", sip: "203.0.113.7:443"},
		{typ: "procexit", pname: "bash", aname2: "sshd", cmdline: "cat notes.txt", exepath: "/usr/bin/cat", user: "dev", cwd: "/tmp"},
		{typ: "openat", name: "after-exit", fdNum: 9, fdType: "file"},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d events, want %d:\n%+v", len(got), len(want), got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("event %d:\n got %+v\nwant %+v", i+1, got[i], want[i])
		}
	}
}

func TestContainerID(t *testing.T) {
	tests := []struct {
		cgroups []string
		want    string
	}{
		{[]string{"cpuset=/", "memory=/user.slice"}, ""},
		{[]string{"cpuset=/docker/3ad7b26ded6d8e7b23da7d48fe889434573036c27ae5a74837233de441c3601e"}, "3ad7b26ded6d"},
		{[]string{containerCgroup}, "3ad7b26ded6d"},
		{[]string{"0::/system.slice/docker-3ad7b26ded6d8e7b23da7d48fe889434573036c27ae5a74837233de441c3601e.scope"}, "3ad7b26ded6d"},
		{[]string{"0::/kubepods.slice/kubepods-pod1.slice/crio-3ad7b26ded6d8e7b23da7d48fe889434573036c27ae5a74837233de441c3601e.scope"}, "3ad7b26ded6d"},
		{[]string{"0::/machine.slice/libpod-3ad7b26ded6d8e7b23da7d48fe889434573036c27ae5a74837233de441c3601e.scope/container"}, "3ad7b26ded6d"},
		{[]string{"0::/user.slice/3ad7b26ded6d8e7b23da7d48fe889434573036c27ae5a74837233de441c360"}, ""}, // 63 digits
	}
	for _, tt := range tests {
		if got := state.ContainerID(tt.cgroups); got != tt.want {
			t.Errorf("ContainerID(%q) = %q, want %q", tt.cgroups, got, tt.want)
		}
	}
}

func TestExecInContainerAndThreads(t *testing.T) {
	data := capture(t, func(b *scaptest.Builder) {
		must := func(err error) {
			if err != nil {
				t.Fatal(err)
			}
		}
		must(b.Clone(1, scaptest.Clone{Res: 2000, Exe: "/sbin/init", Comm: "systemd"}))
		must(b.Clone(2000, scaptest.Clone{Res: 0, Exe: "runc", Comm: "runc", Ptid: 1, Cgroups: []string{containerCgroup}}))
		must(b.Execve(2000, scaptest.Exec{Exe: "/bin/sh", Args: []string{"-c", "id"}, Ptid: 1, Cgroups: []string{containerCgroup}, Tty: 34817}))
		// A thread of the shell shares its fds.
		must(b.Clone(2000, scaptest.Clone{Res: 2001, Exe: "/bin/sh", Comm: "sh", Ptid: 1, Flags: scap.CloneThread | scap.CloneFiles | scap.CloneVM}))
		must(b.Openat(2001, 3, scap.AtFDCWD, "/etc/hosts", scap.OpenReadOnly, 0))
		must(b.Close(2000, 3, 0))
	})
	got := replay(t, data)
	if len(got) != 6 {
		t.Fatalf("got %d events: %+v", len(got), got)
	}
	if got[2].container != "3ad7b26ded6d" || got[2].cmdline != "sh -c id" {
		t.Errorf("execve in container: %+v", got[2])
	}
	if got[4].container != "3ad7b26ded6d" || got[4].name != "/etc/hosts" {
		t.Errorf("open from a thread: %+v", got[4])
	}
	if got[5].name != "/etc/hosts" {
		t.Errorf("close by the leader of an fd its thread opened: %+v", got[5])
	}
}

func TestSeedProc(t *testing.T) {
	tab := state.New(state.Options{})
	n, err := tab.SeedProc("/proc", "/etc")
	if err != nil {
		t.Skipf("no procfs: %v", err)
	}
	if n == 0 {
		t.Fatal("SeedProc found no process")
	}
	self := tab.Thread(int64(os.Getpid()))
	if self == nil {
		t.Fatal("the test's own process is not in the table")
	}
	exe, _ := os.Executable()
	if self.ExePath != exe {
		t.Errorf("own exepath = %q, want %q", self.ExePath, exe)
	}
	if self.Parent == nil || self.Parent.Pid != int64(os.Getppid()) {
		t.Errorf("own parent = %+v, want pid %d", self.Parent, os.Getppid())
	}
	if wd, _ := os.Getwd(); self.Cwd != wd {
		t.Errorf("own cwd = %q, want %q", self.Cwd, wd)
	}
	if self.User == nil || self.User.UID != uint32(os.Getuid()) {
		t.Errorf("own user = %+v, want uid %d", self.User, os.Getuid())
	}
}

// TestWriteTablesRoundTrip writes the table seeded from a capture and
// reads it back: the process tree and fds survive.
func TestWriteTablesRoundTrip(t *testing.T) {
	data := capture(t, func(b *scaptest.Builder) {
		if err := b.Openat(900, 5, scap.AtFDCWD, "/etc/hosts", scap.OpenReadOnly, 0); err != nil {
			t.Fatal(err)
		}
	})
	r, err := scap.NewReader(bytes.NewReader(data), scap.ReaderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	tab := state.New(state.Options{})
	tab.SeedCapture(r)
	for {
		e, err := r.Next()
		if err != nil {
			break
		}
		tab.Process(e)
	}
	var buf bytes.Buffer
	w := scap.NewWriter(&buf, scap.WriterOptions{})
	if err := tab.WriteTables(w); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	r2, err := scap.NewReader(bytes.NewReader(buf.Bytes()), scap.ReaderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	tab2 := state.New(state.Options{})
	tab2.SeedCapture(r2)
	bash := tab2.Thread(900)
	if bash == nil || bash.Comm != "bash" || bash.Parent == nil || bash.Parent.Comm != "sshd" || bash.User == nil || bash.User.Name != "dev" {
		t.Fatalf("bash after round trip = %+v", bash)
	}
	if fd := tab2.FD(900, 5); fd == nil || fd.Name != "/etc/hosts" || fd.Type != eval.FDFile {
		t.Errorf("fd 5 after round trip = %+v", fd)
	}
	if fd := tab2.FD(900, 0); fd == nil || fd.Name != "/dev/pts/0" {
		t.Errorf("fd 0 after round trip = %+v", fd)
	}
}
