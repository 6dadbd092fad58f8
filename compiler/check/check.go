package check

import (
	"errors"
	"fmt"
	"strings"

	"github.com/falconer-sec/falconer/compiler/fields"
	"github.com/falconer-sec/falconer/compiler/syntax"
)

// MaxErrors caps the number of error-severity diagnostics Check reports;
// warnings are not capped.
const MaxErrors = 1000

// Check resolves and checks files, loaded in order, as one rule set.
//
// The files are as syntax.LoadFile returns them, and the caller reports
// the loader's diagnostics: Check does not repeat them (a required key
// the loader found missing, for example), it only leaves the faulty items
// out without reporting follow-on errors for them.
//
// Like Falco, Check recompiles the collected rule set after each file, so
// a file that only compiles thanks to a later one is an error; warnings
// are reported for the final rule set only. The result is never nil; it
// is complete only when the returned list has no errors. The list is
// sorted by position.
func Check(files []*syntax.File, cfg Config) (*Result, syntax.ErrorList) {
	c := newChecker(cfg)
	col := newCollector(c)
	var res *Result
	for i, f := range files {
		if f == nil {
			continue
		}
		for _, it := range f.Items {
			col.item(it)
		}
		if i < len(files)-1 {
			// An intermediate compilation only contributes errors.
			c.quiet = true
			c.compile(col)
			c.quiet = false
			continue
		}
		res = c.compile(col)
	}
	if res == nil {
		res = c.compile(col)
	}
	return res, c.diagnostics()
}

// checker holds the state of one Check call.
type checker struct {
	cfg     Config
	engine  version
	sources map[string]bool

	diags   syntax.ErrorList
	nerrors int
	// quiet drops warnings (intermediate compilations).
	quiet bool
	// seen deduplicates diagnostics: the same problem found by several
	// compilations (or in a macro inlined by several rules) is reported
	// once.
	seen map[diagKey]bool
}

type diagKey struct {
	file      string
	line, col int
	msg       string
}

func newChecker(cfg Config) *checker {
	c := &checker{cfg: cfg, sources: map[string]bool{}, seen: map[diagKey]bool{}}
	ev := cfg.EngineVersion
	if ev == "" {
		ev = DefaultEngineVersion
	}
	v, ok := parseVersion(ev)
	if !ok {
		v, _ = parseVersion(DefaultEngineVersion)
		c.errorf(syntax.Pos{}, syntax.CodeEngineVersion, "invalid engine version %q in configuration", cfg.EngineVersion)
	}
	c.engine = v
	srcs := cfg.Sources
	if srcs == nil {
		srcs = []string{"syscall"}
	}
	for _, s := range srcs {
		c.sources[s] = true
	}
	return c
}

func (c *checker) add(pos syntax.Pos, sev syntax.Severity, code syntax.Code, msg string) {
	if sev == syntax.SeverityWarning && c.quiet {
		return
	}
	k := diagKey{pos.File, pos.Line, pos.Col, msg}
	if c.seen[k] {
		return
	}
	c.seen[k] = true
	if sev == syntax.SeverityError {
		if c.nerrors >= MaxErrors {
			return
		}
		c.nerrors++
	}
	c.diags.Add(pos, sev, code, msg)
}

func sprintf(format string, args ...any) string {
	if len(args) == 0 {
		return format
	}
	return fmt.Sprintf(format, args...)
}

func (c *checker) errorf(pos syntax.Pos, code syntax.Code, format string, args ...any) {
	c.add(pos, syntax.SeverityError, code, sprintf(format, args...))
}

func (c *checker) warnf(pos syntax.Pos, code syntax.Code, format string, args ...any) {
	c.add(pos, syntax.SeverityWarning, code, sprintf(format, args...))
}

// report adds a diagnostic produced elsewhere (the parser).
func (c *checker) report(e *syntax.Error) {
	c.add(e.Pos, e.Severity, e.Code, e.Msg)
}

func (c *checker) diagnostics() syntax.ErrorList {
	c.diags.Sort()
	return c.diags
}

// parse parses a condition text, reporting a syntax error at its exact
// position.
func (c *checker) parse(t *srcText) (syntax.Expr, error) {
	x, err := syntax.ParseCondition(t.text, syntax.ConditionOptions{MaxDepth: syntax.DefaultMaxDepth, Map: t.posAt})
	if err != nil {
		var se *syntax.Error
		if errors.As(err, &se) {
			c.report(se)
		} else {
			c.errorf(t.posAt(0), syntax.CodeConditionSyntax, "%s", err.Error())
		}
		return nil, err
	}
	return x, nil
}

// compile runs Falco's compilation over everything collected so far:
// lists, then macros, then rules, then the unused-item warnings.
func (c *checker) compile(col *collector) *Result {
	lt := compileLists(col)
	mt := c.compileMacros(col, lt)
	res := &Result{RequiredEngineVersion: col.engineText, PluginRequirements: col.plugins}

	rules := make([]*ruleInfo, len(col.rules))
	copy(rules, col.rules)
	sortByIndex(rules)
	for _, r := range rules {
		res.Rules = append(res.Rules, c.compileRule(r, lt, mt))
	}
	for _, s := range col.failedTexts {
		mt.markWords(s)
	}

	for _, m := range mt.macros {
		out := &Macro{Name: m.info.name, Pos: m.info.pos, Condition: m.info.cond.text, Used: m.used}
		if !m.bad {
			out.Expr = m.tree
		}
		res.Macros = append(res.Macros, out)
		if !m.used {
			c.warnf(m.info.pos, syntax.CodeUnusedMacro, "Macro not referred to by any other rule/macro")
		}
	}
	for _, l := range lt.lists {
		res.Lists = append(res.Lists, &List{Name: l.info.name, Pos: l.info.pos, Items: l.items, Used: l.used})
		if !l.used {
			c.warnf(l.info.pos, syntax.CodeUnusedList, "List not referred to by any other rule/macro")
		}
	}
	return res
}

func sortByIndex(rules []*ruleInfo) {
	// Insertion sort keeps this stable and is fast on the nearly sorted
	// input (only redefinitions move).
	for i := 1; i < len(rules); i++ {
		for j := i; j > 0 && rules[j].index < rules[j-1].index; j-- {
			rules[j], rules[j-1] = rules[j-1], rules[j]
		}
	}
}

// compileRule builds and checks one rule, following Falco's order:
// exceptions, output, condition (lists, parse, macros), warnings, field
// checks, event types.
func (c *checker) compileRule(r *ruleInfo, lt *listTable, mt *macroTable) *Rule {
	out := &Rule{
		Name:                r.name,
		Pos:                 r.pos,
		Desc:                r.desc,
		Priority:            r.priority,
		Source:              r.source,
		Tags:                r.tags,
		Enabled:             r.enabled,
		Capture:             r.capture,
		CaptureDuration:     r.captureDuration,
		WarnEvttypes:        r.warnEvttypes,
		SkipIfUnknownFilter: r.skipIfUnknownFilter,
		Output:              r.output.text,
		ConditionText:       r.cond.text,
	}
	if out.Tags == nil {
		out.Tags = []string{}
	}
	if r.unknownSource {
		// As in Falco, the rule is not compiled at all: the macros and
		// lists it names do not count as used.
		out.Skipped = "unknown source " + r.source
		return out
	}

	cond := &r.cond
	if len(r.exceptions) > 0 {
		condPos := r.cond.posAt(0)
		t, exFields, ok := c.renderExceptions(&r.cond, condPos, r.exceptions)
		if !ok {
			out.Skipped = "invalid exceptions"
			mt.markWords(r.cond.text)
			return out
		}
		cond = t
		out.ExceptionFields = exFields
	}

	info := newInfo()
	out.Info = info

	// The output: %container.info is dropped, then the format is checked
	// before the condition.
	output := r.output
	if i := strings.Index(output.text, containerInfo); i >= 0 {
		c.warnf(output.posAt(i), syntax.CodeDeprecated, "%s", msgContainerInfo)
		output = output.removeAll(containerInfo)
	}
	out.Output = output.text
	// Only the syscall source has a field catalog: the outputs and
	// conditions of other loaded sources are resolved but not checked.
	checked := r.source == "syscall"
	if !checked {
		return c.resolveOnly(out, cond, lt, mt)
	}
	toks, oerr := c.compileOutput(&output, r.output.posAt(0), info)
	if oerr != nil {
		if r.skipIfUnknownFilter && isUnknownError(oerr.Msg) {
			c.warnf(oerr.Pos, syntax.CodeUnknownFilter, "%s", oerr.Msg)
			out.Skipped = oerr.Msg
		} else {
			c.report(oerr)
			out.Skipped = oerr.Msg
		}
		mt.markWords(cond.text)
		return out
	}
	out.OutputTokens = toks
	c.deprecatedOutputFields(&output, r.pos)

	// The condition.
	t := cond.clone()
	lt.substitute(&t)
	tree, err := c.parse(&t)
	if err != nil {
		out.Skipped = err.Error()
		mt.markWords(t.text)
		return out
	}
	rv := resolver{mt: mt, visible: func(*compiledMacro) bool { return true }}
	tree = rv.resolve(tree)
	if rv.failed(c) {
		out.Skipped = "condition does not resolve"
		return out
	}

	c.warningResolver(tree)

	cc := exprChecker{c: c, info: info, syscall: true}
	cc.expr(tree)
	if cc.first != nil {
		if r.skipIfUnknownFilter && isUnknownError(cc.first.Msg) {
			c.warnf(cc.first.Pos, syntax.CodeUnknownFilter, "%s", cc.first.Msg)
		} else {
			for _, e := range cc.errs {
				c.report(e)
			}
		}
		out.Skipped = cc.first.Msg
		return out
	}
	for _, w := range cc.warns {
		c.report(w)
	}
	out.Condition = tree

	out.EventTypes = eventTypes(tree, info)
	if r.warnEvttypes && out.EventTypes.Len() > maxEvtTypes {
		c.warnf(r.pos, syntax.CodeTooManyEvtTypes, "Rule matches too many evt.type values. This has a significant performance penalty.")
	}
	return out
}

// resolveOnly finishes a rule of a loaded source other than syscall:
// lists, grammar, macros and the warning resolver, without field checks.
func (c *checker) resolveOnly(out *Rule, cond *srcText, lt *listTable, mt *macroTable) *Rule {
	out.OutputTokens = []OutputToken{{Pos: out.Pos, Text: out.Output}}
	t := cond.clone()
	lt.substitute(&t)
	tree, err := c.parse(&t)
	if err != nil {
		out.Skipped = err.Error()
		mt.markWords(t.text)
		return out
	}
	rv := resolver{mt: mt, visible: func(*compiledMacro) bool { return true }}
	tree = rv.resolve(tree)
	if rv.failed(c) {
		out.Skipped = "condition does not resolve"
		return out
	}
	c.warningResolver(tree)
	out.Condition = tree
	out.EventTypes = fields.AllEvents()
	return out
}

// maxEvtTypes is the number of event codes above which a rule is
// reported as matching too many event types (Falco master).
const maxEvtTypes = 100

// isUnknownError reports whether a compile error is one Falco classifies
// as an unknown field or event type (skip-if-unknown-filter applies).
func isUnknownError(msg string) bool {
	return strings.Contains(msg, "nonexistent field") ||
		strings.Contains(msg, "invalid formatting token") ||
		strings.Contains(msg, "unknown event type") ||
		strings.Contains(msg, "unknown filter:")
}

// CheckCondition parses and checks one condition on its own, as Falco
// compiles a syscall rule condition that uses no lists or macros: grammar,
// warning resolver, fields, operators and values. It returns the tree and
// what was resolved in it, or a nil tree when there are errors. Positions
// are on line 1, with columns counting bytes of cond.
func CheckCondition(cond string, cfg Config) (syntax.Expr, *Info, syntax.ErrorList) {
	c := newChecker(cfg)
	tree, err := syntax.ParseCondition(cond, syntax.ConditionOptions{})
	if err != nil {
		var se *syntax.Error
		if errors.As(err, &se) {
			c.report(se)
		} else {
			c.errorf(syntax.Pos{Line: 1, Col: 1}, syntax.CodeConditionSyntax, "%s", err.Error())
		}
		return nil, nil, c.diagnostics()
	}
	rv := resolver{mt: &macroTable{byName: map[string]*compiledMacro{}}, visible: func(*compiledMacro) bool { return true }}
	tree = rv.resolve(tree)
	if rv.failed(c) {
		return nil, nil, c.diagnostics()
	}
	c.warningResolver(tree)
	info := newInfo()
	x := exprChecker{c: c, info: info, syscall: true}
	x.expr(tree)
	if x.first != nil {
		for _, e := range x.errs {
			c.report(e)
		}
		return nil, nil, c.diagnostics()
	}
	for _, w := range x.warns {
		c.report(w)
	}
	return tree, info, c.diagnostics()
}
