package scaptest

import (
	"math/rand/v2"
	"net/netip"
	"strconv"

	"github.com/falconer-sec/falconer/agent/scap"
)

// Config sizes a synthetic capture. The zero value is usable.
type Config struct {
	// Events is the number of live events to write after the tables and
	// the initial user/group events; 0 means 1,000,000.
	Events int
	// Seed makes the capture reproducible; equal configs write equal
	// bytes.
	Seed uint64
	// Start is the first timestamp; 0 means 1.7e18 (November 2023).
	Start uint64
	// SpawnEvery is the average number of events between two process
	// spawns (clone in the parent and the child, execve, and later an
	// exit); 0 means 200.
	SpawnEvery int
}

// Stats counts what Generate wrote.
type Stats struct {
	Events   uint64 // every event, meta events included
	Opens    uint64 // open and openat
	Closes   uint64
	Clones   uint64
	Execs    uint64
	Exits    uint64
	Connects uint64
	Other    uint64 // socket, dup2, fcntl, chdir
}

type proc struct {
	tid, pid, ptid int64
	exe, comm      string
	uid            uint32
	fds            []int64 // open fds in opening order
	nextFD         int64
	budget         int // events left before the process exits (children only)
	child          bool
}

func (p *proc) allocFD() int64 {
	fd := p.nextFD
	p.nextFD++
	return fd
}

var (
	libPaths = []string{
		"/etc/ld.so.cache", "/lib/x86_64-linux-gnu/libc.so.6", "/lib/x86_64-linux-gnu/libpthread.so.0",
		"/lib/x86_64-linux-gnu/libdl.so.2", "/lib/x86_64-linux-gnu/libm.so.6", "/usr/lib/locale/locale-archive",
	}
	filePaths = []string{
		"/etc/passwd", "/etc/group", "/etc/nsswitch.conf", "/etc/hosts", "/etc/resolv.conf",
		"/proc/self/stat", "/proc/meminfo", "/proc/stat", "/sys/fs/cgroup/cpu.max",
		"/var/log/syslog", "/var/lib/dpkg/status", "/usr/share/zoneinfo/UTC", "/var/log/build.log",
		"/home/alice/.bashrc", "/home/alice/project/main.go", "/run/systemd/journal/socket",
	}
	relPaths = []string{"main.go", "go.mod", "README.md", "src/lib.rs", "../notes.txt", ".git/HEAD"}
	programs = []struct {
		exe  string
		args []string
	}{
		{"/usr/bin/ls", []string{"-la", "/var/log"}},
		{"/usr/bin/cat", []string{"/etc/os-release"}},
		{"/usr/bin/grep", []string{"-r", "TODO", "."}},
		{"/usr/bin/git", []string{"status", "--short"}},
		{"/usr/bin/curl", []string{"-s", "https://example.com"}},
		{"/usr/bin/find", []string{".", "-name", "*.go"}},
		{"/usr/bin/ps", []string{"aux"}},
		{"/usr/bin/python3", []string{"-c", "print(1)"}},
		{"/usr/bin/sh", []string{"-c", "true"}},
		{"/usr/bin/id", nil},
	}
	cgroups = []string{"cpuset=/", "cpu=/user.slice", "memory=/user.slice/user-1000.slice/user@1000.service", "pids=/user.slice"}
	env     = []string{"PATH=/usr/local/bin:/usr/bin:/bin", "HOME=/home/alice", "LANG=C.UTF-8", "TERM=xterm-256color", "USER=alice"}
)

// Tables writes the metadata blocks of the synthetic host: machine info,
// interfaces, users and groups, a process list (init, a daemon, an sshd
// and a login shell) and their fd tables. It returns the shell's tid,
// which spawns the generated children.
func Tables(w *scap.Writer) (shell int64, err error) {
	if err := w.WriteMachine(scap.MachineInfo{NumCPUs: 2, MemorySizeBytes: 8 << 30, Hostname: "synth", BootTime: 1690000000000000000}); err != nil {
		return 0, err
	}
	if err := w.WriteInterfaces([]scap.Interface{
		{Type: scap.IfIPv4, Name: "lo", Addr: netip.MustParseAddr("127.0.0.1"), Netmask: netip.MustParseAddr("255.0.0.0"), Broadcast: netip.MustParseAddr("127.255.255.255")},
		{Type: scap.IfIPv4, Name: "eth0", Addr: netip.MustParseAddr("10.0.2.15"), Netmask: netip.MustParseAddr("255.255.255.0"), Broadcast: netip.MustParseAddr("10.0.2.255"), LinkSpeed: 1000},
		{Type: scap.IfIPv6, Name: "lo", Addr: netip.MustParseAddr("::1"), Netmask: netip.MustParseAddr("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), Broadcast: netip.IPv6Unspecified()},
	}); err != nil {
		return 0, err
	}
	if err := w.WriteUsers(users, groups); err != nil {
		return 0, err
	}
	procs := []scap.Process{
		baseProcess(1, 1, 0, "systemd", "/usr/lib/systemd/systemd", 0),
		baseProcess(420, 420, 1, "systemd-journal", "/usr/lib/systemd/systemd-journald", 0),
		baseProcess(800, 800, 1, "sshd", "/usr/sbin/sshd", 0),
		baseProcess(1200, 1200, 800, "bash", "/usr/bin/bash", 1000),
		baseProcess(1201, 1200, 800, "bash", "/usr/bin/bash", 1000),
	}
	procs[3].Tty, procs[3].LoginUID, procs[3].Cwd = 34816, 1000, "/home/alice/project"
	procs[4].Tty, procs[4].LoginUID, procs[4].Cwd = 34816, 1000, "/home/alice/project"
	if err := w.WriteProcesses(procs); err != nil {
		return 0, err
	}
	for _, p := range procs {
		l := scap.FDList{Tid: p.Tid}
		if p.Tid == p.Pid { // only thread-group leaders own fds
			l.FDs = []scap.FD{
				{Num: 0, Type: scap.FDFileV2, Name: "/dev/null", OpenFlags: uint32(scap.OpenReadWrite), Ino: 5},
				{Num: 1, Type: scap.FDFileV2, Name: "/dev/pts/0", OpenFlags: uint32(scap.OpenReadWrite), Ino: 3},
				{Num: 2, Type: scap.FDFileV2, Name: "/dev/pts/0", OpenFlags: uint32(scap.OpenReadWrite), Ino: 3},
			}
		}
		if err := w.WriteFDs(l); err != nil {
			return 0, err
		}
	}
	return 1200, nil
}

var (
	users  = []scap.User{{UID: 0, GID: 0, Name: "root", Home: "/root", Shell: "/bin/bash"}, {UID: 1000, GID: 1000, Name: "alice", Home: "/home/alice", Shell: "/bin/bash"}, {UID: 33, GID: 33, Name: "www-data", Home: "/var/www", Shell: "/usr/sbin/nologin"}}
	groups = []scap.Group{{GID: 0, Name: "root"}, {GID: 1000, Name: "alice"}, {GID: 33, Name: "www-data"}}
)

func baseProcess(tid, pid, ptid int64, comm, exe string, uid uint32) scap.Process {
	return scap.Process{
		Tid: tid, Pid: pid, Ptid: ptid, Sid: pid, Vpgid: pid, Pgid: pid, Comm: comm, Exe: base(exe), ExePath: exe,
		Cwd: "/", FdLimit: 1024, UID: uid, GID: uid, VmSizeKB: 10000, VmRSSKB: 4000,
		Env: scap.JoinNUL(env...), Vtid: tid, Vpid: pid, Cgroups: scap.JoinNUL(cgroups...), Root: "/",
		LoginUID: 0xFFFFFFFF, CapPermitted: 0x1ffffffffff, CapEffective: 0x1ffffffffff, ExeIno: inode(exe),
	}
}

// Generate writes a synthetic capture to w: the tables of Tables, the
// user and group meta events Falco writes after them, then cfg.Events
// live events. About 45% are openat/open, 45% close, and the rest process
// spawns (clone in parent and child, execve), exits, socket/connect, dup2
// and chdir, across a tree of short-lived children of a login shell. It
// does not close w.
func Generate(w *scap.Writer, cfg Config) (Stats, error) {
	if cfg.Events <= 0 {
		cfg.Events = 1_000_000
	}
	if cfg.Start == 0 {
		cfg.Start = 1_700_000_000_000_000_000
	}
	if cfg.SpawnEvery <= 0 {
		cfg.SpawnEvery = 200
	}
	shellTid, err := Tables(w)
	if err != nil {
		return Stats{}, err
	}
	b := NewBuilder(w, cfg.Start)
	b.Step = 937
	var st Stats
	for _, u := range users {
		if err := b.UserAdded(u, ""); err != nil {
			return st, err
		}
		st.Events++
	}
	for _, g := range groups {
		if err := b.GroupAdded(g, ""); err != nil {
			return st, err
		}
		st.Events++
	}
	g := &gen{b: b, rng: rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15)), st: &st, nextTid: 5000}
	shell := &proc{tid: shellTid, pid: shellTid, ptid: 800, exe: "/usr/bin/bash", comm: "bash", uid: 1000, nextFD: 3}
	g.live = []*proc{shell, {tid: 420, pid: 420, ptid: 1, exe: "/usr/lib/systemd/systemd-journald", comm: "systemd-journal", nextFD: 3}}
	g.shell = shell
	target := st.Events + uint64(cfg.Events)
	for st.Events < target {
		var err error
		switch r := g.rng.IntN(cfg.SpawnEvery); {
		case r == 0 && len(g.live) < 64:
			err = g.spawn(target - st.Events)
		case r < 3:
			err = g.network()
		case r < 5:
			err = g.misc()
		default:
			err = g.fileIO()
		}
		if err != nil {
			return st, err
		}
	}
	return st, nil
}

type gen struct {
	b       *Builder
	rng     *rand.Rand
	st      *Stats
	live    []*proc
	shell   *proc
	nextTid int64
}

// emit counts one event and lets children run out their budget.
func (g *gen) emit(p *proc, err error, counter *uint64) error {
	if err != nil {
		return err
	}
	g.st.Events++
	*counter++
	if p.child {
		p.budget--
	}
	return nil
}

func (g *gen) pick() *proc {
	// Children do most of the work, the shell and the daemon some.
	return g.live[g.rng.IntN(len(g.live))]
}

func (g *gen) fileIO() error {
	p := g.pick()
	if p.child && p.budget <= 0 && len(p.fds) == 0 {
		return g.exit(p)
	}
	if len(p.fds) > 0 && (len(p.fds) >= 8 || g.rng.IntN(2) == 0 || p.budget <= 0) {
		fd := p.fds[0]
		p.fds = p.fds[1:]
		return g.emit(p, g.b.Close(p.tid, fd, 0), &g.st.Closes)
	}
	switch r := g.rng.IntN(10); {
	case r < 3:
		path := libPaths[g.rng.IntN(len(libPaths))]
		fd := p.allocFD()
		p.fds = append(p.fds, fd)
		return g.emit(p, g.b.Openat(p.tid, fd, scap.AtFDCWD, path, scap.OpenReadOnly|scap.OpenCloexec, 0), &g.st.Opens)
	case r < 5:
		path := relPaths[g.rng.IntN(len(relPaths))]
		if g.rng.IntN(4) == 0 { // a missing file
			return g.emit(p, g.b.Openat(p.tid, -2, scap.AtFDCWD, path, scap.OpenReadOnly, 0), &g.st.Opens)
		}
		fd := p.allocFD()
		p.fds = append(p.fds, fd)
		return g.emit(p, g.b.Openat(p.tid, fd, scap.AtFDCWD, path, scap.OpenReadOnly|scap.OpenCloexec, 0), &g.st.Opens)
	case r < 6:
		path := "/var/log/app/out-" + strconv.FormatInt(p.tid, 10) + ".log"
		fd := p.allocFD()
		p.fds = append(p.fds, fd)
		flags := scap.OpenWriteOnly | scap.OpenCreate | scap.OpenTrunc | scap.OpenCloexec | scap.OpenFCreated
		return g.emit(p, g.b.Open(p.tid, fd, path, flags, 0o644), &g.st.Opens)
	default:
		path := filePaths[g.rng.IntN(len(filePaths))]
		fd := p.allocFD()
		p.fds = append(p.fds, fd)
		return g.emit(p, g.b.Openat(p.tid, fd, scap.AtFDCWD, path, scap.OpenReadOnly|scap.OpenCloexec, 0), &g.st.Opens)
	}
}

func (g *gen) spawn(left uint64) error {
	parent := g.shell
	if len(g.live) > 2 && g.rng.IntN(3) == 0 {
		parent = g.live[2+g.rng.IntN(len(g.live)-2)] // a child spawning a grandchild
	}
	tid := g.nextTid
	g.nextTid++
	c := Clone{Exe: parent.exe, Comm: parent.comm, Cwd: "/home/alice/project", Cgroups: cgroups,
		Flags: scap.CloneChildCleartid | scap.CloneChildSettid, UID: parent.uid, GID: parent.uid}
	c.Res, c.Ptid, c.Pid = tid, parent.ptid, parent.pid
	if err := g.emit(parent, g.b.Clone(parent.tid, c), &g.st.Clones); err != nil {
		return err
	}
	c.Res, c.Ptid, c.Pid = 0, parent.tid, tid
	child := &proc{tid: tid, pid: tid, ptid: parent.tid, uid: parent.uid, nextFD: 3, child: true, budget: 20 + g.rng.IntN(200)}
	if err := g.emit(child, g.b.Clone(tid, c), &g.st.Clones); err != nil {
		return err
	}
	prog := programs[g.rng.IntN(len(programs))]
	child.exe, child.comm = prog.exe, base(prog.exe)
	e := Exec{Exe: base(prog.exe), Args: prog.args, ExePath: prog.exe, Ptid: parent.tid, Env: env, Cgroups: cgroups,
		Tty: 34816, Login: true, LoginUID: 1000, UID: parent.uid, GID: parent.uid, Pgid: tid}
	if err := g.emit(child, g.b.Execve(tid, e), &g.st.Execs); err != nil {
		return err
	}
	g.live = append(g.live, child)
	return nil
}

func (g *gen) exit(p *proc) error {
	for i, q := range g.live {
		if q == p {
			g.live = append(g.live[:i], g.live[i+1:]...)
			break
		}
	}
	return g.emit(p, g.b.ProcExit(p.tid, 0, 0), &g.st.Exits)
}

func (g *gen) network() error {
	p := g.pick()
	fd := p.allocFD()
	if err := g.emit(p, g.b.Socket(p.tid, fd, scap.AFInet, 1, 6), &g.st.Other); err != nil {
		return err
	}
	src := netip.AddrPortFrom(netip.MustParseAddr("10.0.2.15"), uint16(32768+g.rng.IntN(28000)))
	dst := netip.AddrPortFrom(netip.AddrFrom4([4]byte{93, 184, byte(g.rng.IntN(256)), 34}), 443)
	res := int64(0)
	if g.rng.IntN(5) == 0 {
		res = -111 // ECONNREFUSED
	}
	p.fds = append(p.fds, fd)
	return g.emit(p, g.b.Connect(p.tid, fd, res, src, dst), &g.st.Connects)
}

func (g *gen) misc() error {
	p := g.pick()
	if len(p.fds) > 0 && g.rng.IntN(2) == 0 {
		return g.emit(p, g.b.Dup2(p.tid, 1, p.fds[len(p.fds)-1], 1), &g.st.Other)
	}
	return g.emit(p, g.b.Chdir(p.tid, 0, "/home/alice/project"), &g.st.Other)
}
