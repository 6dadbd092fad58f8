package compiler

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"slices"
	"sort"
	"strings"

	"github.com/falconer-sec/falconer/compiler/check"
	"github.com/falconer-sec/falconer/compiler/fields"
	"github.com/falconer-sec/falconer/compiler/ir"
	"github.com/falconer-sec/falconer/compiler/syntax"
)

// Version names the compiler in compiled rulesets. The command line sets
// it from its own version.
var Version = "falconer"

// stateSyscalls are the syscalls the agent's state engine needs whatever
// the rules say: process lifecycle, fd creation and destruction, working
// directory and identity changes (Falco's base syscall set).
var stateSyscalls = []string{
	"accept", "accept4", "bind", "capset", "chdir", "chroot", "clone", "clone3", "close",
	"connect", "creat", "dup", "dup2", "dup3", "eventfd", "eventfd2", "execve", "execveat",
	"fchdir", "fcntl", "fork", "inotify_init", "inotify_init1", "memfd_create", "open",
	"open_by_handle_at", "openat", "openat2", "pidfd_getfd", "pidfd_open", "pipe", "pipe2",
	"prctl", "procexit", "setgid", "setpgid", "setresgid", "setresuid", "setsid", "setuid",
	"signalfd", "signalfd4", "socket", "socketpair", "timerfd_create", "userfaultfd", "vfork",
}

// Compile loads, checks and compiles rule files into a Program. It fails
// when the rule files have errors; the diagnostics (warnings included) are
// returned either way.
func Compile(fsys fs.FS, paths []string, opts Options) (*ir.Program, syntax.ErrorList, error) {
	var sources []ir.Source
	res, diags := load(fsys, paths, opts, func(name string, src []byte) {
		sum := sha256.Sum256(src)
		sources = append(sources, ir.Source{Name: name, SHA256: hex.EncodeToString(sum[:])})
	})
	if diags.HasErrors() {
		return nil, diags, fmt.Errorf("compile: %w", diags.Err())
	}
	p, err := Lower(res)
	if err != nil {
		return nil, diags, fmt.Errorf("compile: %w", err)
	}
	p.Sources = sources
	return p, diags, nil
}

// expand returns the rule files a path names: itself, or a directory's
// *.yaml and *.yml files in lexical order.
func expand(fsys fs.FS, p string) ([]string, error) {
	st, err := fs.Stat(fsys, p)
	if err != nil {
		return nil, err
	}
	if !st.IsDir() {
		return []string{p}, nil
	}
	ents, err := fs.ReadDir(fsys, p)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range ents {
		if !e.IsDir() && (strings.HasSuffix(e.Name(), ".yaml") || strings.HasSuffix(e.Name(), ".yml")) {
			out = append(out, strings.TrimSuffix(p, "/")+"/"+e.Name())
		}
	}
	sort.Strings(out)
	return out, nil
}

// Lower turns a checked rule set into a Program: every enabled, loadable
// rule with its condition and output in ir form, the event-type index and
// the syscall set.
func Lower(res *check.Result) (*ir.Program, error) {
	p := &ir.Program{Format: ir.FormatVersion, Compiler: Version, RequiredEngineVersion: res.RequiredEngineVersion}
	for _, req := range res.PluginRequirements {
		if len(req.Alternatives) == 0 {
			continue
		}
		pr := ir.PluginRequirement{Name: req.Alternatives[0].Name, Version: req.Alternatives[0].Version}
		for _, alt := range req.Alternatives[1:] {
			pr.Alternatives = append(pr.Alternatives, ir.PluginRequirement{Name: alt.Name, Version: alt.Version})
		}
		if !slices.ContainsFunc(p.PluginRequirements, func(q ir.PluginRequirement) bool { return pluginReqEqual(q, pr) }) {
			p.PluginRequirements = append(p.PluginRequirements, pr)
		}
	}
	syscalls := map[string]bool{}
	for _, s := range stateSyscalls {
		syscalls[s] = true
	}
	for _, r := range res.Rules {
		if !r.Enabled && r.Skipped == "" {
			p.Disabled = append(p.Disabled, r.Name)
		}
		if !r.Enabled || r.Skipped != "" || r.Condition == nil {
			continue
		}
		lr, err := lowerRule(r)
		if err != nil {
			return nil, fmt.Errorf("rule %q: %w", r.Name, err)
		}
		if lr.Source == "syscall" {
			if lr.AllEvents {
				addAllSyscalls(syscalls)
			} else {
				for _, c := range lr.EventCodes {
					if name, ok := syscallOf(fields.EventCode(c)); ok {
						syscalls[name] = true
					}
				}
			}
		}
		p.Rules = append(p.Rules, *lr)
	}
	sort.Strings(p.Disabled)
	for s := range syscalls {
		p.Syscalls = append(p.Syscalls, s)
	}
	sort.Strings(p.Syscalls)
	if err := p.Validate(); err != nil {
		return nil, err
	}
	return p, nil
}

// syscallOf returns the syscall an event code stands for, if any.
func syscallOf(c fields.EventCode) (string, bool) {
	cat := fields.EventCategory(c)
	name := fields.EventName(c)
	if name == "procexit" {
		return name, true
	}
	if cat&fields.CategorySyscall == 0 || name == "" || name == "NA" || name == "syscall" {
		return "", false
	}
	return name, true
}

func addAllSyscalls(set map[string]bool) {
	for c := fields.EventCode(0); c < fields.NumEventCodes; c++ {
		if name, ok := syscallOf(c); ok {
			set[name] = true
		}
	}
}

func lowerRule(r *check.Rule) (*ir.Rule, error) {
	lr := &ir.Rule{
		Name:            r.Name,
		Desc:            r.Desc,
		Priority:        ir.Priority(r.Priority),
		Source:          r.Source,
		Tags:            slices.Clone(r.Tags),
		Origin:          ir.Origin{File: r.Pos.File, Line: r.Pos.Line, Col: r.Pos.Col},
		Capture:         r.Capture,
		CaptureDuration: r.CaptureDuration,
	}
	if lr.Source == "" {
		lr.Source = "syscall"
	}
	cond, err := lowerExpr(r.Condition, r.Info)
	if err != nil {
		return nil, err
	}
	lr.Condition = cond
	if lr.Source == "syscall" && !r.EventTypes.IsFull() {
		for _, c := range r.EventTypes.Codes() {
			lr.EventCodes = append(lr.EventCodes, uint16(c))
		}
	} else {
		lr.AllEvents = true
	}
	for _, t := range r.OutputTokens {
		if !t.IsField() {
			if n := len(lr.Output); n > 0 && lr.Output[n-1].Field == nil {
				lr.Output[n-1].Text += t.Text
			} else {
				lr.Output = append(lr.Output, ir.Token{Text: t.Text})
			}
			continue
		}
		op, err := lowerOperand(t.Operand, r.Info)
		if err != nil {
			return nil, fmt.Errorf("output %%%s: %w", t.Text, err)
		}
		lr.Output = append(lr.Output, ir.Token{Field: op, Width: t.Width})
	}
	return lr, nil
}

func lowerExpr(x syntax.Expr, info *check.Info) (*ir.Expr, error) {
	switch x := x.(type) {
	case *syntax.LogicalExpr:
		e := &ir.Expr{Kind: ir.KindAnd}
		if x.Op == syntax.Or {
			e.Kind = ir.KindOr
		}
		for _, o := range x.Operands {
			a, err := lowerExpr(o, info)
			if err != nil {
				return nil, err
			}
			e.Args = append(e.Args, a)
		}
		return e, nil
	case *syntax.NotExpr:
		a, err := lowerExpr(x.X, info)
		if err != nil {
			return nil, err
		}
		return &ir.Expr{Kind: ir.KindNot, Args: []*ir.Expr{a}}, nil
	case *syntax.CheckExpr:
		return lowerCheck(x, info)
	case *syntax.MacroRef:
		return nil, fmt.Errorf("%s: unresolved macro reference %s", x.NamePos, x.Name)
	}
	return nil, fmt.Errorf("unexpected condition node %T", x)
}

func lowerCheck(x *syntax.CheckExpr, info *check.Info) (*ir.Expr, error) {
	left, err := lowerOperand(x.Left, info)
	if err != nil {
		return nil, err
	}
	op := x.Op
	if op == "==" {
		op = "="
	}
	c := &ir.Check{Left: *left, Op: op, Modifier: x.Modifier}
	switch r := x.Right.(type) {
	case nil:
	case *syntax.Transformer:
		if r.Name == "val" {
			if len(r.Args) != 1 {
				return nil, fmt.Errorf("%s: val() takes one field", r.NamePos)
			}
			c.Right, err = lowerOperand(r.Args[0], info)
		} else {
			c.Right, err = lowerOperand(r, info)
		}
		if err != nil {
			return nil, err
		}
	case *syntax.FieldRef:
		c.Right, err = lowerOperand(r, info)
		if err != nil {
			return nil, err
		}
	default:
		ci := info.Checks[x]
		if ci == nil {
			return nil, fmt.Errorf("%s: check was not resolved", x.OpPos)
		}
		c.Values = make([]string, len(ci.Values))
		for i, v := range ci.Values {
			c.Values[i] = v.Text
		}
		if c.Values == nil {
			c.Values = []string{}
		}
	}
	return &ir.Expr{Kind: ir.KindCheck, Check: c}, nil
}

func lowerOperand(o syntax.Operand, info *check.Info) (*ir.Operand, error) {
	switch o := o.(type) {
	case *syntax.FieldRef:
		fi, ok := info.Fields[o]
		if !ok || fi.Field == nil {
			return nil, fmt.Errorf("%s: field %s was not resolved", o.NamePos, o.Name)
		}
		return &ir.Operand{Field: fi.Field.Name, Arg: fi.Arg.Key, HasArg: fi.Arg.Set}, nil
	case *syntax.Transformer:
		t := &ir.Operand{Transformer: o.Name, Arg: o.Arg, HasArg: o.HasArg}
		for _, a := range o.Args {
			la, err := lowerOperand(a, info)
			if err != nil {
				return nil, err
			}
			t.Args = append(t.Args, la)
		}
		return t, nil
	case *syntax.StringLit:
		return &ir.Operand{Literal: o.Value, IsLiteral: true}, nil
	case *syntax.ListLit:
		l := &ir.Operand{IsList: true}
		for _, it := range o.Items {
			l.Args = append(l.Args, &ir.Operand{Literal: it.Value, IsLiteral: true})
		}
		return l, nil
	case *syntax.ArgList:
		l := &ir.Operand{IsList: true}
		for _, it := range o.Items {
			la, err := lowerOperand(it, info)
			if err != nil {
				return nil, err
			}
			l.Args = append(l.Args, la)
		}
		return l, nil
	}
	return nil, fmt.Errorf("unexpected operand %T", o)
}

func pluginReqEqual(a, b ir.PluginRequirement) bool {
	return a.Name == b.Name && a.Version == b.Version && slices.EqualFunc(a.Alternatives, b.Alternatives, pluginReqEqual)
}
