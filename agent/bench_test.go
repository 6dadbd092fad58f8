//go:build linux && amd64

package agent_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/falconer-sec/falconer/agent"
	"github.com/falconer-sec/falconer/bpf"
	"github.com/falconer-sec/falconer/bpf/bpftest"
	"github.com/falconer-sec/falconer/compiler"
	"github.com/falconer-sec/falconer/compiler/eval"
	"github.com/falconer-sec/falconer/compiler/ir"
)

var (
	benchRounds   = flag.Int("agent.rounds", 5, "rounds of the detached, agent and probe-only phases in BenchmarkOverhead")
	benchPhase    = flag.Duration("agent.phase", time.Second, "duration of one workload phase (BenchmarkThroughput runs 3 of them)")
	benchTriggers = flag.Int("agent.triggers", 1000, "triggering syscalls in BenchmarkAlertLatency")
	benchRate     = flag.Float64("agent.rate", 550e3, "events/s the paced phase of BenchmarkThroughput aims at")
	benchLoaders  = flag.Int("agent.loaders", 2, "load generator processes in BenchmarkThroughput")
)

// upstreamRules are the three upstream rule files, in load order.
var upstreamRules = []string{
	"../testdata/upstream-rules/falco_rules.yaml",
	"../testdata/upstream-rules/falco-incubating_rules.yaml",
	"../testdata/upstream-rules/falco-sandbox_rules.yaml",
}

// The benchmarks and the least-privilege test drive their loads from
// child processes (this test binary re-executed with childEnv set): the
// agent never sees its own process's syscalls, and the load must not
// share the agent's process anyway.
const childEnv = "FALCONER_AGENT_CHILD"

func TestMain(m *testing.M) {
	if spec := os.Getenv(childEnv); spec != "" {
		os.Exit(runChild(spec))
	}
	os.Exit(m.Run())
}

// runChild runs one child mode: "load:...", "trigger:..." or "holder:...".
func runChild(spec string) int {
	mode, arg, _ := strings.Cut(spec, ":")
	var err error
	switch mode {
	case "load":
		err = runLoad(arg)
	case "trigger":
		err = runTrigger(arg)
	case "holder":
		err = runHolder(arg)
	default:
		err = fmt.Errorf("unknown child mode %q", mode)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	return 0
}

// runLoad is the open/exec-heavy load: "DURATION:RATE:DIR:EXEC_EVERY".
// On one locked thread it opens and closes a rotation of files (absolute
// paths, a missing one, one relative to a directory fd) and every
// EXEC_EVERY opens fork+execs /bin/true, paced to RATE opens per second
// (0: flat out). It prints "opens execs elapsed_ns cpu_ns".
func runLoad(arg string) error {
	f := strings.Split(arg, ":")
	if len(f) != 4 {
		return fmt.Errorf("load %q: want DURATION:RATE:DIR:EXEC_EVERY", arg)
	}
	d, err := time.ParseDuration(f[0])
	if err != nil {
		return err
	}
	rate, err := strconv.ParseFloat(f[1], 64)
	if err != nil {
		return err
	}
	dir := f[2]
	execEvery, err := strconv.Atoi(f[3])
	if err != nil {
		return err
	}
	runtime.LockOSThread()
	// Same priority as the agent under test (see raisePriority).
	_ = unix.Setpriority(unix.PRIO_PROCESS, 0, -20)
	dirfd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil {
		return err
	}
	type target struct {
		dirfd int
		path  *byte
		flags int
	}
	var targets []target
	add := func(dirfd int, p string, flags int) {
		b, _ := unix.BytePtrFromString(p)
		targets = append(targets, target{dirfd, b, flags})
	}
	add(unix.AT_FDCWD, "/etc/ld.so.cache", unix.O_RDONLY|unix.O_CLOEXEC)
	add(unix.AT_FDCWD, "/etc/hostname", unix.O_RDONLY)
	add(unix.AT_FDCWD, "/usr/lib/os-release", unix.O_RDONLY|unix.O_CLOEXEC)
	add(unix.AT_FDCWD, filepath.Join(dir, "data"), unix.O_WRONLY|unix.O_CREAT)
	add(unix.AT_FDCWD, "/nonexistent/falconer/load", unix.O_RDONLY)
	add(dirfd, "data", unix.O_RDONLY)

	devnull, err := unix.Open("/dev/null", unix.O_RDWR, 0)
	if err != nil {
		return err
	}
	attr := &syscall.ProcAttr{Files: []uintptr{uintptr(devnull), uintptr(devnull), uintptr(devnull)}}
	argv := []string{"true"}

	var ru0, ru1 unix.Rusage
	_ = unix.Getrusage(unix.RUSAGE_THREAD, &ru0)
	start := time.Now()
	deadline := start.Add(d)
	opens, execs := 0, 0
	for {
		for range 64 {
			t := targets[opens%len(targets)]
			fd, _, errno := unix.RawSyscall6(unix.SYS_OPENAT, uintptr(int64(t.dirfd)), uintptr(unsafe.Pointer(t.path)), uintptr(t.flags), 0o600, 0, 0)
			if errno == 0 {
				unix.RawSyscall(unix.SYS_CLOSE, fd, 0, 0)
			}
			opens++
			if execEvery > 0 && opens%execEvery == 0 {
				pid, err := syscall.ForkExec("/bin/true", argv, attr)
				if err != nil {
					return fmt.Errorf("exec /bin/true: %w", err)
				}
				var ws syscall.WaitStatus
				if _, err := syscall.Wait4(pid, &ws, 0, nil); err != nil {
					return err
				}
				execs++
			}
		}
		now := time.Now()
		if now.After(deadline) {
			break
		}
		if rate > 0 {
			if ahead := time.Duration(float64(opens)/rate*1e9) - now.Sub(start); ahead > 0 {
				ts := unix.NsecToTimespec(int64(ahead))
				_ = unix.Nanosleep(&ts, nil)
			}
		}
	}
	elapsed := time.Since(start)
	_ = unix.Getrusage(unix.RUSAGE_THREAD, &ru1)
	fmt.Println(opens, execs, elapsed.Nanoseconds(), cpuNanos(ru1)-cpuNanos(ru0))
	return nil
}

// runTrigger opens /etc/shadow N times ("N:GAP"), GAP apart on average
// (uniformly 0.5-1.5 GAP, so the agent's reader is caught at every point
// of its polling cycle), and prints "before after" CLOCK_REALTIME ns
// around each open.
func runTrigger(arg string) error {
	ns, gs, _ := strings.Cut(arg, ":")
	n, err := strconv.Atoi(ns)
	if err != nil {
		return err
	}
	gap, err := time.ParseDuration(gs)
	if err != nil {
		return err
	}
	runtime.LockOSThread()
	path, _ := unix.BytePtrFromString("/etc/shadow")
	out := bufio.NewWriter(os.Stdout)
	for range n {
		t0 := time.Now().UnixNano()
		fd, _, errno := unix.RawSyscall6(unix.SYS_OPENAT, atFDCWD, uintptr(unsafe.Pointer(path)), unix.O_RDONLY, 0, 0, 0)
		t1 := time.Now().UnixNano()
		if errno != 0 {
			return fmt.Errorf("open /etc/shadow: %w", errno)
		}
		unix.RawSyscall(unix.SYS_CLOSE, fd, 0, 0)
		fmt.Fprintln(out, t0, t1)
		ts := unix.NsecToTimespec(int64(float64(gap) * (0.5 + rand.Float64())))
		_ = unix.Nanosleep(&ts, nil)
	}
	return out.Flush()
}

// atFDCWD is AT_FDCWD as a raw syscall argument.
const atFDCWD = ^uintptr(99) // -100

func cpuNanos(ru unix.Rusage) int64 { return ru.Utime.Nano() + ru.Stime.Nano() }

// selfCPU is this process's user+system time.
func selfCPU() time.Duration {
	var ru unix.Rusage
	_ = unix.Getrusage(unix.RUSAGE_SELF, &ru)
	return time.Duration(cpuNanos(ru))
}

// raisePriority gives every thread of process pid (the agent under
// test) nice -20, the priority package bpf's workloads give themselves,
// so that agent and load compete on equal terms, and less with whatever
// else runs on a shared machine. Threads started later inherit it.
func raisePriority(tb testing.TB, pid int) {
	tb.Helper()
	tasks, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	if err != nil {
		tb.Fatal(err)
	}
	for _, t := range tasks {
		tid, err := strconv.Atoi(t.Name())
		if err != nil {
			continue
		}
		if err := unix.Setpriority(unix.PRIO_PROCESS, tid, -20); err != nil && !errors.Is(err, unix.ESRCH) {
			tb.Fatalf("renice thread %d: %v", tid, err)
		}
	}
}

// compileProgram compiles rule files (paths relative to this package).
func compileProgram(tb testing.TB, paths ...string) *ir.Program {
	tb.Helper()
	p, diags, err := compiler.Compile(compiler.OSFS{}, paths, compiler.Options{})
	if err != nil {
		tb.Fatalf("compile %v: %v\n%s", paths, err, diags.Errors())
	}
	return p
}

// liveAgent is an agent running in this process.
type liveAgent struct {
	*agent.Agent
	cancel context.CancelFunc
	done   chan error
}

// launch starts an agent in the background and waits until it is
// attached. StatsInterval defaults to 20ms so that Stats is fresh.
func launch(tb testing.TB, cfg agent.Config) *liveAgent {
	tb.Helper()
	if cfg.Stdout == nil {
		cfg.Stdout = io.Discard
	}
	if cfg.Log == nil {
		cfg.Log = io.Discard
	}
	if cfg.StatsInterval == 0 {
		cfg.StatsInterval = 20 * time.Millisecond
	}
	ready := make(chan struct{})
	cfg.OnReady = func() { close(ready) }
	a, err := agent.New(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	l := &liveAgent{Agent: a, cancel: cancel, done: make(chan error, 1)}
	go func() { l.done <- a.Run(ctx) }()
	select {
	case <-ready:
	case err := <-l.done:
		cancel()
		tb.Fatalf("agent stopped before it was ready: %v", err)
	case <-time.After(30 * time.Second):
		cancel()
		tb.Fatal("agent not ready after 30s")
	}
	return l
}

// settled returns the agent's stats once the kernel counters have been
// read after everything before the call (it waits three stats intervals).
func (l *liveAgent) settled(interval time.Duration) agent.Stats {
	time.Sleep(3 * interval)
	return l.Stats()
}

func (l *liveAgent) stop(tb testing.TB) {
	tb.Helper()
	l.cancel()
	if err := <-l.done; err != nil {
		tb.Errorf("agent Run: %v", err)
	}
}

// rate is a workload's throughput per wall-clock second and per second
// of its own CPU time (the steadier figure on a shared machine).
type rate struct{ wall, cpu float64 }

// bpfWorkloads builds package bpf's test binary, whose child mode runs
// the probe benchmarks' workloads (getpid, pipe, openclose): the agent's
// figures are then measured with exactly the loops the probe's are.
func bpfWorkloads(tb testing.TB) string {
	tb.Helper()
	bin := filepath.Join(tb.TempDir(), "bpf.test")
	cmd := exec.Command("go", "test", "-c", "-o", bin, "github.com/falconer-sec/falconer/bpf")
	if out, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("build the bpf workloads: %v\n%s", err, out)
	}
	return bin
}

// bpfWorkload runs one of package bpf's workloads in a child process.
func bpfWorkload(tb testing.TB, bin, name string, d time.Duration, path string) rate {
	tb.Helper()
	cmd := exec.Command(bin, "-test.run=^$")
	cmd.Env = append(os.Environ(), fmt.Sprintf("FALCONER_BPF_WORKLOAD=%s:%s:%s", name, d, path))
	out, err := cmd.Output()
	if err != nil {
		tb.Fatalf("workload %s: %v", name, err)
	}
	f := strings.Fields(string(out))
	if len(f) != 3 {
		tb.Fatalf("workload %s printed %q", name, out)
	}
	ops, _ := strconv.ParseFloat(f[0], 64)
	ns, _ := strconv.ParseFloat(f[1], 64)
	cpu, _ := strconv.ParseFloat(f[2], 64)
	return rate{wall: ops / (ns / 1e9), cpu: ops / (cpu / 1e9)}
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}

// percentile returns the p-th percentile (0-100) of sorted xs.
func percentile(sorted []float64, p float64) float64 {
	i := int(float64(len(sorted)-1) * p / 100)
	return sorted[i]
}

// BenchmarkOverhead measures what the agent costs the rest of the node:
// workload throughput with the agent running the default ruleset versus
// no agent, alternating the phases in one run and taking medians. The
// getpid and pipe write+read loops use syscalls the ruleset does not
// need (the kernel filters them out); the open+close loop uses ones it
// does (every call becomes an event the agent decodes and evaluates).
// NAME-ratio is per second of the workload's own CPU time, NAME-wall-ratio
// per wall-clock second (1.0 = no cost). A third phase runs the probe
// alone with the same syscall set and a reader that only counts
// (NAME-probe-ratio): what the agent's own work adds to the kernel side.
// drops are the agent's kernel drops over every attached phase (must be
// 0); agent-cpu-% and openclose-events/s are the agent's during the
// open+close phases; foreign-probe-checks counts the checks (before and
// after each phase) that found BPF links other than ours, i.e. another
// probe on the machine that would skew the ratios (it should be 0).
func BenchmarkOverhead(b *testing.B) {
	bpftest.Privileged(b)
	raisePriority(b, os.Getpid())
	bin := bpfWorkloads(b)
	file := filepath.Join(b.TempDir(), "f")
	if err := os.WriteFile(file, []byte("x"), 0o600); err != nil {
		b.Fatal(err)
	}
	prog := compileProgram(b, "../rulesets/default")
	syscalls, _ := bpf.Supported(prog.Syscalls)
	const interval = 20 * time.Millisecond

	// Another probe attached meanwhile (tests running on the same
	// machine) would slow every phase: count the checks that see one.
	baseline := len(bpfLinks(b))
	foreign := 0
	checkLinks := func(ours int) {
		if n := len(bpfLinks(b)) - baseline - ours; n > 0 {
			foreign++
		}
	}

	const (
		detached = iota
		attached
		probeOnly
		phases
	)
	names := []string{"getpid", "pipe", "openclose"}
	rates := map[string][phases][]rate{}
	var drops, events uint64
	var agentCPU, agentWall time.Duration
	for round := range *benchRounds {
		for _, name := range names {
			r := rates[name]
			for i := range phases {
				switch phase := (i + round) % phases; phase { // rotate the order
				case detached:
					checkLinks(0)
					r[phase] = append(r[phase], bpfWorkload(b, bin, name, *benchPhase, file))
					checkLinks(0)
				case probeOnly:
					p, err := bpf.Load(bpf.Options{Syscalls: syscalls})
					if err != nil {
						b.Fatal(err)
					}
					if err := p.Attach(); err != nil {
						b.Fatal(err)
					}
					ours := len(bpfLinks(b)) - baseline
					ctx, cancel := context.WithCancel(context.Background())
					done := make(chan error, 1)
					go func() { done <- p.Read(ctx, func([][]byte) error { return nil }) }()
					r[phase] = append(r[phase], bpfWorkload(b, bin, name, *benchPhase, file))
					checkLinks(ours)
					cancel()
					if err := <-done; err != nil {
						b.Fatal(err)
					}
					p.Close()
				case attached:
					l := launch(b, agent.Config{Program: prog, StatsInterval: interval})
					ours := len(bpfLinks(b)) - baseline
					before := l.settled(interval)
					cpu0, start := selfCPU(), time.Now()
					r[phase] = append(r[phase], bpfWorkload(b, bin, name, *benchPhase, file))
					after := l.settled(interval)
					cpu, wall := selfCPU()-cpu0, time.Since(start)
					checkLinks(ours)
					l.stop(b)
					drops += after.Kernel.Drops() - before.Kernel.Drops()
					if name == "openclose" {
						agentCPU += cpu
						agentWall += wall
						events += after.Events - before.Events
					}
				}
			}
			rates[name] = r
		}
	}
	for _, name := range names {
		pick := func(phase int, f func(rate) float64) float64 {
			var xs []float64
			for _, r := range rates[name][phase] {
				xs = append(xs, f(r))
			}
			return median(xs)
		}
		cpu := func(r rate) float64 { return r.cpu }
		wall := func(r rate) float64 { return r.wall }
		b.ReportMetric(pick(attached, cpu)/pick(detached, cpu), name+"-ratio")
		b.ReportMetric(pick(attached, wall)/pick(detached, wall), name+"-wall-ratio")
		b.ReportMetric(pick(probeOnly, cpu)/pick(detached, cpu), name+"-probe-ratio")
		b.ReportMetric(pick(detached, cpu)/1e6, name+"-Mops/cpu-s")
	}
	b.ReportMetric(float64(drops), "drops")
	b.ReportMetric(float64(foreign), "foreign-probe-checks")
	if foreign > 0 {
		b.Logf("another BPF link was attached during %d phase checks: the ratios are not reliable", foreign)
	}
	b.ReportMetric(100*agentCPU.Seconds()/agentWall.Seconds(), "agent-cpu-%")
	b.ReportMetric(float64(events)/agentWall.Seconds(), "openclose-events/s")
}

// bpfLinks lists the ids of every BPF link on the machine.
func bpfLinks(tb testing.TB) []uint32 {
	tb.Helper()
	var ids []uint32
	attr := [3]uint32{} // start_id, next_id, open_flags
	for {
		_, _, errno := unix.Syscall(unix.SYS_BPF, unix.BPF_LINK_GET_NEXT_ID, uintptr(unsafe.Pointer(&attr)), unsafe.Sizeof(attr))
		if errno == unix.ENOENT {
			return ids
		}
		if errno != 0 {
			tb.Fatalf("list BPF links: %v", errno)
		}
		ids = append(ids, attr[1])
		attr[0] = attr[1]
	}
}

// loadResult is what one load generator child reports.
type loadResult struct {
	opens, execs float64
	wall, cpu    time.Duration
}

// startLoad starts the open/exec load in a child process: opsRate opens
// per second (0: flat out) with a /bin/true exec every execEvery opens.
// wait returns the child's report.
func startLoad(tb testing.TB, d time.Duration, opsRate float64, execEvery int) (wait func() loadResult) {
	tb.Helper()
	dir := tb.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "data"), []byte("x"), 0o600); err != nil {
		tb.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), fmt.Sprintf("%s=load:%s:%g:%s:%d", childEnv, d, opsRate, dir, execEvery))
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	return func() loadResult {
		tb.Helper()
		if err := cmd.Wait(); err != nil {
			tb.Fatalf("load: %v\n%s", err, errb.Bytes())
		}
		var r loadResult
		var wall, cpu int64
		if _, err := fmt.Sscan(out.String(), &r.opens, &r.execs, &wall, &cpu); err != nil {
			tb.Fatalf("load printed %q: %v", out.String(), err)
		}
		r.wall, r.cpu = time.Duration(wall), time.Duration(cpu)
		return r
	}
}

// execEvery is how often the load execs /bin/true, in opens: about 400
// execs a second next to ~200k opens when running flat out.
const execEvery = 500

// BenchmarkThroughput measures the sustained end-to-end rate (kernel
// capture, ring reading, decoding, process and fd state, evaluation) with
// the full upstream ruleset (the three rule files) and the default 8 MiB
// ring, on an open/exec-heavy load from -agent.loaders other processes.
//
// First flat out: events/s the agent processed, its kernel drops (must be
// 0), agent-cpu-% (100 = one core) and events/agent-cpu-s, the rate one
// core of agent sustains. On a small machine the load generators, which
// pay for the probe in their own syscalls, need most of the CPUs, so
// events/s is bounded by them and events/agent-cpu-s is the agent's
// capacity. Then the same load paced to about -agent.rate events/s in
// total: paced-events/s, paced-drops and paced-agent-cpu-%.
func BenchmarkThroughput(b *testing.B) {
	bpftest.Privileged(b)
	raisePriority(b, os.Getpid())
	prog := compileProgram(b, upstreamRules...)
	const interval = 20 * time.Millisecond
	l := launch(b, agent.Config{Program: prog, StatsInterval: interval})
	defer l.stop(b)

	// Warm up: state tables, caches, the heap.
	startLoad(b, 300*time.Millisecond, 0, execEvery)()

	type result struct {
		events, drops, opens float64
		cpu, wall            time.Duration
	}
	measure := func(d time.Duration, opsRate float64) result {
		before := l.settled(interval)
		cpu0, start := selfCPU(), time.Now()
		var waits []func() loadResult
		for range *benchLoaders {
			waits = append(waits, startLoad(b, d, opsRate, execEvery))
		}
		var r result
		for _, w := range waits {
			r.opens += w().opens
		}
		after := l.settled(interval)
		r.cpu, r.wall = selfCPU()-cpu0, time.Since(start)
		r.events = float64(after.Events - before.Events)
		r.drops = float64(after.Kernel.Drops() - before.Kernel.Drops())
		return r
	}

	r := measure(3**benchPhase, 0)
	b.ReportMetric(r.events/r.wall.Seconds(), "events/s")
	b.ReportMetric(r.drops, "drops")
	b.ReportMetric(100*r.cpu.Seconds()/r.wall.Seconds(), "agent-cpu-%")
	b.ReportMetric(r.events/r.cpu.Seconds(), "events/agent-cpu-s")

	// Pace each generator to its share of the target, from the events
	// each open brought (the execs' events included).
	perOpen := r.events / r.opens
	r = measure(3**benchPhase, *benchRate/perOpen/float64(*benchLoaders))
	b.ReportMetric(r.events/r.wall.Seconds(), "paced-events/s")
	b.ReportMetric(r.drops, "paced-drops")
	b.ReportMetric(100*r.cpu.Seconds()/r.wall.Seconds(), "paced-agent-cpu-%")
}

// lineClock is the agent's stdout: it stamps each complete alert line
// that contains match with the time it was written.
type lineClock struct {
	mu    sync.Mutex
	match string
	part  []byte
	times []int64
}

func (w *lineClock) Write(p []byte) (int, error) {
	now := time.Now().UnixNano()
	w.mu.Lock()
	defer w.mu.Unlock()
	w.part = append(w.part, p...)
	for {
		i := bytes.IndexByte(w.part, '\n')
		if i < 0 {
			break
		}
		if bytes.Contains(w.part[:i], []byte(w.match)) {
			w.times = append(w.times, now)
		}
		w.part = w.part[i+1:]
	}
	return len(p), nil
}

// BenchmarkAlertLatency measures the time from a syscall to its alert
// line: a child process opens /etc/shadow -agent.triggers times (5ms
// apart on average) noting CLOCK_REALTIME before each open; the agent
// writes an alert line for each; the latency is the time the line
// reached the agent's stdout minus the child's timestamp. Reported as
// p50-ms, p99-ms and max-ms, and event-to-line-p99-ms from the kernel's
// timestamp of the syscall instead. "idle": the default ruleset, nothing
// else running. "loaded": the full upstream ruleset while an open/exec
// load of about 200k events/s runs (load-events/s).
func BenchmarkAlertLatency(b *testing.B) {
	bpftest.Privileged(b)
	raisePriority(b, os.Getpid())
	b.Run("idle", func(b *testing.B) { benchLatency(b, compileProgram(b, "../rulesets/default"), false) })
	b.Run("loaded", func(b *testing.B) { benchLatency(b, compileProgram(b, upstreamRules...), true) })
}

// loadedRate is the background load of the loaded latency run, in
// events/s: a busy node, with CPU to spare for the agent.
const loadedRate = 200e3

func benchLatency(b *testing.B, prog *ir.Program, loaded bool) {
	n := *benchTriggers
	const gap = 5 * time.Millisecond
	self := filepath.Base(os.Args[0])
	self = self[:min(len(self), 15)]
	out := &lineClock{match: "process=" + self + " "}
	var mu sync.Mutex
	var evTimes []int64
	l := launch(b, agent.Config{Program: prog, Stdout: out, OnAlert: func(a *eval.Alert) {
		if a.Rule == "Read sensitive file untrusted" && fieldOf(a, "proc.name") == self {
			mu.Lock()
			evTimes = append(evTimes, a.Time)
			mu.Unlock()
		}
	}})
	defer l.stop(b)

	var waitLoad func() loadResult
	var loadStart time.Time
	var loadBefore agent.Stats
	if loaded {
		// Calibrate the opens per second that give loadedRate.
		before := l.settled(20 * time.Millisecond)
		cal := startLoad(b, 300*time.Millisecond, 0, execEvery)()
		after := l.settled(20 * time.Millisecond)
		perOpen := float64(after.Events-before.Events) / cal.opens
		d := time.Duration(n)*gap + 2*time.Second
		loadBefore, loadStart = l.Stats(), time.Now()
		waitLoad = startLoad(b, d, loadedRate/perOpen, execEvery)
		time.Sleep(500 * time.Millisecond)
	}
	before := l.Stats()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), fmt.Sprintf("%s=trigger:%d:%s", childEnv, n, gap))
	res, err := cmd.Output()
	if err != nil {
		b.Fatalf("trigger child: %v", err)
	}
	var t0s, t1s []int64
	for line := range strings.Lines(string(res)) {
		var t0, t1 int64
		if _, err := fmt.Sscan(line, &t0, &t1); err != nil {
			b.Fatalf("trigger printed %q: %v", line, err)
		}
		t0s, t1s = append(t0s, t0), append(t1s, t1)
	}
	// Wait for the last alert line.
	deadline := time.Now().Add(10 * time.Second)
	for {
		out.mu.Lock()
		got := len(out.times)
		out.mu.Unlock()
		if got >= n || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if waitLoad != nil {
		waitLoad()
	}
	after := l.settled(20 * time.Millisecond)
	if loaded {
		b.ReportMetric(float64(after.Events-loadBefore.Events)/time.Since(loadStart).Seconds(), "load-events/s")
	}

	out.mu.Lock()
	lines := slices.Clone(out.times)
	out.mu.Unlock()
	mu.Lock()
	evs := slices.Clone(evTimes)
	mu.Unlock()
	if len(t0s) != n || len(lines) != n || len(evs) != n {
		b.Fatalf("%d triggers, %d alert lines, %d alerts; want %d of each (drops %d)", len(t0s), len(lines), len(evs), n, after.Kernel.Drops()-before.Kernel.Drops())
	}
	// Alerts come out in event order: the i-th belongs to the i-th open,
	// whose kernel timestamp must lie between the child's two readings.
	var lat, klat []float64
	for i := range n {
		if evs[i] < t0s[i]-int64(time.Millisecond) || evs[i] > t1s[i]+int64(time.Millisecond) {
			b.Fatalf("alert %d: event time %d outside the open's [%d, %d]", i, evs[i], t0s[i], t1s[i])
		}
		lat = append(lat, float64(lines[i]-t0s[i])/1e6)
		klat = append(klat, float64(lines[i]-evs[i])/1e6)
	}
	slices.Sort(lat)
	slices.Sort(klat)
	b.ReportMetric(percentile(lat, 50), "p50-ms")
	b.ReportMetric(percentile(lat, 99), "p99-ms")
	b.ReportMetric(lat[len(lat)-1], "max-ms")
	b.ReportMetric(percentile(klat, 99), "event-to-line-p99-ms")
	b.ReportMetric(float64(after.Kernel.Drops()-before.Kernel.Drops()), "drops")
}

// buildAgentBinary builds cmd/falconer-agent into dir.
func buildAgentBinary(tb testing.TB, dir string) string {
	tb.Helper()
	bin := filepath.Join(dir, "falconer-agent")
	cmd := exec.Command("go", "build", "-o", bin, "../cmd/falconer-agent")
	if out, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("go build falconer-agent: %v\n%s", err, out)
	}
	return bin
}

// writeRuleset compiles rule files into a compiled ruleset file in dir.
func writeRuleset(tb testing.TB, dir string, paths ...string) string {
	tb.Helper()
	data, err := ir.Encode(compileProgram(tb, paths...))
	if err != nil {
		tb.Fatal(err)
	}
	f := filepath.Join(dir, "ruleset.fcr")
	if err := os.WriteFile(f, data, 0o644); err != nil {
		tb.Fatal(err)
	}
	return f
}

// procStatus reads the memory lines of /proc/PID/status, in KiB.
func procStatus(tb testing.TB, pid int) map[string]float64 {
	tb.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		tb.Fatal(err)
	}
	m := map[string]float64{}
	for line := range strings.Lines(string(data)) {
		k, v, _ := strings.Cut(line, ":")
		if f := strings.Fields(v); len(f) == 2 && f[1] == "kB" {
			m[k], _ = strconv.ParseFloat(f[0], 64)
		}
	}
	return m
}

// BenchmarkRSS measures the memory of the falconer-agent binary running
// with the full upstream ruleset and the default 8 MiB ring, after a
// warm-up of real load (the open/exec load flat out): VmRSS-MiB and
// VmHWM-MiB (the peak); RssAnon-MiB (heap, stacks) and RssFile-MiB
// (file-backed and shared pages), the latter mostly binary-MiB (the
// executable's pages in memory) and ring-MiB (the ring buffer, whose data
// the kernel maps twice, so 8 MiB count 16). "compiled" loads the
// ruleset as shipped (.fcr); "yaml" compiles the three rule files at
// start.
func BenchmarkRSS(b *testing.B) {
	bpftest.Privileged(b)
	dir := b.TempDir()
	bin := buildAgentBinary(b, dir)
	fcr := writeRuleset(b, dir, upstreamRules...)
	var yaml []string
	for _, p := range upstreamRules {
		abs, err := filepath.Abs(p)
		if err != nil {
			b.Fatal(err)
		}
		yaml = append(yaml, abs)
	}
	for _, bc := range []struct{ name, ruleset string }{
		{"compiled", fcr},
		{"yaml", strings.Join(yaml, ",")},
	} {
		b.Run(bc.name, func(b *testing.B) {
			cmd := exec.Command(bin, "--ruleset", bc.ruleset,
				"--grpc-socket", filepath.Join(b.TempDir(), "falconer.sock"), "--web-addr", "127.0.0.1:0")
			stderr := &syncBuffer{}
			cmd.Stdout, cmd.Stderr = io.Discard, stderr
			if err := cmd.Start(); err != nil {
				b.Fatal(err)
			}
			defer func() {
				cmd.Process.Signal(syscall.SIGTERM)
				if err := cmd.Wait(); err != nil {
					b.Errorf("falconer-agent: %v\n%s", err, stderr.String())
				}
			}()
			// The agent logs its load line before attaching; give the
			// attach a moment, then load it for real.
			waitFor(b, 30*time.Second, func() bool { return strings.Contains(stderr.String(), "rules loaded") })
			raisePriority(b, cmd.Process.Pid)
			time.Sleep(500 * time.Millisecond)
			startLoad(b, 2*time.Second, 0, execEvery)()
			time.Sleep(200 * time.Millisecond)
			st := procStatus(b, cmd.Process.Pid)
			for _, k := range []string{"VmRSS", "VmHWM", "RssAnon", "RssFile"} {
				b.ReportMetric(st[k]/1024, k+"-MiB")
			}
			maps := mappingRSS(b, cmd.Process.Pid)
			b.ReportMetric(maps[bin]/1024, "binary-MiB")
			b.ReportMetric(maps["anon_inode:bpf-map"]/1024, "ring-MiB")
		})
	}
}

// mappingRSS sums the resident KiB of a process's mappings by what they
// map (a path, "anon_inode:bpf-map", or "" for anonymous memory).
func mappingRSS(tb testing.TB, pid int) map[string]float64 {
	tb.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/smaps", pid))
	if err != nil {
		tb.Fatal(err)
	}
	m := map[string]float64{}
	var name string
	for line := range strings.Lines(string(data)) {
		f := strings.Fields(line)
		switch {
		case len(f) >= 5 && strings.Contains(f[0], "-") && !strings.HasSuffix(f[0], ":"):
			name = ""
			if len(f) >= 6 {
				name = f[5]
			}
		case len(f) == 3 && f[0] == "Rss:":
			kb, _ := strconv.ParseFloat(f[1], 64)
			m[name] += kb
		}
	}
	return m
}

// syncBuffer is a bytes.Buffer safe for a writer and readers.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()
}

// waitFor polls cond every 20ms until it holds, failing after timeout.
func waitFor(tb testing.TB, timeout time.Duration, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("condition not met within %s", timeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
