package eval_test

import (
	"fmt"
	"net/netip"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/falconer-sec/falconer/compiler"
	"github.com/falconer-sec/falconer/compiler/eval"
	"github.com/falconer-sec/falconer/compiler/ir"
)

var upstreamFiles = []string{
	"testdata/upstream-rules/falco_rules.yaml",
	"testdata/upstream-rules/falco-incubating_rules.yaml",
	"testdata/upstream-rules/falco-sandbox_rules.yaml",
}

func compileUpstream(tb testing.TB, files ...string) *ir.Program {
	tb.Helper()
	prog, diags, err := compiler.Compile(os.DirFS("../.."), files, compiler.Options{})
	if err != nil {
		tb.Fatalf("compile: %v\n%s", err, diags.Errors())
	}
	return prog
}

func code(tb testing.TB, name string) (uint16, string, string) {
	c, ok := eval.EventCode(name)
	if !ok {
		tb.Fatalf("no event code for %s", name)
	}
	n, cat := eval.EventMeta(c)
	return c, n, cat
}

// eventMix builds a realistic stream: mostly non-matching opens of
// libraries and configuration by services, closes, execs of ordinary
// tools from shells, and connects to private addresses.
func eventMix(tb testing.TB, n int) []*eval.Event {
	root := &eval.Thread{Pid: 1, Tid: 1, Comm: "systemd", Exe: "/sbin/init", ExePath: "/usr/lib/systemd/systemd", LoginUID: -1, User: &eval.User{Name: "root"}}
	sshd := &eval.Thread{Pid: 812, Tid: 812, PPid: 1, Comm: "sshd", Exe: "/usr/sbin/sshd", ExePath: "/usr/sbin/sshd", Args: []string{"-D"}, LoginUID: -1, Parent: root, User: &eval.User{Name: "root"}}
	bash := &eval.Thread{Pid: 4000, Tid: 4000, PPid: 812, Comm: "bash", Exe: "-bash", ExePath: "/usr/bin/bash", TTY: 34816, UID: 1000, LoginUID: 1000, Parent: sshd, User: &eval.User{UID: 1000, Name: "dev"}}
	procs := []*eval.Thread{
		{Pid: 2001, Tid: 2001, PPid: 1, Comm: "nginx", Exe: "nginx", ExePath: "/usr/sbin/nginx", Args: []string{"-g", "daemon off;"}, UID: 33, LoginUID: -1, Parent: root, User: &eval.User{UID: 33, Name: "www-data"}},
		{Pid: 2002, Tid: 2002, PPid: 1, Comm: "python3", Exe: "python3", ExePath: "/usr/bin/python3.11", Args: []string{"app.py"}, UID: 1000, LoginUID: -1, Parent: root, User: &eval.User{UID: 1000, Name: "app"}},
		{Pid: 2003, Tid: 2010, PPid: 1, Comm: "java", Exe: "java", ExePath: "/usr/lib/jvm/java-17/bin/java", Args: []string{"-jar", "svc.jar"}, UID: 1001, LoginUID: -1, Parent: root, User: &eval.User{UID: 1001, Name: "svc"}},
		{Pid: 4100, Tid: 4100, PPid: 4000, Comm: "git", Exe: "git", ExePath: "/usr/bin/git", Args: []string{"status"}, UID: 1000, TTY: 34816, LoginUID: 1000, Parent: bash, User: &eval.User{UID: 1000, Name: "dev"}},
	}
	openCode, openName, openCat := code(tb, "openat")
	closeCode, closeName, closeCat := code(tb, "close")
	execCode, execName, execCat := code(tb, "execve")
	connCode, connName, connCat := code(tb, "connect")
	files := []string{
		"/usr/lib/x86_64-linux-gnu/libc.so.6", "/etc/ld.so.cache", "/usr/lib/python3.11/json/__init__.py",
		"/etc/nginx/nginx.conf", "/var/www/html/index.html", "/proc/self/status", "/usr/share/zoneinfo/UTC",
		"/etc/hosts", "/etc/resolv.conf", "/home/dev/project/main.go", "/sys/fs/cgroup/cpu.max",
	}
	tools := []string{"ls", "cat", "grep", "sed", "awk", "git", "make", "go"}
	evs := make([]*eval.Event, n)
	for i := range evs {
		p := procs[i%len(procs)]
		ev := &eval.Event{Num: uint64(i + 1), Time: 1767225600e9 + int64(i)*1000, Thread: p, HasRes: true}
		switch r := i % 20; {
		case r < 11: // open for reading
			f := files[i%len(files)]
			ev.Code, ev.Type, ev.Category = openCode, openName, openCat
			ev.FD = &eval.FD{Num: 7, Type: eval.FDFile, Name: f, NameRaw: f, OpenFlags: 1 | 4096}
			ev.Res = 7
			ev.Args = []eval.Arg{{Name: "fd", Value: "7", Num: 7, HasNum: true}, {Name: "dirfd", Value: "-100", Num: -100, HasNum: true}, {Name: "name", Value: f}, {Name: "flags", Value: "O_RDONLY|O_CLOEXEC", Num: 4097, HasNum: true}}
		case r < 13: // open for writing in the app's own directories
			f := fmt.Sprintf("/tmp/app-%d.log", i%7)
			ev.Code, ev.Type, ev.Category = openCode, openName, openCat
			ev.FD = &eval.FD{Num: 8, Type: eval.FDFile, Name: f, NameRaw: f, OpenFlags: 2 | 4 | 8}
			ev.Res = 8
			ev.Args = []eval.Arg{{Name: "fd", Value: "8", Num: 8, HasNum: true}, {Name: "name", Value: f}, {Name: "flags", Value: "O_WRONLY|O_CREAT|O_APPEND", Num: 14, HasNum: true}, {Name: "mode", Value: "0644", Num: 0o644, HasNum: true}}
		case r < 16: // close
			ev.Code, ev.Type, ev.Category = closeCode, closeName, closeCat
			ev.FD = &eval.FD{Num: 7, Type: eval.FDFile, Name: files[i%len(files)]}
		case r < 18: // exec of an ordinary tool from an interactive shell
			tool := tools[i%len(tools)]
			ev.Code, ev.Type, ev.Category = execCode, execName, execCat
			ev.Thread = &eval.Thread{Pid: int64(5000 + i), Tid: int64(5000 + i), PPid: 4000, Comm: tool, Exe: tool, ExePath: "/usr/bin/" + tool, Args: []string{"-l"}, UID: 1000, TTY: 34816, LoginUID: 1000, Parent: bash, User: &eval.User{UID: 1000, Name: "dev"}}
		default: // connect to a private service
			ev.Code, ev.Type, ev.Category = connCode, connName, connCat
			ev.FD = &eval.FD{Num: 9, Type: eval.FDIPv4, L4Proto: "tcp", ClientIP: netip.MustParseAddr("10.0.0.5"), ClientPort: 40000, ServerIP: netip.MustParseAddr("10.0.3.20"), ServerPort: 5432, Connected: true, Name: "10.0.0.5:40000->10.0.3.20:5432"}
		}
		evs[i] = ev
	}
	return evs
}

// BenchmarkEvaluate measures the full upstream ruleset (all three files)
// against a realistic mix of events; one op is one event.
func BenchmarkEvaluate(b *testing.B) { benchEvaluate(b) }

// BenchmarkEvaluateNoMemo is BenchmarkEvaluate without the per-event
// memoisation of checks shared between rules, to compare side by side.
func BenchmarkEvaluateNoMemo(b *testing.B) {
	eval.SetMemo(false)
	defer eval.SetMemo(true)
	benchEvaluate(b)
}

func benchEvaluate(b *testing.B) {
	prog := compileUpstream(b, upstreamFiles...)
	eng, err := eval.New(prog, eval.Options{})
	if err != nil {
		b.Fatal(err)
	}
	evs := eventMix(b, 4096)
	matches := 0
	var dst []*eval.Rule
	for _, ev := range evs {
		if dst = eng.Evaluate(ev, dst[:0]); len(dst) > 0 {
			matches++
			b.Logf("event %d (%s by %s) matched %q", ev.Num, ev.Type, ev.Thread.Comm, dst[0].Name)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	for i := 0; i < b.N; i++ {
		dst = eng.Evaluate(evs[i&4095], dst[:0])
	}
	cpu := cpuTime() - cpu0
	b.StopTimer()
	if b.Elapsed() > 0 {
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
	}
	if cpu > 0 {
		// Per second of CPU actually used: what one core sustains,
		// even when a shared machine steals wall-clock time.
		b.ReportMetric(float64(b.N)/cpu.Seconds(), "events/cpu-s")
	}
	b.ReportMetric(float64(matches), "matching-events/4096")
}

// TestEvaluateNoAllocs pins the zero-allocation property of a
// non-matching event through the whole upstream ruleset.
func TestEvaluateNoAllocs(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles the upstream rules")
	}
	prog := compileUpstream(t, upstreamFiles...)
	eng, err := eval.New(prog, eval.Options{})
	if err != nil {
		t.Fatal(err)
	}
	evs := eventMix(t, 4096)
	var dst []*eval.Rule
	for _, ev := range evs {
		if dst = eng.Evaluate(ev, dst[:0]); len(dst) > 0 {
			t.Fatalf("event %d (%s by %s) unexpectedly matched %q", ev.Num, ev.Type, ev.Thread.Comm, dst[0].Name)
		}
	}
	i := 0
	allocs := testing.AllocsPerRun(4096, func() {
		dst = eng.Evaluate(evs[i&4095], dst[:0])
		i++
	})
	if allocs != 0 {
		t.Errorf("Evaluate allocates %.2f times per non-matching event, want 0", allocs)
	}
	if u := eng.Unsupported(); len(u) > 0 {
		t.Logf("fields evaluated as <NA>: %v", u)
	}
}

// cpuTime returns the CPU time (user+system) this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
