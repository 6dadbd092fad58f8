// Package replay runs capture files through the rules: it reads a .scap
// capture, rebuilds the process and fd state event by event, evaluates
// every event with the compiled ruleset, and reports the alerts. It is
// what `falconer replay` and capture-based rule tests use, and the same
// path the agent's live events take.
package replay

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"time"

	"github.com/falconer-sec/falconer/agent/scap"
	"github.com/falconer-sec/falconer/agent/state"
	"github.com/falconer-sec/falconer/compiler/eval"
)

// Options configures Run. The zero value works.
type Options struct {
	// Hostname is evt.hostname (default: the capture machine's name, or
	// this host's).
	Hostname string
	// StateOptions tunes the state engine.
	State state.Options
}

// Summary reports a replay.
type Summary struct {
	Events    uint64         // events read
	Evaluated uint64         // events that reached the rules
	Alerts    uint64         // alerts raised
	ByRule    map[string]int // alerts per rule
	Duration  time.Duration
	Sections  int
}

// EventsPerSecond is the replay throughput.
func (s Summary) EventsPerSecond() float64 {
	if s.Duration <= 0 {
		return 0
	}
	return float64(s.Events) / s.Duration.Seconds()
}

// Rules returns the rules that fired, most alerts first.
func (s Summary) Rules() []string {
	names := make([]string, 0, len(s.ByRule))
	for n := range s.ByRule {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool {
		if s.ByRule[names[i]] != s.ByRule[names[j]] {
			return s.ByRule[names[i]] > s.ByRule[names[j]]
		}
		return names[i] < names[j]
	})
	return names
}

// Each reads a capture and calls fn for every event that reaches the
// rules, with the state applied. The event is valid only during the call.
// A new section of a concatenated capture starts over with its own
// tables.
func Each(ctx context.Context, r io.Reader, opts Options, fn func(*eval.Event) error) (Summary, error) {
	start := time.Now()
	var sum Summary
	rd, err := scap.NewReader(r, scap.ReaderOptions{})
	if err != nil {
		return sum, err
	}
	tab := newTable(rd, opts)
	sum.Sections = 1
	for i := 0; ; i++ {
		if i&1023 == 0 {
			if err := ctx.Err(); err != nil {
				return sum, err
			}
		}
		e, err := rd.Next()
		if errors.Is(err, scap.ErrNewSection) {
			tab = newTable(rd, opts)
			sum.Sections++
			continue
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			sum.Duration = time.Since(start)
			return sum, err
		}
		sum.Events++
		ev, ok := tab.Process(e)
		if !ok {
			continue
		}
		sum.Evaluated++
		if err := fn(ev); err != nil {
			sum.Duration = time.Since(start)
			return sum, err
		}
	}
	sum.Duration = time.Since(start)
	return sum, nil
}

func newTable(rd *scap.Reader, opts Options) *state.Table {
	so := opts.State
	so.Hostname = opts.Hostname
	if so.Hostname == "" {
		if m := rd.Machine(); m != nil && m.Hostname != "" {
			so.Hostname = m.Hostname
		} else if h, err := os.Hostname(); err == nil {
			so.Hostname = h
		}
	}
	tab := state.New(so)
	tab.SeedCapture(rd)
	return tab
}

// Run replays a capture through eng and calls onAlert for every alert.
func Run(ctx context.Context, r io.Reader, eng *eval.Engine, opts Options, onAlert func(*eval.Alert) error) (Summary, error) {
	byRule := map[string]int{}
	var alerts uint64
	var matched []*eval.Rule
	sum, err := Each(ctx, r, opts, func(ev *eval.Event) error {
		matched = eng.Evaluate(ev, matched[:0])
		for _, rule := range matched {
			alerts++
			byRule[rule.Name]++
			if onAlert != nil {
				if err := onAlert(eng.Alert(rule, ev)); err != nil {
					return err
				}
			}
		}
		return nil
	})
	sum.Alerts, sum.ByRule = alerts, byRule
	if err != nil {
		return sum, fmt.Errorf("replay: %w", err)
	}
	return sum, nil
}

// File replays the capture file at path (gzip or plain).
func File(ctx context.Context, path string, eng *eval.Engine, opts Options, onAlert func(*eval.Alert) error) (Summary, error) {
	f, err := os.Open(path)
	if err != nil {
		return Summary{}, err
	}
	defer f.Close()
	return Run(ctx, f, eng, opts, onAlert)
}

// TestCapture replays the capture file at path for rule tests: every event
// that reaches the rules goes to fn, with the state applied, and the host
// name is the fixed "falconer-test" so outputs are reproducible. Its
// signature is ruletest.Options.Capture's.
func TestCapture(path string, fn func(*eval.Event)) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = Each(context.Background(), f, Options{Hostname: "falconer-test"}, func(ev *eval.Event) error {
		fn(ev)
		return nil
	})
	return err
}
