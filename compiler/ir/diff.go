package ir

import (
	"fmt"
	"io"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Change is one semantic difference between two programs.
type Change struct {
	Kind ChangeKind
	Rule string // the rule, for rule-level changes
	// Old and New are the values before and after, rendered for people
	// (a normalised condition, a priority name, a tag set...).
	Old, New string
}

// ChangeKind classifies a change.
type ChangeKind string

// Change kinds, in the order a report lists them.
const (
	RuleAdded         ChangeKind = "rule added"
	RuleRemoved       ChangeKind = "rule removed"
	RuleEnabled       ChangeKind = "rule enabled"
	RuleDisabled      ChangeKind = "rule disabled"
	ConditionChanged  ChangeKind = "condition changed"
	OutputChanged     ChangeKind = "output changed"
	PriorityChanged   ChangeKind = "priority changed"
	TagsChanged       ChangeKind = "tags changed"
	SourceChanged     ChangeKind = "source changed"
	EventTypesChanged ChangeKind = "event types changed"
	SyscallsChanged   ChangeKind = "syscalls changed"
	EngineChanged     ChangeKind = "required engine version changed"
)

var kindOrder = []ChangeKind{RuleAdded, RuleRemoved, RuleEnabled, RuleDisabled, ConditionChanged, OutputChanged, PriorityChanged, TagsChanged, SourceChanged, EventTypesChanged, SyscallsChanged, EngineChanged}

// Diff compares two programs rule by rule (by name). Compiled programs
// hold enabled rules only, so a rule that was disabled shows as removed
// and one that was enabled as added. eventName renders event codes; it
// may be nil.
func Diff(old, new *Program, eventName func(uint16) string) []Change {
	if eventName == nil {
		eventName = func(c uint16) string { return strconv.Itoa(int(c)) }
	}
	var out []Change
	oldRules := map[string]*Rule{}
	for i := range old.Rules {
		oldRules[old.Rules[i].Name] = &old.Rules[i]
	}
	newRules := map[string]*Rule{}
	for i := range new.Rules {
		newRules[new.Rules[i].Name] = &new.Rules[i]
	}
	for i := range new.Rules {
		n := &new.Rules[i]
		o, ok := oldRules[n.Name]
		if !ok {
			kind := RuleAdded
			if slices.Contains(old.Disabled, n.Name) {
				kind = RuleEnabled
			}
			out = append(out, Change{Kind: kind, Rule: n.Name, New: FormatExpr(n.Condition)})
			continue
		}
		if a, b := FormatExpr(o.Condition), FormatExpr(n.Condition); a != b {
			out = append(out, Change{Kind: ConditionChanged, Rule: n.Name, Old: a, New: b})
		}
		if a, b := FormatOutput(o.Output), FormatOutput(n.Output); a != b {
			out = append(out, Change{Kind: OutputChanged, Rule: n.Name, Old: a, New: b})
		}
		if o.Priority != n.Priority {
			out = append(out, Change{Kind: PriorityChanged, Rule: n.Name, Old: o.Priority.String(), New: n.Priority.String()})
		}
		if !slices.Equal(o.Tags, n.Tags) {
			out = append(out, Change{Kind: TagsChanged, Rule: n.Name, Old: strings.Join(o.Tags, ", "), New: strings.Join(n.Tags, ", ")})
		}
		if o.Source != n.Source {
			out = append(out, Change{Kind: SourceChanged, Rule: n.Name, Old: o.Source, New: n.Source})
		}
		if a, b := eventSet(o, eventName), eventSet(n, eventName); a != b {
			out = append(out, Change{Kind: EventTypesChanged, Rule: n.Name, Old: a, New: b})
		}
	}
	for i := range old.Rules {
		o := &old.Rules[i]
		if _, ok := newRules[o.Name]; !ok {
			kind := RuleRemoved
			if slices.Contains(new.Disabled, o.Name) {
				kind = RuleDisabled
			}
			out = append(out, Change{Kind: kind, Rule: o.Name, Old: FormatExpr(o.Condition)})
		}
	}
	if !slices.Equal(old.Syscalls, new.Syscalls) {
		added, removed := setDiff(old.Syscalls, new.Syscalls)
		out = append(out, Change{Kind: SyscallsChanged, Old: strings.Join(removed, " "), New: strings.Join(added, " ")})
	}
	if old.RequiredEngineVersion != new.RequiredEngineVersion {
		out = append(out, Change{Kind: EngineChanged, Old: old.RequiredEngineVersion, New: new.RequiredEngineVersion})
	}
	sort.SliceStable(out, func(i, j int) bool {
		return slices.Index(kindOrder, out[i].Kind) < slices.Index(kindOrder, out[j].Kind)
	})
	return out
}

func eventSet(r *Rule, name func(uint16) string) string {
	if r.AllEvents {
		return "all"
	}
	set := map[string]bool{}
	for _, c := range r.EventCodes {
		set[name(c)] = true
	}
	names := make([]string, 0, len(set))
	for n := range set {
		names = append(names, n)
	}
	sort.Strings(names)
	return strings.Join(names, " ")
}

// setDiff returns the elements only in b (added) and only in a (removed).
func setDiff(a, b []string) (added, removed []string) {
	for _, x := range b {
		if !slices.Contains(a, x) {
			added = append(added, x)
		}
	}
	for _, x := range a {
		if !slices.Contains(b, x) {
			removed = append(removed, x)
		}
	}
	return added, removed
}

// FormatExpr prints a condition in Falco's normalised form: every and/or
// in parentheses, lists as (a, b), values quoted when they need it.
func FormatExpr(e *Expr) string {
	var b strings.Builder
	formatExpr(&b, e, true)
	return b.String()
}

func formatExpr(b *strings.Builder, e *Expr, top bool) {
	switch e.Kind {
	case KindAnd, KindOr:
		b.WriteByte('(')
		for i, a := range e.Args {
			if i > 0 {
				b.WriteString(" " + string(e.Kind) + " ")
			}
			formatExpr(b, a, false)
		}
		b.WriteByte(')')
	case KindNot:
		b.WriteString("not ")
		formatExpr(b, e.Args[0], false)
	case KindCheck:
		c := e.Check
		b.WriteString(formatOperand(&c.Left))
		b.WriteByte(' ')
		b.WriteString(c.Op)
		if c.Modifier != "" {
			b.WriteString(" " + c.Modifier)
		}
		switch {
		case c.Op == "exists":
		case c.Right != nil:
			b.WriteString(" val(" + formatOperand(c.Right) + ")")
		case c.Op == "in" || c.Op == "intersects" || c.Op == "pmatch" || c.Modifier != "":
			b.WriteString(" (")
			for i, v := range c.Values {
				if i > 0 {
					b.WriteString(", ")
				}
				b.WriteString(quote(v))
			}
			b.WriteByte(')')
		default:
			for _, v := range c.Values {
				b.WriteString(" " + quote(v))
			}
		}
	}
}

func formatOperand(o *Operand) string {
	switch {
	case o.IsLiteral:
		return strconv.Quote(o.Literal)
	case o.IsList:
		parts := make([]string, len(o.Args))
		for i, a := range o.Args {
			parts[i] = formatOperand(a)
		}
		return "(" + strings.Join(parts, ", ") + ")"
	case o.Transformer != "":
		parts := make([]string, len(o.Args))
		for i, a := range o.Args {
			parts[i] = formatOperand(a)
		}
		s := o.Transformer + "(" + strings.Join(parts, ", ") + ")"
		if o.HasArg {
			s += "[" + o.Arg + "]"
		}
		return s
	case o.HasArg:
		if o.Field == "evt.arg" || o.Field == "evt.rawarg" {
			if _, err := strconv.Atoi(o.Arg); err != nil {
				return o.Field + "." + o.Arg
			}
		}
		return o.Field + "[" + o.Arg + "]"
	}
	return o.Field
}

// quote double-quotes a value that would not read back as one bare word.
func quote(v string) string {
	if v == "" || strings.ContainsAny(v, " \t\r\n\"'\\=(),") {
		return strconv.Quote(v)
	}
	return v
}

// FormatOutput renders an output template back to text.
func FormatOutput(toks []Token) string {
	var b strings.Builder
	for _, t := range toks {
		if t.Field == nil {
			b.WriteString(t.Text)
			continue
		}
		b.WriteByte('%')
		if t.Width > 0 {
			b.WriteString(strconv.Itoa(t.Width))
		}
		b.WriteString(formatOperand(t.Field))
	}
	return b.String()
}

// WriteDiffText writes changes as plain text, one block per change.
func WriteDiffText(w io.Writer, changes []Change) error {
	if len(changes) == 0 {
		_, err := fmt.Fprintln(w, "no changes")
		return err
	}
	for _, c := range changes {
		head := string(c.Kind)
		if c.Rule != "" {
			head += ": " + c.Rule
		}
		if _, err := fmt.Fprintln(w, head); err != nil {
			return err
		}
		if c.Old != "" {
			fmt.Fprintf(w, "  - %s\n", c.Old)
		}
		if c.New != "" {
			fmt.Fprintf(w, "  + %s\n", c.New)
		}
	}
	return nil
}

// WriteDiffMarkdown writes changes as Markdown for a pull-request comment.
func WriteDiffMarkdown(w io.Writer, changes []Change) error {
	if len(changes) == 0 {
		_, err := fmt.Fprintln(w, "**Falconer:** no semantic changes to the ruleset.")
		return err
	}
	counts := map[ChangeKind]int{}
	for _, c := range changes {
		counts[c.Kind]++
	}
	var summary []string
	for _, k := range kindOrder {
		if counts[k] > 0 {
			summary = append(summary, fmt.Sprintf("%d %s", counts[k], k))
		}
	}
	fmt.Fprintf(w, "### Falconer ruleset diff\n\n%s\n\n", strings.Join(summary, ", "))
	for _, c := range changes {
		title := string(c.Kind)
		if c.Rule != "" {
			title = fmt.Sprintf("%s: `%s`", c.Kind, c.Rule)
		}
		fmt.Fprintf(w, "<details><summary>%s</summary>\n\n```diff\n", title)
		if c.Old != "" {
			fmt.Fprintf(w, "- %s\n", c.Old)
		}
		if c.New != "" {
			fmt.Fprintf(w, "+ %s\n", c.New)
		}
		fmt.Fprint(w, "```\n\n</details>\n")
	}
	return nil
}
