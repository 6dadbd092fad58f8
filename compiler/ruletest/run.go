package ruletest

import (
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/falconer-sec/falconer/compiler/eval"
	"github.com/falconer-sec/falconer/compiler/ir"
)

// Options configures Run. The zero value runs inline events only.
type Options struct {
	// Hostname is put in the alerts (evt.hostname); default "falconer-test".
	Hostname string
	// Capture replays a capture file named by a case, calling fn for
	// every event in order (an event is valid only during its call).
	// The compiler does not read captures itself; the caller wires a
	// reader in. A case naming a capture fails when Capture is nil.
	Capture func(path string, fn func(*eval.Event)) error
}

// Result is the outcome of one case.
type Result struct {
	Case     *Case
	Failures []string      // empty when the case passed
	Alerts   []*eval.Alert // every alert the case's events raised
	Events   int
}

// Passed reports whether the case met every expectation.
func (r *Result) Passed() bool { return len(r.Failures) == 0 }

// Report is the outcome of a run.
type Report struct {
	Results  []*Result
	Coverage []RuleCoverage // one per loaded rule, in rule order
}

// Failed returns the number of failed cases.
func (r *Report) Failed() int {
	n := 0
	for _, res := range r.Results {
		if !res.Passed() {
			n++
		}
	}
	return n
}

// RuleCoverage tells whether a rule has a case that expects it to fire and
// one that expects it to stay silent on an event it could match.
type RuleCoverage struct {
	Rule     string
	Origin   ir.Origin
	Firing   bool
	Silent   bool
	Priority ir.Priority
}

// Covered reports whether the rule has both kinds of case.
func (c RuleCoverage) Covered() bool { return c.Firing && c.Silent }

// Run runs every case of files against prog.
func Run(prog *ir.Program, files []*File, opts Options) (*Report, error) {
	if opts.Hostname == "" {
		opts.Hostname = "falconer-test"
	}
	eng, err := eval.New(prog, eval.Options{AllMatches: true, Hostname: opts.Hostname})
	if err != nil {
		return nil, err
	}
	byName := map[string]*ir.Rule{}
	for i := range prog.Rules {
		byName[prog.Rules[i].Name] = &prog.Rules[i]
	}
	cov := make(map[string]*RuleCoverage, len(prog.Rules))
	rep := &Report{}
	for i := range prog.Rules {
		r := &prog.Rules[i]
		rep.Coverage = append(rep.Coverage, RuleCoverage{Rule: r.Name, Origin: r.Origin, Priority: r.Priority})
	}
	for i := range rep.Coverage {
		cov[rep.Coverage[i].Rule] = &rep.Coverage[i]
	}
	for _, f := range files {
		for _, c := range f.Cases {
			res := runCase(eng, c, byName, opts)
			rep.Results = append(rep.Results, res)
			markCoverage(c, res, byName, cov)
		}
	}
	return rep, nil
}

func runCase(eng *eval.Engine, c *Case, rules map[string]*ir.Rule, opts Options) *Result {
	res := &Result{Case: c}
	fail := func(format string, args ...any) { res.Failures = append(res.Failures, fmt.Sprintf(format, args...)) }

	var matched []*eval.Rule
	visit := func(ev *eval.Event) {
		res.Events++
		matched = eng.Evaluate(ev, matched[:0])
		for _, r := range matched {
			if len(c.Rules) > 0 && !slices.Contains(c.Rules, r.Name) {
				continue
			}
			res.Alerts = append(res.Alerts, eng.Alert(r, ev))
		}
	}
	if err := caseEvents(c, opts, visit); err != nil {
		fail("%v", err)
		return res
	}
	counts := map[string]int{}
	for _, a := range res.Alerts {
		counts[a.Rule]++
	}
	known := func(name string) bool {
		if _, ok := rules[name]; !ok {
			fail("rule %q is not in the ruleset (unknown, disabled or below the minimum priority)", name)
			return false
		}
		return true
	}
	for _, name := range c.Fires {
		if known(name) && counts[name] == 0 {
			fail("rule %q did not fire%s", name, ruleAt(rules[name]))
		}
	}
	for _, name := range c.NotFires {
		if known(name) && counts[name] > 0 {
			fail("rule %q fired %d time(s) but must not%s", name, counts[name], ruleAt(rules[name]))
		}
	}
	if c.Silent && len(res.Alerts) > 0 {
		fail("expected no alert, got %s", summary(counts))
	}
	for _, ae := range c.Alerts {
		if !known(ae.Rule) {
			continue
		}
		var mine []*eval.Alert
		for _, a := range res.Alerts {
			if a.Rule == ae.Rule {
				mine = append(mine, a)
			}
		}
		if ae.Count != nil && len(mine) != *ae.Count {
			fail("rule %q fired %d time(s), want %d%s", ae.Rule, len(mine), *ae.Count, ruleAt(rules[ae.Rule]))
			continue
		}
		if len(mine) == 0 {
			if ae.Count == nil || *ae.Count > 0 {
				fail("rule %q did not fire%s", ae.Rule, ruleAt(rules[ae.Rule]))
			}
			continue
		}
		checkAlert(mine[0], ae, fail)
	}
	if !res.Passed() {
		res.Failures = append(res.Failures, diff(c, counts))
	}
	return res
}

// checkAlert compares the first alert of a rule with the expectation.
func checkAlert(a *eval.Alert, ae AlertExpect, fail func(string, ...any)) {
	for _, sub := range ae.Output {
		if !strings.Contains(a.Message, sub) {
			fail("rule %q output %q does not contain %q", ae.Rule, a.Message, sub)
		}
	}
	if ae.Priority != "" {
		if p, err := eval.ParsePriority(ae.Priority); err != nil {
			fail("%v", err)
		} else if p != a.Priority {
			fail("rule %q priority %s, want %s", ae.Rule, a.Priority, p)
		}
	}
	keys := make([]string, 0, len(ae.Fields))
	for k := range ae.Fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		want := ae.Fields[k]
		got, ok := fieldValue(a, k)
		if !ok {
			fail("rule %q output has no field %s (fields: %s)", ae.Rule, k, fieldNames(a))
			continue
		}
		if got != want {
			fail("rule %q field %s = %q, want %q", ae.Rule, k, got, want)
		}
	}
}

func fieldValue(a *eval.Alert, name string) (string, bool) {
	for _, f := range a.Fields {
		if f.Name == name {
			if f.Value == nil {
				return "<NA>", true
			}
			return fmt.Sprint(f.Value), true
		}
	}
	return "", false
}

func fieldNames(a *eval.Alert) string {
	names := make([]string, len(a.Fields))
	for i, f := range a.Fields {
		names[i] = f.Name
	}
	return strings.Join(names, ", ")
}

func ruleAt(r *ir.Rule) string {
	if r == nil || r.Origin.File == "" {
		return ""
	}
	return fmt.Sprintf(" (rule at %s:%d)", r.Origin.File, r.Origin.Line)
}

func summary(counts map[string]int) string {
	names := make([]string, 0, len(counts))
	for n := range counts {
		names = append(names, n)
	}
	sort.Strings(names)
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = fmt.Sprintf("%q x%d", n, counts[n])
	}
	return strings.Join(parts, ", ")
}

// diff renders expected against actual firing rules, one per line, "-"
// for expected but missing and "+" for fired but not expected.
func diff(c *Case, counts map[string]int) string {
	want := map[string]bool{}
	for _, n := range c.ExpectedRules() {
		want[n] = true
	}
	var b strings.Builder
	b.WriteString("alerts (-want +got):")
	names := map[string]bool{}
	for n := range want {
		names[n] = true
	}
	for n := range counts {
		names[n] = true
	}
	sorted := make([]string, 0, len(names))
	for n := range names {
		sorted = append(sorted, n)
	}
	sort.Strings(sorted)
	for _, n := range sorted {
		switch {
		case want[n] && counts[n] == 0:
			fmt.Fprintf(&b, "\n  - %s", n)
		case !want[n] && counts[n] > 0:
			fmt.Fprintf(&b, "\n  + %s (x%d)", n, counts[n])
		default:
			fmt.Fprintf(&b, "\n    %s (x%d)", n, counts[n])
		}
	}
	if len(sorted) == 0 {
		b.WriteString("\n    (none)")
	}
	return b.String()
}

// caseEvents builds (or replays) the events of a case and passes each to
// fn.
func caseEvents(c *Case, opts Options, fn func(*eval.Event)) error {
	if c.Capture != "" {
		if opts.Capture == nil {
			return fmt.Errorf("capture %s: this runner cannot read capture files", c.Capture)
		}
		p := c.Capture
		if !filepath.IsAbs(p) {
			p = filepath.Join(filepath.Dir(c.File), p)
		}
		if err := opts.Capture(p, fn); err != nil {
			return fmt.Errorf("capture %s: %w", c.Capture, err)
		}
		return nil
	}
	b := &builder{c: c, hostname: opts.Hostname, nextPid: 40000}
	ctr, k8s, ctrID := b.container()
	proc, err := b.thread(c.Process, ctr, k8s, ctrID, 0)
	if err != nil {
		return err
	}
	specs := c.events()
	for i := range specs {
		ev, err := b.build(&specs[i], proc, ctr, k8s, ctrID)
		if err != nil {
			return fmt.Errorf("event %d (%s): %w", i+1, specs[i].Type, err)
		}
		fn(ev)
	}
	return nil
}

// markCoverage records what a case covers. A case covers "firing" for
// the rules it expects to fire, and "silent" for the rules it expects not
// to fire, explicitly or through silent: true on an event the rule is
// indexed for.
func markCoverage(c *Case, res *Result, rules map[string]*ir.Rule, cov map[string]*RuleCoverage) {
	for _, n := range c.ExpectedRules() {
		if rc, ok := cov[n]; ok {
			rc.Firing = true
		}
	}
	for _, n := range c.NotFires {
		if rc, ok := cov[n]; ok {
			rc.Silent = true
		}
	}
	for _, a := range c.Alerts {
		if a.Count != nil && *a.Count == 0 {
			if rc, ok := cov[a.Rule]; ok {
				rc.Silent = true
			}
		}
	}
	if !c.Silent {
		return
	}
	var codes []uint16
	for _, s := range c.events() {
		if code, ok := eval.EventCode(s.Type); ok {
			codes = append(codes, code)
		}
	}
	for name, r := range rules {
		if len(c.Rules) > 0 && !slices.Contains(c.Rules, name) {
			continue
		}
		if r.AllEvents {
			cov[name].Silent = true
			continue
		}
		for _, code := range codes {
			if _, found := slices.BinarySearch(r.EventCodes, code); found {
				cov[name].Silent = true
				break
			}
		}
	}
}
