package state

import (
	"path"
	"strconv"
	"strings"

	"github.com/falconer-sec/falconer/agent/scap"
	"github.com/falconer-sec/falconer/compiler/eval"
)

// Options configures a Table. The zero value has sensible limits.
type Options struct {
	// Hostname is evt.hostname for every event.
	Hostname string
	// MaxThreads caps the thread table (default 262144); beyond it new
	// threads are tracked without being stored, and Stats counts them.
	MaxThreads int
	// MaxFDs caps each process's fd table (default 65536).
	MaxFDs int
}

// Stats counts what the table did.
type Stats struct {
	Events        uint64 // events processed
	Threads       int    // threads in the table now
	ThreadsAdded  uint64
	ThreadsPurged uint64
	// ThreadsUnknown counts events from threads the table had never
	// seen (created on the fly with what the event tells).
	ThreadsUnknown uint64
	// Dropped counts threads and fds not stored because of the caps.
	DroppedThreads uint64
	DroppedFDs     uint64
}

// thread is one entry of the table. The eval.Thread is what rules see;
// fds is shared by all threads of a process.
type thread struct {
	eval.Thread
	fds  *fdTable
	main *thread // the thread group leader (itself for a leader)
}

type fdTable struct {
	m map[int64]*eval.FD
}

func newFDTable() *fdTable { return &fdTable{m: make(map[int64]*eval.FD, 8)} }

// Table is the state engine. It is not safe for concurrent use: feed it
// from one goroutine, in stream order.
type Table struct {
	opts       Options
	threads    map[int64]*thread
	users      map[uint32]*eval.User
	groups     map[uint32]*eval.Group
	containers map[string]*eval.Container

	// The event handed to the rules, reused for every event, with what
	// it points to.
	ev    eval.Event
	args  lazyArgs
	strs  map[string]string // interned paths
	stats Stats
	num   uint64

	// failedFD is ev.FD for a failed open (never stored); pathBuf is
	// where relative paths are joined.
	failedFD eval.FD
	pathBuf  []byte
}

// New returns an empty table.
func New(opts Options) *Table {
	if opts.MaxThreads <= 0 {
		opts.MaxThreads = 1 << 18
	}
	if opts.MaxFDs <= 0 {
		opts.MaxFDs = 1 << 16
	}
	return &Table{
		opts:       opts,
		threads:    make(map[int64]*thread, 1024),
		users:      map[uint32]*eval.User{},
		groups:     map[uint32]*eval.Group{},
		containers: map[string]*eval.Container{},
		strs:       make(map[string]string, 1024),
	}
}

// Stats returns the counters.
func (t *Table) Stats() Stats {
	s := t.stats
	s.Threads = len(t.threads)
	return s
}

// Thread returns the thread with id tid, or nil.
func (t *Table) Thread(tid int64) *eval.Thread {
	if th := t.threads[tid]; th != nil {
		return &th.Thread
	}
	return nil
}

// FD returns file descriptor fd of the process of thread tid, or nil.
func (t *Table) FD(tid, fd int64) *eval.FD {
	if th := t.threads[tid]; th != nil {
		return th.fds.m[fd]
	}
	return nil
}

// AddUser records a user account (from a capture's user list, an
// USER_ADDED event, or /etc/passwd).
func (t *Table) AddUser(u eval.User) {
	uu := u
	t.users[u.UID] = &uu
	for _, th := range t.threads {
		if th.UID == u.UID {
			th.User = &uu
		}
		if th.LoginUID == int64(u.UID) {
			th.LoginUser = &uu
		}
	}
}

// AddGroup records a group.
func (t *Table) AddGroup(g eval.Group) {
	gg := g
	t.groups[g.GID] = &gg
	for _, th := range t.threads {
		if th.GID == g.GID {
			th.Group = &gg
		}
	}
}

// SetContainer records metadata for a container id (12 characters).
func (t *Table) SetContainer(c eval.Container) {
	cc := c
	t.containers[c.ID] = &cc
	for _, th := range t.threads {
		if th.ContainerID == c.ID {
			th.Container = &cc
		}
	}
}

// AddProcess seeds the table with a process (or thread) description:
// from a capture's process list, or /proc. Parents are linked by
// Link once every process is added.
func (t *Table) AddProcess(p scap.Process) {
	th := t.newThread(p.Tid)
	if th == nil {
		return
	}
	th.Pid, th.PPid = p.Pid, p.Ptid
	th.SID, th.VPGID, th.PGID = p.Sid, p.Vpgid, p.Pgid
	th.VTid, th.VPid = p.Vtid, p.Vpid
	th.Comm, th.Exe, th.ExePath = p.Comm, p.Exe, p.ExePath
	th.Args = p.ArgList()
	th.Env = p.EnvList()
	th.Cwd = p.Cwd
	th.TTY = p.Tty
	th.UID, th.GID = p.UID, p.GID
	th.LoginUID = loginUID(p.LoginUID)
	th.CapPermitted, th.CapEffective, th.CapInheritable = p.CapPermitted, p.CapEffective, p.CapInheritable
	th.ExeWritable, th.ExeUpperLayer, th.ExeLowerLayer, th.ExeFromMemfd = p.ExeWritable, p.ExeUpperLayer, p.ExeLowerLayer, p.ExeFromMemfd
	th.ExeIno, th.ExeInoCtime, th.ExeInoMtime = p.ExeIno, int64(p.ExeInoCtime), int64(p.ExeInoMtime)
	th.PidnsInit = int64(p.PidnsInitStartTs)
	th.setCgroups(p.CgroupList(), t)
	t.resolveIDs(th)
	if p.Pid != p.Tid {
		if leader := t.threads[p.Pid]; leader != nil {
			th.fds, th.main = leader.fds, leader
		}
	}
}

// AddFD seeds a process's fd table.
func (t *Table) AddFD(pid int64, fd eval.FD) {
	th := t.threads[pid]
	if th == nil {
		return
	}
	f := fd
	t.putFD(th, &f)
}

// Link connects every thread to its parent after seeding, and lets
// threads of a process share its leader's fd table.
func (t *Table) Link() {
	for _, th := range t.threads {
		if th.Pid != th.Tid {
			if leader := t.threads[th.Pid]; leader != nil && leader != th {
				th.fds, th.main = leader.fds, leader
			}
		}
		if p := t.threads[th.PPid]; p != nil && p != th {
			th.Parent = &p.Thread
		}
	}
}

func loginUID(v uint32) int64 {
	if v == 0xFFFFFFFF {
		return -1
	}
	return int64(v)
}

func (t *Table) newThread(tid int64) *thread {
	if th := t.threads[tid]; th != nil {
		return th
	}
	if len(t.threads) >= t.opts.MaxThreads {
		t.stats.DroppedThreads++
		return nil
	}
	th := &thread{fds: newFDTable()}
	th.Tid, th.Pid = tid, tid
	th.LoginUID = -1
	th.main = th
	t.threads[tid] = th
	t.stats.ThreadsAdded++
	return th
}

func (t *Table) resolveIDs(th *thread) {
	th.User = t.users[th.UID]
	th.Group = t.groups[th.GID]
	th.LoginUser = nil
	if th.LoginUID >= 0 {
		th.LoginUser = t.users[uint32(th.LoginUID)]
	}
}

func (t *Table) putFD(th *thread, fd *eval.FD) {
	if _, exists := th.fds.m[fd.Num]; !exists && len(th.fds.m) >= t.opts.MaxFDs {
		t.stats.DroppedFDs++
		return
	}
	th.fds.m[fd.Num] = fd
}

// setCgroups records the thread's cgroups and derives its container.
func (th *thread) setCgroups(cgroups []string, t *Table) {
	th.Cgroups = cgroups
	id := ContainerID(cgroups)
	th.ContainerID = id
	th.Container = nil
	if id != "" {
		c := t.containers[id]
		if c == nil {
			// Metadata comes from the runtime (or the container
			// plugin's events); until then the id alone is known.
			c = &eval.Container{ID: id}
			t.containers[id] = c
		}
		th.Container = c
	}
}

// ContainerID extracts a container id (its first 12 hex digits) from
// cgroup paths, for the docker, containerd (cri-containerd), cri-o and
// podman layouts under cgroup v1 and v2; "" for a host process.
func ContainerID(cgroups []string) string {
	for _, cg := range cgroups {
		// "subsys=/path" (v1 as the driver reports it) or
		// "0::/path" (/proc/PID/cgroup under v2).
		_, p, found := strings.Cut(cg, "=")
		if !found {
			if i := strings.Index(cg, "::"); i >= 0 {
				p = cg[i+2:]
			} else {
				p = cg
			}
		}
		if id := containerIDFromPath(p); id != "" {
			return id
		}
	}
	return ""
}

func containerIDFromPath(p string) string {
	for p != "" && p != "/" && p != "." {
		base := path.Base(p)
		for _, prefix := range []string{"docker-", "cri-containerd-", "crio-", "libpod-", "containerd-"} {
			if strings.HasPrefix(base, prefix) {
				base = base[len(prefix):]
				break
			}
		}
		base = strings.TrimSuffix(base, ".scope")
		if len(base) == 64 && isHex(base) {
			return base[:12]
		}
		p = path.Dir(p)
	}
	return ""
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// resolvePath makes a path absolute: relative paths are joined with the
// directory of dirfd (AT_FDCWD: the thread's cwd). The result is cleaned.
func (t *Table) resolvePath(th *thread, p string, dirfd int64, hasDirfd bool) string {
	if p == "" {
		return ""
	}
	if p[0] == '/' {
		if isClean(p) {
			return p
		}
		return path.Clean(p)
	}
	base := th.Cwd
	if hasDirfd && dirfd != atFDCWD {
		if d := th.fds.m[dirfd]; d != nil && d.Name != "" {
			base = d.Name
		} else {
			return p // unknown directory: keep the relative path
		}
	}
	if base == "" {
		return p
	}
	if base[0] != '/' {
		return path.Join(base, p)
	}
	// base/p, kept (interned) when already clean: programs open the same
	// relative paths over and over.
	buf := append(t.pathBuf[:0], base...)
	if buf[len(buf)-1] != '/' {
		buf = append(buf, '/')
	}
	buf = append(buf, p...)
	t.pathBuf = buf
	if s := t.intern(buf); isClean(s) {
		return s
	}
	return path.Join(base, p)
}

// atFDCWD is PPM_AT_FDCWD.
const atFDCWD = -100

// isClean reports whether an absolute path needs no cleaning, without
// allocating.
func isClean(p string) bool {
	for i := 0; i < len(p); i++ {
		if p[i] != '/' {
			continue
		}
		if i+1 < len(p) && p[i+1] == '/' {
			return false
		}
		if strings.HasPrefix(p[i+1:], "./") || p[i+1:] == "." || strings.HasPrefix(p[i+1:], "../") || p[i+1:] == ".." {
			return false
		}
	}
	return len(p) == 1 || p[len(p)-1] != '/'
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
