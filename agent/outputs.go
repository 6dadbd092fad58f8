package agent

import (
	"github.com/falconer-sec/falconer/agent/output"
)

// OutputStatus reports the agent's state for the gRPC status API and the
// Prometheus metrics (it implements output.StatusSource).
func (a *Agent) OutputStatus() output.Status {
	l := a.engine.Load()
	st := output.Status{
		Ruleset: output.RulesetInfo{
			Digest:   l.digest,
			Version:  l.version,
			LoadedAt: l.since,
		},
		ProcessTableSize: int(a.threads.Load()),
	}
	for _, s := range l.prog.Sources {
		st.Ruleset.Files = append(st.Ruleset.Files, output.RuleFile{Name: s.Name, SHA256: s.SHA256})
	}
	if k := a.kernel.Load(); k != nil {
		// One row per drop cause; events are counted once, on the
		// buffer row.
		st.Kernel = []output.KernelCounters{
			{Category: "buffer", Events: k.Events, Drops: k.DropsBuffer},
			{Category: "oversize", Drops: k.DropsOversize},
			{Category: "scratch", Drops: k.DropsScratch},
		}
	}
	return st
}

// evalSampleEvery is how often (one event in N) the evaluation latency
// is timed for the metrics histogram: timing every event would cost more
// than a cheap evaluation.
const evalSampleEvery = 64

// timeEvaluation reports whether event n should be timed.
func timeEvaluation(n uint64) bool { return n%evalSampleEvery == 0 }
