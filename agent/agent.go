package agent

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/falconer-sec/falconer/agent/scap"
	"github.com/falconer-sec/falconer/agent/state"
	"github.com/falconer-sec/falconer/bpf"
	"github.com/falconer-sec/falconer/compiler/eval"
	"github.com/falconer-sec/falconer/compiler/ir"
)

// Config configures an Agent. Fields left zero take the defaults named.
type Config struct {
	// Program is the compiled ruleset to start with.
	Program *ir.Program
	// Digest and Version describe Program for status output (optional).
	Digest, Version string

	// Output is the alert format on Stdout: "text" (default) or "json".
	Output string
	// Stdout receives the alert lines (default os.Stdout). Lines are
	// written unbuffered when Stdout is a terminal, and flushed after
	// every batch of events otherwise.
	Stdout io.Writer
	// Log receives the agent's own messages (default os.Stderr).
	Log io.Writer
	// OnAlert, if set, receives every alert too (outputs, tests).
	OnAlert func(*eval.Alert)
	// OnReady, if set, is called once the probe is attached and events
	// flow.
	OnReady func()
	// OnEvaluate, if set, receives the time the rules took for a sample
	// of events (one in 64), for the latency histogram.
	OnEvaluate func(time.Duration)

	// MinPriority drops rules less severe than this (Falco's priority
	// setting); "" keeps all.
	MinPriority string
	// AllMatches reports every matching rule per event (rule_matching:
	// all); by default only the first, as Falco does.
	AllMatches bool
	// Hostname is put in alerts (default: this host's name).
	Hostname string

	// RingSize is the kernel ring buffer size in bytes (default 8 MiB).
	RingSize int
	// Procfs and Etc are where the process table and the user database
	// are seeded from (default /proc and /etc).
	Procfs, Etc string

	// CapturePath, if set, records every event into a .scap file Falco
	// can replay, until CaptureDuration passes or CaptureCount events
	// were written (0: until the agent stops).
	CapturePath     string
	CaptureDuration time.Duration
	CaptureCount    uint64

	// DropThreshold is the fraction of events dropped in a
	// StatsInterval above which the agent raises its drop alert
	// (default 0.001, one in a thousand; negative disables the alert).
	DropThreshold float64
	// StatsInterval is how often kernel counters are read (default 1s).
	StatsInterval time.Duration
}

// Stats counts what the agent did.
type Stats struct {
	Events    uint64 // events read from the kernel
	Evaluated uint64 // events that reached the rules
	Alerts    uint64
	Decode    uint64 // records that could not be decoded
	Kernel    bpf.Stats
	Threads   int // process table size
	Swaps     uint64
}

// Agent is a running node agent.
type Agent struct {
	cfg    Config
	engine atomic.Pointer[loaded]
	swapMu sync.Mutex // serialises Swap; the read loop never takes it

	probe *bpf.Probe
	table *state.Table
	out   *alertWriter

	events, evaluated, alerts, decodeErrs atomic.Uint64
	swaps                                 atomic.Uint64
	threads                               atomic.Int64
	kernel                                atomic.Pointer[bpf.Stats]

	// ready is closed once Run has attached the probe, done when Run
	// returns (Follow waits on them).
	ready, done         chan struct{}
	readyOnce, doneOnce sync.Once
}

// loaded is one activated ruleset.
type loaded struct {
	prog    *ir.Program
	eng     *eval.Engine
	digest  string
	version string
	since   time.Time
}

// New checks the configuration and loads the ruleset; Run starts the
// capture.
func New(cfg Config) (*Agent, error) {
	if cfg.Program == nil {
		return nil, errors.New("agent: no ruleset")
	}
	if cfg.Output == "" {
		cfg.Output = "text"
	}
	if cfg.Output != "text" && cfg.Output != "json" {
		return nil, fmt.Errorf("agent: output format %q: must be text or json", cfg.Output)
	}
	if cfg.Stdout == nil {
		cfg.Stdout = os.Stdout
	}
	if cfg.Log == nil {
		cfg.Log = os.Stderr
	}
	if cfg.Hostname == "" {
		cfg.Hostname, _ = os.Hostname()
	}
	if cfg.Procfs == "" {
		cfg.Procfs = "/proc"
	}
	if cfg.Etc == "" {
		cfg.Etc = "/etc"
	}
	if cfg.DropThreshold == 0 {
		cfg.DropThreshold = 0.001
	}
	if cfg.StatsInterval <= 0 {
		cfg.StatsInterval = time.Second
	}
	a := &Agent{cfg: cfg, ready: make(chan struct{}), done: make(chan struct{})}
	l, err := a.load(cfg.Program, cfg.Digest, cfg.Version)
	if err != nil {
		return nil, err
	}
	a.engine.Store(l)
	a.out = newAlertWriter(cfg.Stdout, cfg.Output)
	return a, nil
}

func (a *Agent) load(p *ir.Program, digest, version string) (*loaded, error) {
	eng, err := eval.New(p, eval.Options{MinPriority: a.cfg.MinPriority, AllMatches: a.cfg.AllMatches, Hostname: a.cfg.Hostname})
	if err != nil {
		return nil, fmt.Errorf("agent: load ruleset: %w", err)
	}
	return &loaded{prog: p, eng: eng, digest: digest, version: version, since: time.Now()}, nil
}

// Stats returns the agent's counters.
func (a *Agent) Stats() Stats {
	s := Stats{
		Events:    a.events.Load(),
		Evaluated: a.evaluated.Load(),
		Alerts:    a.alerts.Load(),
		Decode:    a.decodeErrs.Load(),
		Threads:   int(a.threads.Load()),
		Swaps:     a.swaps.Load(),
	}
	if k := a.kernel.Load(); k != nil {
		s.Kernel = *k
	}
	return s
}

// Run captures and evaluates events until ctx is done, then detaches
// everything. It fails early, naming what is missing, when the kernel or
// the privileges do not allow the probe.
func (a *Agent) Run(ctx context.Context) error {
	defer a.doneOnce.Do(func() { close(a.done) })
	l := a.engine.Load()
	syscalls, unsupported := bpf.Supported(l.prog.Syscalls)
	if len(unsupported) > 0 {
		fmt.Fprintf(a.cfg.Log, "falconer-agent: the probe does not capture %d syscalls the rules name: %v\n", len(unsupported), unsupported)
	}
	// An empty ring is polled every 200µs, backing off to 1ms: an alert
	// waits at most about 1ms for the reader, and a steady stream of
	// events is read in batches rather than a few at a time.
	probe, err := bpf.Load(bpf.Options{
		RingSize: a.cfg.RingSize,
		Syscalls: syscalls,
		PollMin:  200 * time.Microsecond,
		PollMax:  time.Millisecond,
	})
	if err != nil {
		return fmt.Errorf("agent: %w", err)
	}
	a.probe = probe
	defer probe.Close()

	// Seed the process table before attaching, then attach: events from
	// processes started in between are created on the fly.
	a.table = state.New(state.Options{Hostname: a.cfg.Hostname})
	if _, err := a.table.SeedProc(a.cfg.Procfs, a.cfg.Etc); err != nil {
		fmt.Fprintf(a.cfg.Log, "falconer-agent: %v (continuing with an empty process table)\n", err)
	}
	if err := probe.Attach(); err != nil {
		return fmt.Errorf("agent: %w", err)
	}

	var capture *captureWriter
	if a.cfg.CapturePath != "" {
		if capture, err = newCaptureWriter(a.cfg, a.table); err != nil {
			return fmt.Errorf("agent: %w", err)
		}
	}

	// Loading the ruleset and seeding the tables left garbage behind:
	// return it to the kernel now rather than keep it resident.
	debug.FreeOSMemory()
	a.readyOnce.Do(func() { close(a.ready) })
	if a.cfg.OnReady != nil {
		a.cfg.OnReady()
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		a.watchDrops(ctx, stop)
	}()

	var ev scap.Event
	var matched []*eval.Rule
	readErr := probe.Read(ctx, func(batch [][]byte) error {
		cur := a.engine.Load() // one ruleset per batch: never a mix
		for _, raw := range batch {
			a.events.Add(1)
			if err := ev.Parse(raw, 0); err != nil {
				a.decodeErrs.Add(1)
				continue
			}
			if capture != nil {
				capture.write(&ev)
			}
			e, ok := a.table.Process(&ev)
			if !ok {
				continue
			}
			n := a.evaluated.Add(1)
			if a.cfg.OnEvaluate != nil && timeEvaluation(n) {
				t0 := time.Now()
				matched = cur.eng.Evaluate(e, matched[:0])
				a.cfg.OnEvaluate(time.Since(t0))
			} else {
				matched = cur.eng.Evaluate(e, matched[:0])
			}
			for _, r := range matched {
				a.emit(cur.eng.Alert(r, e))
			}
		}
		a.threads.Store(int64(a.table.Stats().Threads))
		a.out.flush()
		if capture != nil && capture.done() {
			if err := capture.close(); err != nil {
				fmt.Fprintf(a.cfg.Log, "falconer-agent: capture: %v\n", err)
			}
			capture = nil
		}
		return nil
	})
	close(stop)
	wg.Wait()
	a.out.flush()
	if capture != nil {
		if err := capture.close(); err != nil && readErr == nil {
			readErr = err
		}
	}
	if readErr != nil && !errors.Is(readErr, bpf.ErrClosed) {
		return fmt.Errorf("agent: %w", readErr)
	}
	return nil
}

// emit writes an alert to stdout and the configured outputs.
func (a *Agent) emit(al *eval.Alert) {
	a.alerts.Add(1)
	a.out.write(al)
	if a.cfg.OnAlert != nil {
		a.cfg.OnAlert(al)
	}
}

// alertWriter writes alert lines: unbuffered on a terminal, buffered and
// flushed per batch otherwise. It is safe for concurrent use (the read
// loop and the drop watcher both write).
type alertWriter struct {
	mu     sync.Mutex
	w      *bufio.Writer
	format string
	tty    bool
}

func newAlertWriter(w io.Writer, format string) *alertWriter {
	tty := false
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			tty = true
		}
	}
	return &alertWriter{w: bufio.NewWriterSize(w, 64<<10), format: format, tty: tty}
}

func (o *alertWriter) write(a *eval.Alert) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.format == "json" {
		o.w.Write(a.JSON())
	} else {
		o.w.WriteString(a.Text())
	}
	o.w.WriteByte('\n')
	if o.tty {
		o.w.Flush()
	}
}

func (o *alertWriter) flush() {
	o.mu.Lock()
	o.w.Flush()
	o.mu.Unlock()
}
