// Package eval evaluates compiled rulesets against events. The same
// evaluator runs in `falconer test`, in capture replays and in the node
// agent, so a rule that passes its tests behaves the same in production.
//
// New compiles every rule condition of an ir.Program into closures once;
// Evaluate then dispatches an event only to the rules indexed under its
// event code (plus the rules with no event-type restriction), in rule
// order, and allocates nothing for an event that matches no rule.
package eval

import (
	"fmt"
	"sort"
	"strings"

	"github.com/falconer-sec/falconer/compiler/ir"
)

// MaxEventCode bounds the event codes the index covers; events with a
// larger code are checked against the unrestricted rules only.
const MaxEventCode = 1024

// Options configures New. The zero value loads every rule and reports the
// first matching rule per event, as Falco does by default.
type Options struct {
	// MinPriority, when set, drops rules less severe than it, as
	// Falco's "priority" setting does. Valid values are Falco's names
	// ("warning", "Informational", "info", ...); "" keeps every rule.
	MinPriority string
	// AllMatches reports every matching rule of an event (Falco's
	// rule_matching: all) instead of the first.
	AllMatches bool
	// Hostname is the host name put in alerts.
	Hostname string
}

// Rule is a loaded rule.
type Rule struct {
	// Index is the rule's position in the program.
	Index    int
	Name     string
	Desc     string
	Priority ir.Priority
	Source   string
	Tags     []string
	Origin   ir.Origin

	cond   pred
	output []outToken
}

// Engine evaluates events against a loaded ruleset. It is safe for
// concurrent use by multiple goroutines as long as each Event is used by
// one goroutine at a time.
type Engine struct {
	rules       []*Rule
	byCode      [][]entry // per event code: the rules to try, in order
	unindexed   []entry   // rules with no event-type restriction
	memoSlots   int       // per-event memo slots for shared checks
	allMatches  bool
	hostname    string
	unsupported []string
}

// ParsePriority parses a Falco priority name, case-insensitively, with
// "info" as an alias of Informational.
func ParsePriority(s string) (ir.Priority, error) {
	if strings.EqualFold(s, "info") {
		return ir.Informational, nil
	}
	for p := ir.Emergency; p <= ir.Debug; p++ {
		if strings.EqualFold(s, p.String()) {
			return p, nil
		}
	}
	return 0, fmt.Errorf("unknown priority %q", s)
}

// New loads p.
func New(p *ir.Program, opts Options) (*Engine, error) {
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("load ruleset: %w", err)
	}
	minPri := ir.Debug
	if opts.MinPriority != "" {
		mp, err := ParsePriority(opts.MinPriority)
		if err != nil {
			return nil, err
		}
		minPri = mp
	}
	c := &compiler{unsupported: map[string]bool{}, shared: map[string]int{}, memoSlot: map[string]int{}, compiled: map[string]pred{}}
	for i := range p.Rules {
		if p.Rules[i].Priority <= minPri {
			c.countChecks(p.Rules[i].Condition)
		}
	}
	e := &Engine{allMatches: opts.AllMatches, hostname: opts.Hostname, byCode: make([][]entry, MaxEventCode)}
	for i := range p.Rules {
		r := &p.Rules[i]
		if r.Priority > minPri {
			continue
		}
		cond, err := c.expr(r.Condition)
		if err != nil {
			return nil, fmt.Errorf("rule %q (%s:%d): %w", r.Name, r.Origin.File, r.Origin.Line, err)
		}
		out, err := c.output(r.Output)
		if err != nil {
			return nil, fmt.Errorf("rule %q output: %w", r.Name, err)
		}
		lr := &Rule{Index: i, Name: r.Name, Desc: r.Desc, Priority: r.Priority, Source: r.Source, Tags: r.Tags, Origin: r.Origin, cond: cond, output: out}
		e.rules = append(e.rules, lr)
		if r.AllEvents || r.Source != "syscall" && r.Source != "" {
			e.unindexed = append(e.unindexed, entry{lr, cond})
			continue
		}
		for _, code := range r.EventCodes {
			if int(code) >= MaxEventCode {
				return nil, fmt.Errorf("rule %q: event code %d out of range", r.Name, code)
			}
			sp, never, err := c.specialised(r.Condition, code, cond)
			if err != nil {
				return nil, fmt.Errorf("rule %q: %w", r.Name, err)
			}
			if !never {
				e.byCode[code] = append(e.byCode[code], entry{lr, sp})
			}
		}
	}
	// Merge the unrestricted rules into every code's list, keeping rule
	// order, so Evaluate walks one slice per event.
	if len(e.unindexed) > 0 {
		for code := range e.byCode {
			e.byCode[code] = mergeByIndex(e.byCode[code], e.unindexed)
		}
	}
	e.memoSlots = len(c.memoSlot)
	for f := range c.unsupported {
		e.unsupported = append(e.unsupported, f)
	}
	sort.Strings(e.unsupported)
	return e, nil
}

// entry is a rule in an index slot, with its condition specialised for
// the slot's event code.
type entry struct {
	rule *Rule
	cond pred
}

func mergeByIndex(a, b []entry) []entry {
	out := make([]entry, 0, len(a)+len(b))
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		if j == len(b) || (i < len(a) && a[i].rule.Index < b[j].rule.Index) {
			out = append(out, a[i])
			i++
		} else {
			out = append(out, b[j])
			j++
		}
	}
	return out
}

// Rules returns the loaded rules in order.
func (e *Engine) Rules() []*Rule { return e.rules }

// Unsupported lists catalog fields that the rules use but this evaluator
// cannot extract; they evaluate as <NA>.
func (e *Engine) Unsupported() []string { return e.unsupported }

// Evaluate appends to dst the rules ev matches, in rule order: the first
// one only, unless Options.AllMatches was set.
func (e *Engine) Evaluate(ev *Event, dst []*Rule) []*Rule {
	ev.beginEvaluation(e.memoSlots)
	var cands []entry
	if int(ev.Code) < len(e.byCode) {
		cands = e.byCode[ev.Code]
	} else {
		cands = e.unindexed
	}
	for i := range cands {
		if cands[i].cond(ev) {
			dst = append(dst, cands[i].rule)
			if !e.allMatches {
				break
			}
		}
	}
	return dst
}

// Match reports whether ev matches r, ignoring the event-type index.
func (r *Rule) Match(ev *Event) bool {
	ev.beginEvaluation(len(ev.memo))
	return r.cond(ev)
}
