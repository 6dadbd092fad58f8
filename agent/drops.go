package agent

import (
	"context"
	"fmt"
	"time"

	"github.com/falconer-sec/falconer/compiler/eval"
	"github.com/falconer-sec/falconer/compiler/ir"
)

// DropRule is the rule name of the agent's drop alert, as Falco names its
// own.
const DropRule = "Falco internal: syscall event drop"

// watchDrops reads the kernel counters every StatsInterval and raises the
// drop alert when the share of dropped events passes DropThreshold.
func (a *Agent) watchDrops(ctx context.Context, stop <-chan struct{}) {
	t := time.NewTicker(a.cfg.StatsInterval)
	defer t.Stop()
	var last bool
	var prevEvents, prevDrops uint64
	for {
		select {
		case <-ctx.Done():
			return
		case <-stop:
			return
		case <-t.C:
		}
		s, err := a.probe.Stats()
		if err != nil {
			continue
		}
		a.kernel.Store(&s)
		events, drops := s.Events-prevEvents, s.Drops()-prevDrops
		prevEvents, prevDrops = s.Events, s.Drops()
		if a.cfg.DropThreshold < 0 || events == 0 {
			continue
		}
		ratio := float64(drops) / float64(events)
		if ratio > a.cfg.DropThreshold {
			a.emit(&eval.Alert{
				Time:     time.Now().UnixNano(),
				Rule:     DropRule,
				Priority: ir.Critical,
				Source:   "internal",
				Hostname: a.cfg.Hostname,
				Message: fmt.Sprintf("Falco internal: syscall event drop. %d system calls dropped in last %s (%.2f%% of %d).",
					drops, a.cfg.StatsInterval, 100*ratio, events),
				Fields: []eval.OutputField{
					{Name: "n_evts", Value: int64(events)},
					{Name: "n_drops", Value: int64(drops)},
					{Name: "n_drops_buffer", Value: int64(s.DropsBuffer)},
					{Name: "n_drops_oversize", Value: int64(s.DropsOversize)},
				},
			})
			a.out.flush()
			last = true
		} else if last {
			last = false
		}
	}
}
