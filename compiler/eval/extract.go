package eval

import (
	"fmt"
	"net/netip"
	"path"
	"strconv"
	"strings"
	"time"
)

// valueKind is how the evaluator represents a field's values.
type valueKind uint8

const (
	kindString valueKind = iota
	kindInt              // signed or unsigned integers, times, ports, ids
	kindBool
	kindIP    // an address; compared against addresses or networks
	kindBytes // buffers
)

// extractor reads one field from an event. Exactly the reader matching kind
// is set. Multi-valued fields (proc.aname without an argument) set each,
// which calls fn for every value until fn returns true.
type extractor struct {
	name string
	kind valueKind
	str  func(*Event) (string, bool)
	num  func(*Event) (int64, bool)
	ip   func(*Event) (netip.Addr, bool)
	byt  func(*Event) ([]byte, bool)
	// ipEach is set instead of ip for fields over both endpoints.
	ipEach func(e *Event, fn func(netip.Addr) bool) bool
	each   func(e *Event, fn func(string) bool) bool
	// list is set for list fields (fd.types): the whole set at once.
	list func(*Event) ([]string, bool)
}

// fieldSpec builds an extractor for one catalog field, given the field
// argument.
type fieldSpec func(arg string, hasArg bool) (*extractor, error)

func strField(f func(*Event) (string, bool)) fieldSpec {
	return func(string, bool) (*extractor, error) { return &extractor{kind: kindString, str: f}, nil }
}

func numField(f func(*Event) (int64, bool)) fieldSpec {
	return func(string, bool) (*extractor, error) { return &extractor{kind: kindInt, num: f}, nil }
}

func boolField(f func(*Event) (bool, bool)) fieldSpec {
	return func(string, bool) (*extractor, error) {
		return &extractor{kind: kindBool, num: func(e *Event) (int64, bool) {
			v, ok := f(e)
			if !ok {
				return 0, false
			}
			if v {
				return 1, true
			}
			return 0, true
		}}, nil
	}
}

func ipField(f func(*Event) (netip.Addr, bool)) fieldSpec {
	return func(string, bool) (*extractor, error) { return &extractor{kind: kindIP, ip: f}, nil }
}

// Thread accessors.

func thread(e *Event) (*Thread, bool) { return e.Thread, e.Thread != nil }

func parent(e *Event) (*Thread, bool) {
	if e.Thread == nil || e.Thread.Parent == nil {
		return nil, false
	}
	return e.Thread.Parent, true
}

func threadStr(get func(*Event) (*Thread, bool), f func(*Thread) string) func(*Event) (string, bool) {
	return func(e *Event) (string, bool) {
		t, ok := get(e)
		if !ok {
			return "", false
		}
		return f(t), true
	}
}

func threadNum(get func(*Event) (*Thread, bool), f func(*Thread) int64) func(*Event) (int64, bool) {
	return func(e *Event) (int64, bool) {
		t, ok := get(e)
		if !ok {
			return 0, false
		}
		return f(t), true
	}
}

func nonEmpty(f func(*Event) (string, bool)) func(*Event) (string, bool) {
	return func(e *Event) (string, bool) {
		s, ok := f(e)
		return s, ok && s != ""
	}
}

// ancestorField builds proc.aname-style fields: with an argument N the
// ancestor N levels up (0 = the process itself); without, any ancestor
// from the parent up.
func ancestorStr(name string, f func(*Thread) string) fieldSpec {
	return func(arg string, hasArg bool) (*extractor, error) {
		if hasArg {
			n, err := strconv.Atoi(arg)
			if err != nil || n < 0 {
				return nil, fmt.Errorf("wrong argument %q for %s: an ancestor level is a number", arg, name)
			}
			return &extractor{kind: kindString, str: func(e *Event) (string, bool) {
				a := e.Thread.Ancestor(n)
				if e.Thread == nil || a == nil {
					return "", false
				}
				return f(a), true
			}}, nil
		}
		return &extractor{kind: kindString, each: func(e *Event, fn func(string) bool) bool {
			if e.Thread == nil {
				return false
			}
			for a := e.Thread.Parent; a != nil; a = a.Parent {
				if fn(f(a)) {
					return true
				}
			}
			return false
		}}, nil
	}
}

func ancestorNum(name string, f func(*Thread) int64) fieldSpec {
	return func(arg string, hasArg bool) (*extractor, error) {
		if !hasArg {
			// Any ancestor: the evaluator compares the rendered values.
			return &extractor{kind: kindString, each: func(e *Event, fn func(string) bool) bool {
				if e.Thread == nil {
					return false
				}
				for a := e.Thread.Parent; a != nil; a = a.Parent {
					if fn(strconv.FormatInt(f(a), 10)) {
						return true
					}
				}
				return false
			}}, nil
		}
		n, err := strconv.Atoi(arg)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("wrong argument %q for %s: an ancestor level is a number", arg, name)
		}
		return &extractor{kind: kindInt, num: func(e *Event) (int64, bool) {
			if e.Thread == nil {
				return 0, false
			}
			a := e.Thread.Ancestor(n)
			if a == nil {
				return 0, false
			}
			return f(a), true
		}}, nil
	}
}

// FD accessors.

func fdStr(f func(*FD) (string, bool)) func(*Event) (string, bool) {
	return func(e *Event) (string, bool) {
		if e.FD == nil {
			return "", false
		}
		return f(e.FD)
	}
}

func fdNum(f func(*FD) (int64, bool)) func(*Event) (int64, bool) {
	return func(e *Event) (int64, bool) {
		if e.FD == nil {
			return 0, false
		}
		return f(e.FD)
	}
}

func isNet(d *FD) bool { return d.Type == FDIPv4 || d.Type == FDIPv6 }

func fdIP(f func(*FD) netip.Addr) func(*Event) (netip.Addr, bool) {
	return func(e *Event) (netip.Addr, bool) {
		if e.FD == nil || !isNet(e.FD) {
			return netip.Addr{}, false
		}
		a := f(e.FD)
		return a, a.IsValid()
	}
}

func fdPort(f func(*FD) uint16) func(*Event) (int64, bool) {
	return fdNum(func(d *FD) (int64, bool) {
		if !isNet(d) {
			return 0, false
		}
		return int64(f(d)), true
	})
}

func localIP(d *FD) netip.Addr {
	if d.IsServer {
		return d.ServerIP
	}
	return d.ClientIP
}

func remoteIP(d *FD) netip.Addr {
	if d.IsServer {
		return d.ClientIP
	}
	return d.ServerIP
}

func localPort(d *FD) uint16 {
	if d.IsServer {
		return d.ServerPort
	}
	return d.ClientPort
}

func remotePort(d *FD) uint16 {
	if d.IsServer {
		return d.ClientPort
	}
	return d.ServerPort
}

// fdDir returns fd.directory: the directory of a file, the path itself for
// a directory.
func fdDir(d *FD) (string, bool) {
	switch d.Type {
	case FDFile:
		if d.Name == "" {
			return "", false
		}
		return dirOf(d.Name), true
	case FDDirectory:
		return d.Name, d.Name != ""
	}
	return "", false
}

func fdFile(d *FD) (string, bool) {
	if d.Type != FDFile || d.Name == "" {
		return "", false
	}
	return d.Name[strings.LastIndexByte(d.Name, '/')+1:], true
}

// dirOf returns the directory part of an absolute, clean path without
// allocating: "/etc/shadow" -> "/etc", "/x" -> "/".
func dirOf(p string) string {
	i := strings.LastIndexByte(p, '/')
	switch {
	case i > 0:
		return p[:i]
	case i == 0:
		return "/"
	}
	return path.Dir(p)
}

// Container accessors. A host process has container.id "host" and
// container.name "host", as with the container plugin.
func containerStr(f func(*Container) string) func(*Event) (string, bool) {
	return func(e *Event) (string, bool) {
		if e.Thread == nil || e.Thread.Container == nil {
			return "", false
		}
		return f(e.Thread.Container), true
	}
}

func containerBool(f func(*Container) bool) func(*Event) (bool, bool) {
	return func(e *Event) (bool, bool) {
		if e.Thread == nil || e.Thread.Container == nil {
			return false, false
		}
		return f(e.Thread.Container), true
	}
}

func containerID(e *Event) (string, bool) {
	if e.Thread == nil {
		return "", false
	}
	if e.Thread.ContainerID == "" {
		return "host", true
	}
	return e.Thread.ContainerID, true
}

func containerName(e *Event) (string, bool) {
	if e.Thread == nil {
		return "", false
	}
	if e.Thread.ContainerID == "" {
		return "host", true
	}
	if c := e.Thread.Container; c != nil && c.Name != "" {
		return c.Name, true
	}
	return "", false
}

func k8sStr(f func(*K8s) string) func(*Event) (string, bool) {
	return func(e *Event) (string, bool) {
		if e.Thread == nil || e.Thread.K8s == nil {
			return "", false
		}
		s := f(e.Thread.K8s)
		return s, s != ""
	}
}

// keyedMap builds a field with a [key] argument over a string map.
func keyedMap(name string, get func(*Event) (map[string]string, bool)) fieldSpec {
	return func(arg string, hasArg bool) (*extractor, error) {
		if !hasArg {
			return nil, fmt.Errorf("the field '%s' requires an argument", name)
		}
		return &extractor{kind: kindString, str: func(e *Event) (string, bool) {
			m, ok := get(e)
			if !ok {
				return "", false
			}
			v, ok := m[arg]
			return v, ok
		}}, nil
	}
}

// mountField builds container.mount.* fields, selected by mount index or
// by a path glob matched against the mount source (or, for
// container.mount.source, the destination), as the container plugin does.
func mountField(name string, f func(*Mount) string) fieldSpec {
	byDest := name == "container.mount.source"
	return func(arg string, hasArg bool) (*extractor, error) {
		if !hasArg {
			return nil, fmt.Errorf("the field '%s' requires an argument", name)
		}
		idx, err := strconv.Atoi(arg)
		byIndex := err == nil
		return &extractor{kind: kindString, str: func(e *Event) (string, bool) {
			if e.Thread == nil || e.Thread.Container == nil {
				return "", false
			}
			ms := e.Thread.Container.Mounts
			if byIndex {
				if idx < 0 || idx >= len(ms) {
					return "", false
				}
				return f(&ms[idx]), true
			}
			for i := range ms {
				key := ms[i].Source
				if byDest {
					key = ms[i].Dest
				}
				if globMatch(arg, key, false) {
					return f(&ms[i]), true
				}
			}
			return "", false
		}}, nil
	}
}

func formatMount(m *Mount) string {
	rw := "false"
	if m.RW {
		rw = "true"
	}
	return m.Source + ":" + m.Dest + ":" + m.Mode + ":" + rw + ":" + m.Propagation
}

// evtArg builds evt.arg.NAME / evt.arg[N] / evt.rawarg.NAME.
func evtArg(raw bool) fieldSpec {
	return func(arg string, hasArg bool) (*extractor, error) {
		if !hasArg || arg == "" {
			return nil, fmt.Errorf("the field 'evt.arg' requires an argument")
		}
		if n, err := strconv.Atoi(arg); err == nil && !raw {
			return &extractor{kind: kindString, str: func(e *Event) (string, bool) {
				a, ok := e.ArgAt(n)
				return a.Value, ok
			}}, nil
		}
		if raw {
			// evt.rawarg keeps the raw type: numbers compare as
			// numbers, others as strings.
			return &extractor{kind: kindString, str: func(e *Event) (string, bool) {
				a, ok := e.Arg(arg)
				if !ok {
					return "", false
				}
				if a.HasNum {
					return strconv.FormatInt(a.Num, 10), true
				}
				return a.Value, true
			}, num: func(e *Event) (int64, bool) {
				a, ok := e.Arg(arg)
				if !ok || !a.HasNum {
					return 0, false
				}
				return a.Num, true
			}}, nil
		}
		return &extractor{kind: kindString, str: func(e *Event) (string, bool) {
			a, ok := e.Arg(arg)
			if !ok {
				return "", false
			}
			return a.Value, true
		}}, nil
	}
}

func evtArgs(e *Event) (string, bool) {
	args := e.AllArgs()
	if len(args) == 0 {
		return "", true
	}
	var b strings.Builder
	for i, a := range args {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(a.Name)
		b.WriteByte('=')
		b.WriteString(a.Value)
	}
	return b.String(), true
}

// Open flags (PPM_O_*), as the driver reports them.
const (
	ppmORdonly   = 1 << 0
	ppmOWronly   = 1 << 1
	ppmOCreat    = 1 << 2
	ppmOFCreated = 1 << 14
)

func isOpen(e *Event) bool {
	switch e.Type {
	case "open", "openat", "openat2", "open_by_handle_at", "creat":
		return true
	}
	return false
}

// openFlags returns the open flags of an open event: from its fd (which
// producers fill for fd-creating events) or its flags argument.
func openFlags(e *Event) (int64, bool) {
	if e.FD != nil && e.FD.OpenFlags != 0 {
		return int64(e.FD.OpenFlags), true
	}
	if a, ok := e.Arg("flags"); ok && a.HasNum {
		return a.Num, true
	}
	return 0, false
}

func openFlag(bit int64) func(*Event) (bool, bool) {
	return func(e *Event) (bool, bool) {
		if !isOpen(e) {
			return false, true
		}
		f, ok := openFlags(e)
		return ok && f&bit != 0, true
	}
}

func isOpenExec(e *Event) (bool, bool) {
	if !isOpen(e) {
		return false, true
	}
	f, _ := openFlags(e)
	m, ok := e.Arg("mode")
	return f&(ppmOCreat|ppmOFCreated) != 0 && ok && m.HasNum && m.Num&0o111 != 0, true
}

// Time rendering, as Falco prints evt.time: local wall clock with
// nanoseconds.
func formatEvtTime(ns int64) string {
	t := time.Unix(0, ns)
	return t.Format("15:04:05.000000000")
}

func formatISO8601(ns int64) string {
	return time.Unix(0, ns).UTC().Format("2006-01-02T15:04:05.000000000Z")
}

// Capability names, for thread.cap_*.
var capNames = [...]string{
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
	"CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE",
	"CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER",
	"CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE", "CAP_SYS_PACCT",
	"CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE", "CAP_SYS_RESOURCE", "CAP_SYS_TIME",
	"CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE", "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL",
	"CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM",
	"CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
}

// FormatCaps renders a capability mask as libsinsp does: names joined by
// spaces.
func FormatCaps(mask uint64) string {
	var b strings.Builder
	for i, n := range capNames {
		if mask&(1<<uint(i)) != 0 {
			if b.Len() > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(n)
		}
	}
	return b.String()
}

func capField(f func(*Thread) uint64) fieldSpec {
	// Cache the last rendering: masks repeat across events.
	return func(string, bool) (*extractor, error) {
		var lastMask uint64
		lastStr := ""
		return &extractor{kind: kindString, str: func(e *Event) (string, bool) {
			if e.Thread == nil {
				return "", false
			}
			m := f(e.Thread)
			if m != lastMask || (lastStr == "" && m != 0) {
				lastMask, lastStr = m, FormatCaps(m)
			}
			return lastStr, true
		}}, nil
	}
}

func userOf(t *Thread) *User { return t.User }

// fieldSpecs is the evaluator's field table: catalog name -> builder.
// Fields of the catalog that are not here evaluate as <NA> (see New).
var fieldSpecs = map[string]fieldSpec{
	// evt.*
	"evt.num":          numField(func(e *Event) (int64, bool) { return int64(e.Num), true }),
	"evt.time":         strField(func(e *Event) (string, bool) { return formatEvtTime(e.Time), true }),
	"evt.time.s":       strField(func(e *Event) (string, bool) { return time.Unix(0, e.Time).Format("15:04:05"), true }),
	"evt.time.iso8601": strField(func(e *Event) (string, bool) { return formatISO8601(e.Time), true }),
	"evt.datetime": strField(func(e *Event) (string, bool) {
		return time.Unix(0, e.Time).Format("2006-01-02 15:04:05.000000000"), true
	}),
	"evt.rawtime":    numField(func(e *Event) (int64, bool) { return e.Time, true }),
	"evt.rawtime.s":  numField(func(e *Event) (int64, bool) { return e.Time / 1e9, true }),
	"evt.rawtime.ns": numField(func(e *Event) (int64, bool) { return e.Time % 1e9, true }),
	"evt.type":       strField(func(e *Event) (string, bool) { return e.Type, true }),
	"syscall.type":   strField(func(e *Event) (string, bool) { return e.Type, e.Category != "" && e.Category != "internal" }),
	"evt.category":   strField(func(e *Event) (string, bool) { return e.Category, e.Category != "" }),
	"evt.cpu":        numField(func(e *Event) (int64, bool) { return int64(e.CPU), true }),
	"evt.dir":        strField(func(e *Event) (string, bool) { return "<", true }),
	"evt.args":       strField(evtArgs),
	"evt.info":       strField(evtArgs),
	"evt.arg":        evtArg(false),
	"evt.rawarg":     evtArg(true),
	"evt.res": strField(func(e *Event) (string, bool) {
		if !e.HasRes {
			return "", false
		}
		return ErrnoName(e.Res), true
	}),
	"evt.rawres":   numField(func(e *Event) (int64, bool) { return e.Res, e.HasRes }),
	"evt.failed":   boolField(func(e *Event) (bool, bool) { return e.HasRes && e.Res < 0, true }),
	"evt.hostname": strField(func(e *Event) (string, bool) { return e.Hostname, e.Hostname != "" }),
	"evt.source": strField(func(e *Event) (string, bool) {
		if e.Source == "" {
			return "syscall", true
		}
		return e.Source, true
	}),
	"evt.buffer": func(string, bool) (*extractor, error) {
		return &extractor{kind: kindBytes, byt: func(e *Event) ([]byte, bool) { return e.Buffer, e.Buffer != nil }}, nil
	},
	"evt.buflen":         numField(func(e *Event) (int64, bool) { return int64(len(e.Buffer)), e.Buffer != nil }),
	"evt.is_open_read":   boolField(openFlag(ppmORdonly)),
	"evt.is_open_write":  boolField(openFlag(ppmOWronly)),
	"evt.is_open_exec":   boolField(isOpenExec),
	"evt.is_open_create": boolField(openFlag(ppmOFCreated)),

	// proc.* and thread.*
	"proc.name":     strField(threadStr(thread, func(t *Thread) string { return t.Comm })),
	"proc.exe":      strField(threadStr(thread, func(t *Thread) string { return t.Exe })),
	"proc.exepath":  strField(threadStr(thread, func(t *Thread) string { return t.ExePath })),
	"proc.args":     strField(threadStr(thread, func(t *Thread) string { return strings.Join(t.Args, " ") })),
	"proc.cmdline":  strField(threadStr(thread, (*Thread).Cmdline)),
	"proc.exeline":  strField(threadStr(thread, func(t *Thread) string { return strings.TrimSpace(t.Exe + " " + strings.Join(t.Args, " ")) })),
	"proc.cmdnargs": numField(threadNum(thread, func(t *Thread) int64 { return int64(len(t.Args)) })),
	"proc.cwd":      strField(threadStr(thread, func(t *Thread) string { return t.Cwd })),
	"proc.tty":      numField(threadNum(thread, func(t *Thread) int64 { return int64(t.TTY) })),
	"proc.pid":      numField(threadNum(thread, func(t *Thread) int64 { return t.Pid })),
	"proc.ppid":     numField(threadNum(thread, func(t *Thread) int64 { return t.PPid })),
	"proc.vpid":     numField(threadNum(thread, func(t *Thread) int64 { return t.VPid })),
	"proc.sid":      numField(threadNum(thread, func(t *Thread) int64 { return t.SID })),
	"proc.vpgid":    numField(threadNum(thread, func(t *Thread) int64 { return t.VPGID })),
	"proc.pgid":     numField(threadNum(thread, func(t *Thread) int64 { return t.PGID })),
	"proc.pname":    strField(threadStr(parent, func(t *Thread) string { return t.Comm })),
	"proc.pexe":     strField(threadStr(parent, func(t *Thread) string { return t.Exe })),
	"proc.pexepath": strField(threadStr(parent, func(t *Thread) string { return t.ExePath })),
	"proc.pcmdline": strField(threadStr(parent, (*Thread).Cmdline)),
	"proc.pvpid":    numField(threadNum(parent, func(t *Thread) int64 { return t.VPid })),
	"proc.aname":    ancestorStr("proc.aname", func(t *Thread) string { return t.Comm }),
	"proc.aexe":     ancestorStr("proc.aexe", func(t *Thread) string { return t.Exe }),
	"proc.aexepath": ancestorStr("proc.aexepath", func(t *Thread) string { return t.ExePath }),
	"proc.acmdline": ancestorStr("proc.acmdline", (*Thread).Cmdline),
	"proc.apid":     ancestorNum("proc.apid", func(t *Thread) int64 { return t.Pid }),
	"proc.env": func(arg string, hasArg bool) (*extractor, error) {
		if !hasArg {
			return &extractor{kind: kindString, str: threadStr(thread, func(t *Thread) string { return strings.Join(t.Env, " ") })}, nil
		}
		return &extractor{kind: kindString, str: func(e *Event) (string, bool) {
			if e.Thread == nil {
				return "", false
			}
			return e.Thread.EnvVar(arg)
		}}, nil
	},
	"proc.sname": strField(func(e *Event) (string, bool) {
		// The session leader: the nearest ancestor whose pid is the sid.
		if e.Thread == nil {
			return "", false
		}
		for a := e.Thread; a != nil; a = a.Parent {
			if a.Pid == e.Thread.SID {
				return a.Comm, true
			}
		}
		return "", false
	}),
	"proc.vpgid.name": strField(func(e *Event) (string, bool) {
		if e.Thread == nil {
			return "", false
		}
		for a := e.Thread; a != nil; a = a.Parent {
			if a.VPid == e.Thread.VPGID {
				return a.Comm, true
			}
		}
		return "", false
	}),
	"proc.vpgid.exe": strField(func(e *Event) (string, bool) {
		if e.Thread == nil {
			return "", false
		}
		for a := e.Thread; a != nil; a = a.Parent {
			if a.VPid == e.Thread.VPGID {
				return a.Exe, true
			}
		}
		return "", false
	}),
	"proc.is_sid_leader": boolField(func(e *Event) (bool, bool) { return e.Thread != nil && e.Thread.Pid == e.Thread.SID, e.Thread != nil }),
	"proc.is_vpgid_leader": boolField(func(e *Event) (bool, bool) {
		return e.Thread != nil && e.Thread.VPid == e.Thread.VPGID, e.Thread != nil
	}),
	"proc.is_exe_writable":    boolField(func(e *Event) (bool, bool) { return e.Thread != nil && e.Thread.ExeWritable, e.Thread != nil }),
	"proc.is_exe_upper_layer": boolField(func(e *Event) (bool, bool) { return e.Thread != nil && e.Thread.ExeUpperLayer, e.Thread != nil }),
	"proc.is_exe_lower_layer": boolField(func(e *Event) (bool, bool) { return e.Thread != nil && e.Thread.ExeLowerLayer, e.Thread != nil }),
	"proc.is_exe_from_memfd":  boolField(func(e *Event) (bool, bool) { return e.Thread != nil && e.Thread.ExeFromMemfd, e.Thread != nil }),
	"proc.exe_ino":            numField(threadNum(thread, func(t *Thread) int64 { return int64(t.ExeIno) })),
	"proc.exe_ino.ctime":      numField(threadNum(thread, func(t *Thread) int64 { return t.ExeInoCtime })),
	"proc.exe_ino.mtime":      numField(threadNum(thread, func(t *Thread) int64 { return t.ExeInoMtime })),
	"proc.exe_ino.ctime_duration_proc_start": numField(func(e *Event) (int64, bool) {
		if e.Thread == nil || e.Thread.ExeInoCtime == 0 || e.Thread.StartTime == 0 {
			return 0, false
		}
		return e.Thread.StartTime - e.Thread.ExeInoCtime, true
	}),
	"proc.exe_ino.ctime_duration_pidns_start": numField(func(e *Event) (int64, bool) {
		if e.Thread == nil || e.Thread.ExeInoCtime == 0 || e.Thread.PidnsInit == 0 {
			return 0, false
		}
		return e.Thread.PidnsInit - e.Thread.ExeInoCtime, true
	}),
	"proc.pidns_init_start_ts": numField(threadNum(thread, func(t *Thread) int64 { return t.PidnsInit })),
	"proc.duration": numField(func(e *Event) (int64, bool) {
		if e.Thread == nil || e.Thread.StartTime == 0 {
			return 0, false
		}
		return e.Time - e.Thread.StartTime, true
	}),
	"proc.ppid.duration": numField(func(e *Event) (int64, bool) {
		p, ok := parent(e)
		if !ok || p.StartTime == 0 {
			return 0, false
		}
		return e.Time - p.StartTime, true
	}),
	"proc.pid.ts":            numField(threadNum(thread, func(t *Thread) int64 { return t.StartTime })),
	"thread.tid":             numField(threadNum(thread, func(t *Thread) int64 { return t.Tid })),
	"thread.vtid":            numField(threadNum(thread, func(t *Thread) int64 { return t.VTid })),
	"thread.ismain":          boolField(func(e *Event) (bool, bool) { return e.Thread != nil && e.Thread.Tid == e.Thread.Pid, e.Thread != nil }),
	"thread.cap_permitted":   capField(func(t *Thread) uint64 { return t.CapPermitted }),
	"thread.cap_effective":   capField(func(t *Thread) uint64 { return t.CapEffective }),
	"thread.cap_inheritable": capField(func(t *Thread) uint64 { return t.CapInheritable }),
	"thread.cgroups":         strField(threadStr(thread, func(t *Thread) string { return strings.Join(t.Cgroups, " ") })),
	"thread.cgroup": func(arg string, hasArg bool) (*extractor, error) {
		if !hasArg {
			return nil, fmt.Errorf("the field 'thread.cgroup' requires an argument")
		}
		prefix := arg + "="
		return &extractor{kind: kindString, str: func(e *Event) (string, bool) {
			if e.Thread == nil {
				return "", false
			}
			for _, c := range e.Thread.Cgroups {
				if strings.HasPrefix(c, prefix) {
					return c[len(prefix):], true
				}
			}
			return "", false
		}}, nil
	},

	// user.* and group.*
	"user.uid": numField(threadNum(thread, func(t *Thread) int64 { return int64(t.UID) })),
	"user.name": strField(func(e *Event) (string, bool) {
		if e.Thread == nil || e.Thread.User == nil {
			return "", false
		}
		return e.Thread.User.Name, true
	}),
	"user.homedir": strField(func(e *Event) (string, bool) {
		if e.Thread == nil || e.Thread.User == nil {
			return "", false
		}
		return e.Thread.User.Home, true
	}),
	"user.shell": strField(func(e *Event) (string, bool) {
		if e.Thread == nil || e.Thread.User == nil {
			return "", false
		}
		return e.Thread.User.Shell, true
	}),
	"user.loginuid": numField(threadNum(thread, func(t *Thread) int64 { return t.LoginUID })),
	"user.loginname": strField(func(e *Event) (string, bool) {
		if e.Thread == nil || e.Thread.LoginUser == nil {
			return "", false
		}
		return e.Thread.LoginUser.Name, true
	}),
	"group.gid": numField(threadNum(thread, func(t *Thread) int64 { return int64(t.GID) })),
	"group.name": strField(func(e *Event) (string, bool) {
		if e.Thread == nil || e.Thread.Group == nil {
			return "", false
		}
		return e.Thread.Group.Name, true
	}),

	// fd.*
	"fd.num":       numField(fdNum(func(d *FD) (int64, bool) { return d.Num, true })),
	"fd.type":      strField(fdStr(func(d *FD) (string, bool) { return d.Type.String(), true })),
	"fd.typechar":  strField(fdStr(func(d *FD) (string, bool) { return d.Type.Char(), true })),
	"fd.name":      strField(fdStr(func(d *FD) (string, bool) { return d.Name, true })),
	"fd.nameraw":   strField(fdStr(func(d *FD) (string, bool) { return d.NameRaw, true })),
	"fd.directory": strField(fdStr(fdDir)),
	"fd.filename":  strField(fdStr(fdFile)),
	"fd.ip":        func(string, bool) (*extractor, error) { return ipAny(), nil },
	"fd.cip":       ipField(fdIP(func(d *FD) netip.Addr { return d.ClientIP })),
	"fd.sip":       ipField(fdIP(func(d *FD) netip.Addr { return d.ServerIP })),
	"fd.lip":       ipField(fdIP(localIP)),
	"fd.rip":       ipField(fdIP(remoteIP)),
	"fd.net":       func(string, bool) (*extractor, error) { return ipAny(), nil },
	"fd.cnet":      ipField(fdIP(func(d *FD) netip.Addr { return d.ClientIP })),
	"fd.snet":      ipField(fdIP(func(d *FD) netip.Addr { return d.ServerIP })),
	"fd.lnet":      ipField(fdIP(localIP)),
	"fd.rnet":      ipField(fdIP(remoteIP)),
	"fd.port": func(string, bool) (*extractor, error) {
		return &extractor{kind: kindString, each: func(e *Event, fn func(string) bool) bool {
			if e.FD == nil || !isNet(e.FD) {
				return false
			}
			return fn(strconv.Itoa(int(e.FD.ClientPort))) || fn(strconv.Itoa(int(e.FD.ServerPort)))
		}}, nil
	},
	"fd.cport": numField(fdPort(func(d *FD) uint16 { return d.ClientPort })),
	"fd.sport": numField(fdPort(func(d *FD) uint16 { return d.ServerPort })),
	"fd.lport": numField(fdPort(localPort)),
	"fd.rport": numField(fdPort(remotePort)),
	"fd.l4proto": strField(fdStr(func(d *FD) (string, bool) {
		if !isNet(d) {
			return "", false
		}
		return d.L4Proto, d.L4Proto != ""
	})),
	"fd.sockfamily": strField(fdStr(func(d *FD) (string, bool) {
		switch d.Type {
		case FDIPv4, FDIPv6:
			return "ip", true
		case FDUnix:
			return "unix", true
		}
		return d.SockFamily, d.SockFamily != ""
	})),
	"fd.is_server":      boolField(func(e *Event) (bool, bool) { return e.FD != nil && e.FD.IsServer, e.FD != nil }),
	"fd.connected":      boolField(func(e *Event) (bool, bool) { return e.FD != nil && e.FD.Connected, e.FD != nil }),
	"fd.name_changed":   boolField(func(e *Event) (bool, bool) { return e.FD != nil && e.FD.NameChanged, e.FD != nil }),
	"fd.dev":            numField(fdNum(func(d *FD) (int64, bool) { return int64(d.Dev), true })),
	"fd.dev.major":      numField(fdNum(func(d *FD) (int64, bool) { return int64(d.Dev >> 20), true })),
	"fd.dev.minor":      numField(fdNum(func(d *FD) (int64, bool) { return int64(d.Dev & 0xfffff), true })),
	"fd.ino":            numField(fdNum(func(d *FD) (int64, bool) { return int64(d.Ino), true })),
	"fd.is_upper_layer": boolField(func(e *Event) (bool, bool) { return e.FD != nil && e.FD.UpperLayer, e.FD != nil }),
	"fd.is_lower_layer": boolField(func(e *Event) (bool, bool) { return e.FD != nil && e.FD.LowerLayer, e.FD != nil }),
	"fd.types": func(string, bool) (*extractor, error) {
		return &extractor{kind: kindString, list: func(e *Event) ([]string, bool) {
			if e.FD == nil {
				return nil, false
			}
			return []string{e.FD.Type.String()}, true
		}}, nil
	},

	// container.* and k8s.* (container plugin)
	"container.id": strField(containerID),
	"container.full_id": strField(func(e *Event) (string, bool) {
		if e.Thread == nil {
			return "", false
		}
		if e.Thread.ContainerID == "" {
			return "host", true
		}
		if c := e.Thread.Container; c != nil && c.FullID != "" {
			return c.FullID, true
		}
		return e.Thread.ContainerID, true
	}),
	"container.name":             strField(containerName),
	"container.image":            strField(containerStr(func(c *Container) string { return c.Image })),
	"container.image.id":         strField(containerStr(func(c *Container) string { return c.ImageID })),
	"container.image.repository": strField(containerStr(func(c *Container) string { return c.ImageRepository })),
	"container.image.tag":        strField(containerStr(func(c *Container) string { return c.ImageTag })),
	"container.image.digest":     strField(containerStr(func(c *Container) string { return c.ImageDigest })),
	"container.type":             strField(containerStr(func(c *Container) string { return c.Type })),
	"container.ip":               strField(containerStr(func(c *Container) string { return c.IP })),
	"container.privileged":       boolField(containerBool(func(c *Container) bool { return c.Privileged })),
	"container.host_pid":         boolField(containerBool(func(c *Container) bool { return c.HostPID })),
	"container.host_network":     boolField(containerBool(func(c *Container) bool { return c.HostNetwork })),
	"container.host_ipc":         boolField(containerBool(func(c *Container) bool { return c.HostIPC })),
	"container.start_ts": numField(func(e *Event) (int64, bool) {
		if e.Thread == nil || e.Thread.Container == nil {
			return 0, false
		}
		return e.Thread.Container.StartTS, true
	}),
	"container.duration": numField(func(e *Event) (int64, bool) {
		if e.Thread == nil || e.Thread.Container == nil || e.Thread.Container.StartTS == 0 {
			return 0, false
		}
		return e.Time - e.Thread.Container.StartTS, true
	}),
	"container.mounts": strField(containerStr(func(c *Container) string {
		parts := make([]string, len(c.Mounts))
		for i := range c.Mounts {
			parts[i] = formatMount(&c.Mounts[i])
		}
		return strings.Join(parts, " ")
	})),
	"container.mount":             mountField("container.mount", formatMount),
	"container.mount.source":      mountField("container.mount.source", func(m *Mount) string { return m.Source }),
	"container.mount.dest":        mountField("container.mount.dest", func(m *Mount) string { return m.Dest }),
	"container.mount.mode":        mountField("container.mount.mode", func(m *Mount) string { return m.Mode }),
	"container.mount.propagation": mountField("container.mount.propagation", func(m *Mount) string { return m.Propagation }),
	"container.mount.rdwr": mountField("container.mount.rdwr", func(m *Mount) string {
		if m.RW {
			return "true"
		}
		return "false"
	}),
	"container.label": keyedMap("container.label", func(e *Event) (map[string]string, bool) {
		if e.Thread == nil || e.Thread.Container == nil {
			return nil, false
		}
		return e.Thread.Container.Labels, true
	}),
	"k8s.pod.name": strField(k8sStr(func(k *K8s) string { return k.PodName })),
	"k8s.pod.uid":  strField(k8sStr(func(k *K8s) string { return k.PodUID })),
	"k8s.pod.ip":   strField(k8sStr(func(k *K8s) string { return k.PodIP })),
	"k8s.ns.name":  strField(k8sStr(func(k *K8s) string { return k.Namespace })),
	"k8s.pod.label": keyedMap("k8s.pod.label", func(e *Event) (map[string]string, bool) {
		if e.Thread == nil || e.Thread.K8s == nil {
			return nil, false
		}
		return e.Thread.K8s.PodLabels, true
	}),
}

// ipAny is fd.ip / fd.net: it matches when either endpoint does.
func ipAny() *extractor {
	return &extractor{kind: kindIP, ipEach: func(e *Event, fn func(netip.Addr) bool) bool {
		if e.FD == nil || !isNet(e.FD) {
			return false
		}
		return (e.FD.ClientIP.IsValid() && fn(e.FD.ClientIP)) || (e.FD.ServerIP.IsValid() && fn(e.FD.ServerIP))
	}}
}
