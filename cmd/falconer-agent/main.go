// Command falconer-agent is the Falconer node agent: it captures syscalls
// with eBPF, evaluates them with a compiled ruleset, and writes alerts in
// Falco's text or JSON format.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"

	"github.com/falconer-sec/falconer/agent"
	"github.com/falconer-sec/falconer/bpf"
	"github.com/falconer-sec/falconer/compiler"
	"github.com/falconer-sec/falconer/compiler/ir"
)

const usage = `Usage: falconer-agent --ruleset FILE [flags]
       falconer-agent --follow REGISTRY/REPO:TAG --key cosign.pub [flags]
       falconer-agent --watch RULES_DIR [flags]

falconer-agent captures syscalls with eBPF, evaluates every event against a
compiled ruleset (falconer build) or rule files, and writes alerts to
stdout in Falco's text or JSON format. With --follow it takes its ruleset
from a registry, verifies its signature, and swaps to every new signed
version without a restart (see docs/follow.md); with --watch it reloads
local rule files when they change.

It needs root, or the capabilities CAP_BPF and CAP_PERFMON (plus
CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH to read the /proc entries of other
users' processes), and a kernel (6.2 or later) with BTF. See docs/agent.md.

Flags:
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	var ue usageError
	switch {
	case err == nil:
	case errors.As(err, &ue):
		fmt.Fprintf(os.Stderr, "falconer-agent: %v\n", err)
		os.Exit(2)
	default:
		fmt.Fprintf(os.Stderr, "falconer-agent: %v\n", err)
		os.Exit(1)
	}
}

type usageError struct{ error }

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("falconer-agent", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, usage)
		fs.PrintDefaults()
	}
	var cfg agent.Config
	ruleset := fs.String("ruleset", "", "compiled ruleset (.fcr), or comma-separated rule files and directories to compile")
	fs.StringVar(&cfg.Output, "output", "text", "alert format: text or json")
	fs.StringVar(&cfg.MinPriority, "priority", "", "minimum rule priority to load (e.g. warning); default all")
	fs.BoolVar(&cfg.AllMatches, "all-matches", false, "report every matching rule per event, not only the first")
	fs.StringVar(&cfg.CapturePath, "capture", "", "record every event into this .scap file (Falco can replay it)")
	fs.DurationVar(&cfg.CaptureDuration, "capture-duration", 0, "stop recording after this long (default: until exit)")
	fs.Uint64Var(&cfg.CaptureCount, "capture-count", 0, "stop recording after this many events (default: until exit)")
	fs.IntVar(&cfg.RingSize, "ring-size", bpf.DefaultRingSize, "kernel ring buffer size in bytes (a power of two)")
	fs.Float64Var(&cfg.DropThreshold, "drop-threshold", 0.001, "fraction of dropped events per second above which the drop alert fires (negative: never)")
	fs.StringVar(&cfg.Hostname, "hostname", "", "host name in alerts (default: this host's)")
	var outFlags outputFlags
	outFlags.register(fs)
	var follow followFlags
	follow.register(fs)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return usageError{err}
	}
	switch {
	case *ruleset == "" && !follow.enabled():
		fs.Usage()
		return usageError{errors.New("--ruleset, --follow or --watch is required")}
	case *ruleset != "" && follow.enabled():
		return usageError{errors.New("--ruleset cannot be combined with --follow or --watch")}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("unexpected arguments %q", fs.Args())}
	}
	var follower *agent.Follower
	if follow.enabled() {
		f, rs, err := follow.setup(ctx, stderr)
		if err != nil {
			return err
		}
		follower = f
		cfg.Program, cfg.Digest, cfg.Version = rs.Program, rs.Digest, rs.Version
	} else {
		prog, digest, err := loadRuleset(*ruleset)
		if err != nil {
			return err
		}
		cfg.Program, cfg.Digest = prog, digest
	}
	prog, digest := cfg.Program, cfg.Digest
	cfg.Stdout, cfg.Log = stdout, stderr
	outs, err := outFlags.setup(&cfg, agentVersion())
	if err != nil {
		return err
	}
	a, err := agent.New(cfg)
	if err != nil {
		return err
	}
	ctx, stopOutputs := context.WithCancel(ctx)
	defer stopOutputs()
	waitOutputs := outs.start(ctx, a, stderr)
	waitFollow, err := follow.start(ctx, a, follower, stderr)
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "falconer-agent: %d rules loaded (%s), capturing %d syscalls\n", len(prog.Rules), digest, len(prog.Syscalls))
	err = a.Run(ctx)
	stopOutputs()
	if ferr := waitFollow(); err == nil && ferr != nil {
		err = ferr
	}
	if werr := waitOutputs(); err == nil && werr != nil {
		err = werr
	}
	s := a.Stats()
	fmt.Fprintf(stderr, "falconer-agent: stopped: %d events, %d evaluated, %d alerts, %d dropped by the kernel\n",
		s.Events, s.Evaluated, s.Alerts, s.Kernel.Drops())
	return err
}

// loadRuleset reads a compiled ruleset, or compiles rule files.
func loadRuleset(spec string) (*ir.Program, string, error) {
	if strings.HasSuffix(spec, ".fcr") {
		data, err := os.ReadFile(spec)
		if err != nil {
			return nil, "", err
		}
		p, err := ir.Decode(data)
		if err != nil {
			return nil, "", fmt.Errorf("%s: %w", spec, err)
		}
		return p, ir.Digest(data), nil
	}
	p, diags, err := compiler.Compile(compiler.OSFS{}, strings.Split(spec, ","), compiler.Options{})
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w\n%s", spec, err, diags.Errors())
	}
	data, err := ir.Encode(p)
	if err != nil {
		return nil, "", err
	}
	return p, ir.Digest(data), nil
}

// agentVersion is the version of this build, from the module's build
// information.
func agentVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "devel"
}
