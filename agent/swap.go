package agent

import (
	"fmt"
	"slices"
	"time"

	"github.com/falconer-sec/falconer/bpf"
	"github.com/falconer-sec/falconer/compiler/ir"
)

// Active describes the ruleset in use.
type Active struct {
	Digest, Version string
	Rules           int
	Since           time.Time
}

// Active returns the ruleset in use.
func (a *Agent) Active() Active {
	l := a.engine.Load()
	return Active{Digest: l.digest, Version: l.version, Rules: len(l.prog.Rules), Since: l.since}
}

// Swap activates a new ruleset without stopping the capture: the new
// ruleset is compiled first (a failure leaves the old one active), the
// syscalls it newly needs are turned on in the kernel, the evaluator's
// ruleset pointer is switched atomically between two batches of events
// (so no event is evaluated by a mix of old and new rules, and none is
// dropped), and syscalls no longer needed are turned off last.
func (a *Agent) Swap(p *ir.Program, digest, version string) (time.Duration, error) {
	a.swapMu.Lock()
	defer a.swapMu.Unlock()
	next, err := a.load(p, digest, version)
	if err != nil {
		return 0, err
	}
	prev := a.engine.Load()
	start := time.Now()
	if a.probe != nil {
		union := mergeSorted(prev.prog.Syscalls, p.Syscalls)
		on, _ := bpf.Supported(union)
		if err := a.probe.SetSyscalls(on); err != nil {
			return 0, fmt.Errorf("swap: enable syscalls: %w", err)
		}
	}
	a.engine.Store(next)
	pause := time.Since(start)
	if a.probe != nil {
		only, _ := bpf.Supported(p.Syscalls)
		if err := a.probe.SetSyscalls(only); err != nil {
			return pause, fmt.Errorf("swap: narrow syscalls: %w", err)
		}
	}
	a.swaps.Add(1)
	return pause, nil
}

func mergeSorted(a, b []string) []string {
	out := append(slices.Clone(a), b...)
	slices.Sort(out)
	return slices.Compact(out)
}
