package check

import (
	"sort"
	"strings"

	"github.com/falconer-sec/falconer/compiler/syntax"
)

// This file holds the collector: it walks the items of every file in
// order and builds the rule set the way Falco's rule_loader::collector
// does (definitions, appends, overrides, the shared definition counter),
// together with the item-level checks of Falco's reader that depend on
// what an item means (required keys, override blocks).

// Falco's texts for item-level problems.
const (
	msgAppendDeprecated  = "'append' key is deprecated. Add an 'append' entry (e.g. 'condition: append') under 'override' instead."
	msgEnabledDeprecated = "The standalone 'enabled' key usage is deprecated. The correct approach requires also a 'replace' entry under the 'override' key (i.e. 'enabled: replace')."
	msgOverrideAppend    = "Keys 'override' and 'append: true' cannot be used together. Add an 'append' entry (e.g. 'condition: append') under 'override' instead."
	msgNoPreviousList    = "List uses 'append' or 'override.items: append' but no list by that name already exists"
	msgNoPreviousMacro   = "Macro uses 'append' or 'override.condition: append' but no macro by that name already exists"
	msgNoPreviousAppend  = "Rule uses 'append' or 'override.<key>: append' but no rule by that name already exists"
	msgNoPreviousReplace = "An 'override.<key>: replace' to a rule was requested but no rule by that name already exists"
	msgNoPreviousEnable  = "Rule has 'enabled' key but no rule by that name already exists"
	msgDifferentSource   = "Rule has been re-defined with a different source"
	msgAppendNoValue     = "Appended rule must have exceptions or condition property"
	msgInvalidListName   = "List has an invalid name. List names should match a regular expression: ([^()\"'[:space:]=,]+)"
	msgInvalidMacroName  = "Macro has an invalid name. Macro names should match a regular expression: ([a-zA-Z]+[a-zA-Z0-9_]*)"
)

// listInfo is a collected list.
type listInfo struct {
	name       string
	pos        syntax.Pos // the last defining item
	items      []*syntax.Scalar
	index      int // definition counter value of the first definition
	visibility int // counter value of the last definition or append
}

// macroInfo is a collected macro.
type macroInfo struct {
	name       string
	pos        syntax.Pos
	cond       srcText
	index      int
	visibility int
}

// ruleInfo is a collected rule.
type ruleInfo struct {
	name       string
	pos        syntax.Pos
	index      int
	cond       srcText
	output     srcText
	desc       string
	priority   Priority
	source     string
	tags       []string
	exceptions []*exceptionInfo

	enabled             bool
	warnEvttypes        bool
	skipIfUnknownFilter bool
	capture             bool
	captureDuration     uint32

	unknownSource bool
}

// collector accumulates items across files.
type collector struct {
	c       *checker
	counter int

	lists  []*listInfo
	macros []*macroInfo
	rules  []*ruleInfo

	listByName  map[string]*listInfo
	macroByName map[string]*macroInfo
	ruleByName  map[string]*ruleInfo

	// badRules, badMacros and badLists hold names whose definition
	// failed. Later items that extend them are ignored instead of
	// reporting that nothing by that name exists.
	badRules, badMacros, badLists map[string]bool

	engine     *version // the highest required_engine_version
	engineText string
	plugins    []PluginRequirement

	// failedTexts are condition texts that were never compiled because
	// their item failed; macro names in them count as used, so that a
	// broken rule does not make its macros look unused.
	failedTexts []string
}

func newCollector(c *checker) *collector {
	return &collector{
		c:           c,
		listByName:  map[string]*listInfo{},
		macroByName: map[string]*macroInfo{},
		ruleByName:  map[string]*ruleInfo{},
		badRules:    map[string]bool{},
		badMacros:   map[string]bool{},
		badLists:    map[string]bool{},
	}
}

func (col *collector) next() int {
	n := col.counter
	col.counter++
	return n
}

func (col *collector) item(it syntax.Item) {
	switch it := it.(type) {
	case *syntax.EngineVersionItem:
		col.engineVersion(it)
	case *syntax.PluginVersionsItem:
		col.pluginVersions(it)
	case *syntax.ListItem:
		col.list(it)
	case *syntax.MacroItem:
		col.macro(it)
	case *syntax.RuleItem:
		col.rule(it)
	}
}

// itemErrs collects the errors of one item, so that an item with errors
// changes nothing.
type itemErrs struct {
	c   *checker
	bad bool
}

func (e *itemErrs) errorf(pos syntax.Pos, code syntax.Code, format string, args ...any) {
	e.bad = true
	e.c.errorf(pos, code, format, args...)
}

// usable reports whether a required or optional scalar key holds a
// usable value. A missing required key, a null or an empty value makes
// the item bad; the loader (syntax.LoadFile) has already reported it with
// Falco's text, so nothing is reported again here.
func (e *itemErrs) usable(s *syntax.Scalar, required bool) bool {
	switch {
	case !s.Set:
		if required {
			e.bad = true
		}
		return false
	case s.Null || s.Value == "":
		e.bad = true
		return false
	}
	return true
}

func (col *collector) engineVersion(it *syntax.EngineVersionItem) {
	e := itemErrs{c: col.c}
	if !e.usable(&it.Version, true) {
		return
	}
	v, ok := parseEngineVersion(it.Version.Value)
	if !ok {
		e.errorf(it.Version.Pos, syntax.CodeEngineVersion,
			"Unable to parse engine version '%s' as a semver string. Expected \"x.y.z\" semver format.", it.Version.Value)
		return
	}
	if !col.c.engine.compatibleWith(v) {
		e.errorf(it.Version.Pos, syntax.CodeEngineVersion,
			"Rules require engine version %s, but engine version is %s", v, col.c.engine)
		return
	}
	if col.engine == nil || col.engine.less(v) {
		col.engine = &v
		col.engineText = v.String()
	}
}

func (col *collector) pluginVersions(it *syntax.PluginVersionsItem) {
	for i := range it.Entries {
		ent := &it.Entries[i]
		e := itemErrs{c: col.c}
		req := PluginRequirement{Pos: ent.Pos}
		seen := map[string]bool{}
		all := append([]syntax.PluginRequirement{*ent}, ent.Alternatives...)
		for k := range all {
			alt := &all[k]
			if !e.usable(&alt.Name, true) || !e.usable(&alt.Version, true) {
				break
			}
			if _, ok := parseVersion(alt.Version.Value); !ok {
				e.errorf(alt.Version.Pos, syntax.CodePluginVersion,
					"Invalid required version '%s' for plugin '%s'", alt.Version.Value, alt.Name.Value)
				break
			}
			if seen[alt.Name.Value] {
				e.errorf(alt.Name.Pos, syntax.CodePluginVersion,
					"Defined multiple alternative version requirements for plugin '%s'", alt.Name.Value)
				break
			}
			seen[alt.Name.Value] = true
			req.Alternatives = append(req.Alternatives, PluginVersion{Name: alt.Name.Value, Version: alt.Version.Value})
		}
		if !e.bad {
			col.plugins = append(col.plugins, req)
		}
	}
}

// overrideOps validates an override block against the keys that may be
// appended and replaced, and returns the keys per operation.
func (e *itemErrs) overrideOps(o *syntax.Overrides, appendable, replaceable []string) (app, repl map[string]bool) {
	app, repl = map[string]bool{}, map[string]bool{}
	for _, ent := range o.Entries {
		canApp, canRepl := contains(appendable, ent.Key), contains(replaceable, ent.Key)
		switch ent.Op {
		case "append":
			if !canApp {
				e.errorf(ent.KeyPos, syntax.CodeOverride, "Key '%s' cannot be appended to, use 'replace' instead", ent.Key)
				continue
			}
			app[ent.Key] = true
		case "replace":
			if !canRepl {
				e.errorf(ent.KeyPos, syntax.CodeOverride, "Key '%s' cannot be replaced", ent.Key)
				continue
			}
			repl[ent.Key] = true
		default:
			allowed := ""
			if canApp {
				allowed += "append "
			}
			if canRepl {
				allowed += "replace "
			}
			pos := ent.OpPos
			if !pos.IsValid() {
				pos = ent.KeyPos
			}
			e.errorf(pos, syntax.CodeOverride,
				"Invalid override operation for key '%s': '%s'. Allowed values are: %s", ent.Key, ent.Op, allowed)
		}
	}
	return app, repl
}

// keyPos returns the position of key name, or def.
func keyPos(keys syntax.Keys, name string, def syntax.Pos) syntax.Pos {
	if p, ok := keys.Lookup(name); ok {
		return p
	}
	return def
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

var listOverridable = []string{"items"}

func (col *collector) list(it *syntax.ListItem) {
	e := itemErrs{c: col.c}
	if !e.usable(&it.Name, true) {
		return
	}
	name := it.Name.Value
	if !isBareString(name) {
		col.c.warnf(it.Name.Pos, syntax.CodeInvalidListName, msgInvalidListName)
	}
	if !it.ItemsSet {
		e.bad = true // reported by the loader
	}
	appendFlag := it.Append.Set && it.Append.Value
	if appendFlag {
		col.c.warnf(it.Append.Pos, syntax.CodeDeprecated, msgAppendDeprecated)
	}
	app, repl := e.overrideOps(&it.Override, listOverridable, listOverridable)
	if appendFlag && (len(app) > 0 || len(repl) > 0) {
		e.errorf(keyPos(it.Keys, "override", it.Override.Pos), syntax.CodeOverride, msgOverrideAppend)
	}
	if e.bad {
		col.badLists[name] = true
		return
	}
	items := make([]*syntax.Scalar, len(it.Items))
	for i := range it.Items {
		items[i] = &it.Items[i]
	}
	if appendFlag || app["items"] {
		prev := col.listByName[name]
		if prev == nil {
			if !col.badLists[name] {
				col.c.errorf(it.ItemPos, syntax.CodeAppendTarget, msgNoPreviousList)
			}
			return
		}
		prev.items = append(prev.items[:len(prev.items):len(prev.items)], items...)
		prev.visibility = col.next()
		return
	}
	id := col.next()
	delete(col.badLists, name)
	if prev := col.listByName[name]; prev != nil {
		prev.items = items
		prev.pos = it.ItemPos
		prev.visibility = id
		return
	}
	l := &listInfo{name: name, pos: it.ItemPos, items: items, index: id, visibility: id}
	col.lists = append(col.lists, l)
	col.listByName[name] = l
}

var macroOverridable = []string{"condition"}

func (col *collector) macro(it *syntax.MacroItem) {
	e := itemErrs{c: col.c}
	if !e.usable(&it.Name, true) {
		return
	}
	name := it.Name.Value
	if !isIdentifier(name) {
		col.c.warnf(it.Name.Pos, syntax.CodeInvalidMacroName, msgInvalidMacroName)
	}
	e.usable(&it.Condition, true)
	appendFlag := it.Append.Set && it.Append.Value
	if appendFlag {
		col.c.warnf(it.Append.Pos, syntax.CodeDeprecated, msgAppendDeprecated)
	}
	app, repl := e.overrideOps(&it.Override, macroOverridable, macroOverridable)
	if appendFlag && (len(app) > 0 || len(repl) > 0) {
		e.errorf(keyPos(it.Keys, "override", it.Override.Pos), syntax.CodeOverride, msgOverrideAppend)
	}
	if e.bad {
		col.badMacros[name] = true
		if it.Condition.Set {
			col.failedTexts = append(col.failedTexts, it.Condition.Value)
		}
		return
	}
	if appendFlag || app["condition"] {
		prev := col.macroByName[name]
		if prev == nil {
			if !col.badMacros[name] {
				col.c.errorf(it.ItemPos, syntax.CodeAppendTarget, msgNoPreviousMacro)
			}
			col.failedTexts = append(col.failedTexts, it.Condition.Value)
			return
		}
		prev.cond = prev.cond.clone()
		prev.cond.appendText(" ", it.Condition.Pos)
		prev.cond.appendScalar(&it.Condition)
		prev.visibility = col.next()
		return
	}
	id := col.next()
	delete(col.badMacros, name)
	var cond srcText
	cond.appendScalar(&it.Condition)
	if prev := col.macroByName[name]; prev != nil {
		prev.cond = cond
		prev.pos = it.ItemPos
		prev.visibility = id
		return
	}
	m := &macroInfo{name: name, pos: it.ItemPos, cond: cond, index: id, visibility: id}
	col.macros = append(col.macros, m)
	col.macroByName[name] = m
}

// clone returns a copy of t that can be appended to without affecting t.
func (t srcText) clone() srcText {
	return srcText{text: t.text, spans: append([]span(nil), t.spans...)}
}

// The keys of a rule that an override may append to or replace, in the
// order Falco's reader processes them.
var (
	ruleAppendable  = []string{"condition", "exceptions", "output", "desc", "tags"}
	ruleReplaceable = []string{"condition", "exceptions", "output", "desc", "tags", "priority",
		"enabled", "warn_evttypes", "skip-if-unknown-filter", "capture", "capture_duration"}
)

// ruleUpdate is the decoded content of an append or a selective replace.
type ruleUpdate struct {
	pos                 syntax.Pos
	source              *syntax.Scalar
	cond                *syntax.Scalar
	output              *syntax.Scalar
	desc                *syntax.Scalar
	tags                []string
	hasTags             bool
	exceptions          []*exceptionInfo
	hasExceptions       bool
	priority            *Priority
	enabled             *bool
	warnEvttypes        *bool
	skipIfUnknownFilter *bool
	capture             *bool
	captureDuration     *uint32
}

func (u *ruleUpdate) hasAnyValue() bool {
	return u.cond != nil || u.output != nil || u.desc != nil || u.hasTags || u.hasExceptions ||
		u.priority != nil || u.enabled != nil || u.warnEvttypes != nil || u.skipIfUnknownFilter != nil ||
		u.capture != nil || u.captureDuration != nil
}

func (col *collector) rule(it *syntax.RuleItem) {
	e := itemErrs{c: col.c}
	if !e.usable(&it.Name, true) {
		return
	}
	appendFlag := it.Append.Set && it.Append.Value
	if appendFlag {
		col.c.warnf(it.Append.Pos, syntax.CodeDeprecated, msgAppendDeprecated)
	}
	app, repl := e.overrideOps(&it.Override, ruleAppendable, ruleReplaceable)
	hasOverrides := len(app) > 0 || len(repl) > 0
	if appendFlag && hasOverrides {
		e.errorf(keyPos(it.Keys, "override", it.Override.Pos), syntax.CodeOverride, msgOverrideAppend)
	}
	if e.bad {
		col.ruleFailed(it)
		return
	}
	switch {
	case hasOverrides:
		col.ruleOverride(it, app, repl)
	case appendFlag:
		col.ruleAppendFlag(it)
	case !it.Condition.Set && !it.Output.Set && !it.Desc.Set && !it.Priority.Set:
		col.ruleEnable(it)
	default:
		col.ruleDefine(it)
	}
}

// ruleFailed records that an item for rule it.Name failed.
func (col *collector) ruleFailed(it *syntax.RuleItem) {
	if col.ruleByName[it.Name.Value] == nil {
		col.badRules[it.Name.Value] = true
	}
	if it.Condition.Set {
		col.failedTexts = append(col.failedTexts, it.Condition.Value)
	}
}

// optBool returns the value of an optional boolean key, or nil.
func optBool(b *syntax.Bool) *bool {
	if !b.Set {
		return nil
	}
	v := b.Value
	return &v
}

func (col *collector) ruleOverride(it *syntax.RuleItem, app, repl map[string]bool) {
	e := itemErrs{c: col.c}
	expected := map[string]bool{}
	for _, k := range append(append([]string(nil), ruleAppendable...), ruleReplaceable...) {
		if it.Keys.Has(k) {
			expected[k] = true
		}
	}
	var updates []*ruleUpdate
	for _, op := range []string{"append", "replace"} {
		keys := app
		if op == "replace" {
			keys = repl
		}
		if len(keys) == 0 {
			continue
		}
		u := &ruleUpdate{pos: it.ItemPos}
		if it.Source.Set && !it.Source.Null {
			u.source = &it.Source
		}
		order := ruleAppendable
		if op == "replace" {
			order = ruleReplaceable
		}
		for _, k := range order {
			if !keys[k] {
				continue
			}
			if !expected[k] {
				e.errorf(overrideKeyPos(it, k), syntax.CodeOverride,
					"An %s override for '%s' was specified but '%s' is not defined", op, k, k)
				continue
			}
			delete(expected, k)
			col.decodeUpdateKey(&e, it, u, k, op == "append")
		}
		updates = append(updates, u)
	}
	for _, k := range sortedKeys(expected) {
		pos, _ := it.Keys.Lookup(k)
		e.errorf(pos, syntax.CodeOverride, "Unexpected key '%s': no corresponding entry under 'override' is defined.", k)
	}
	if e.bad {
		col.ruleFailed(it)
		return
	}
	for i, u := range updates {
		if i == 0 && len(app) > 0 {
			col.ruleAppend(it, u, msgNoPreviousAppend)
		} else {
			col.ruleReplace(it, u)
		}
	}
}

func overrideKeyPos(it *syntax.RuleItem, key string) syntax.Pos {
	for _, ent := range it.Override.Entries {
		if ent.Key == key {
			return ent.KeyPos
		}
	}
	return it.Override.Pos
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// decodeUpdateKey decodes key k of an override item into u.
func (col *collector) decodeUpdateKey(e *itemErrs, it *syntax.RuleItem, u *ruleUpdate, k string, isAppend bool) {
	switch k {
	case "condition":
		if e.usable(&it.Condition, true) {
			u.cond = &it.Condition
		}
	case "output":
		if e.usable(&it.Output, true) {
			u.output = &it.Output
		}
	case "desc":
		if e.usable(&it.Desc, true) {
			u.desc = &it.Desc
		}
	case "tags":
		u.tags, u.hasTags = tagSet(it.Tags), true
	case "exceptions":
		u.exceptions = col.readExceptions(e, it, isAppend)
		u.hasExceptions = true
	case "priority":
		if e.usable(&it.Priority, true) {
			p, ok := ParsePriority(it.Priority.Value)
			if !ok {
				e.errorf(it.Priority.Pos, syntax.CodeInvalidPriority, "Invalid priority")
				return
			}
			u.priority = &p
		}
	case "enabled":
		u.enabled = optBool(&it.Enabled)
	case "warn_evttypes":
		u.warnEvttypes = optBool(&it.WarnEvttypes)
	case "skip-if-unknown-filter":
		u.skipIfUnknownFilter = optBool(&it.SkipIfUnknownFilter)
	case "capture":
		u.capture = optBool(&it.Capture)
	case "capture_duration":
		if d, ok := e.uint32(&it.CaptureDuration); ok {
			u.captureDuration = &d
		}
	}
}

// uint32 decodes an unsigned integer key.
func (e *itemErrs) uint32(s *syntax.Scalar) (uint32, bool) {
	if !e.usable(s, false) {
		return 0, false
	}
	n, ok := syntax.ParseUint32(s.Value)
	if !ok {
		e.bad = true // reported by the loader
		return 0, false
	}
	return n, true
}

// tagSet returns the tags as a sorted set.
func tagSet(tags []syntax.Scalar) []string {
	out := make([]string, 0, len(tags))
	for _, t := range tags {
		out = append(out, t.Value)
	}
	return sortUnique(out)
}

func sortUnique(s []string) []string {
	sort.Strings(s)
	out := s[:0]
	for i, x := range s {
		if i == 0 || x != s[i-1] {
			out = append(out, x)
		}
	}
	return out
}

func (col *collector) ruleAppendFlag(it *syntax.RuleItem) {
	e := itemErrs{c: col.c}
	u := &ruleUpdate{pos: it.ItemPos}
	if it.Source.Set && !it.Source.Null {
		u.source = &it.Source
	}
	if it.Condition.Set && e.usable(&it.Condition, true) {
		u.cond = &it.Condition
	}
	if it.ExceptionsSet {
		u.exceptions = col.readExceptions(&e, it, true)
		u.hasExceptions = true
	}
	if e.bad {
		col.ruleFailed(it)
		return
	}
	col.ruleAppend(it, u, msgNoPreviousAppend)
}

// previous returns the rule an append or override extends, reporting msg
// when there is none. It returns nil when the item must be ignored.
func (col *collector) previous(it *syntax.RuleItem, u *ruleUpdate, msg string) *ruleInfo {
	name := it.Name.Value
	prev := col.ruleByName[name]
	if prev == nil {
		if !col.badRules[name] {
			col.c.errorf(it.ItemPos, syntax.CodeAppendTarget, "%s", msg)
		}
		if u.cond != nil {
			col.failedTexts = append(col.failedTexts, u.cond.Value)
		}
		return nil
	}
	if u.source != nil && u.source.Value != "" && prev.source != "" && u.source.Value != prev.source {
		col.c.errorf(u.source.Pos, syntax.CodeRedefinedSource, msgDifferentSource)
		if u.cond != nil {
			col.failedTexts = append(col.failedTexts, u.cond.Value)
		}
		return nil
	}
	return prev
}

func (col *collector) ruleAppend(it *syntax.RuleItem, u *ruleUpdate, msg string) {
	prev := col.previous(it, u, msg)
	if prev == nil {
		return
	}
	if !u.hasAnyValue() {
		col.c.errorf(it.ItemPos, syntax.CodeAppendTarget, msgAppendNoValue)
		return
	}
	e := itemErrs{c: col.c}
	var newEx []*exceptionInfo
	exs := prev.exceptions
	for _, ex := range u.exceptions {
		// An exception added earlier in the same item counts as
		// existing, as Falco adds them one by one.
		var old *exceptionInfo
		for _, pe := range append(exs[:len(exs):len(exs)], newEx...) {
			if pe.name == ex.name {
				old = pe
				break
			}
		}
		if old == nil {
			if !ex.fieldsSet || ex.fieldsEmpty() {
				e.errorf(ex.pos, syntax.CodeException, "Rule exception must have fields property with a list of fields")
				continue
			}
			if len(ex.values) == 0 {
				e.errorf(ex.pos, syntax.CodeException, "Rule exception must have values property with a list of values")
				continue
			}
			if !col.validateException(&e, prev, ex) {
				continue
			}
			newEx = append(newEx, ex)
			continue
		}
		if ex.fieldsSet {
			e.errorf(ex.fieldsPos, syntax.CodeException, "Can not append exception fields to existing exception, only values")
			continue
		}
		if ex.compsSet {
			e.errorf(ex.compsPos, syntax.CodeException, "Can not append exception comps to existing exception, only values")
			continue
		}
		newEx = append(newEx, ex)
	}
	if e.bad {
		return
	}
	if u.cond != nil && u.cond.Value != "" {
		prev.cond = prev.cond.clone()
		prev.cond.appendText(" ", u.cond.Pos)
		prev.cond.appendScalar(u.cond)
	}
	if u.output != nil && u.output.Value != "" {
		prev.output = prev.output.clone()
		prev.output.appendText(" ", u.output.Pos)
		prev.output.appendScalar(u.output)
	}
	if u.desc != nil && u.desc.Value != "" {
		prev.desc += " " + u.desc.Value
	}
	if u.hasTags {
		prev.tags = sortUnique(append(append([]string(nil), prev.tags...), u.tags...))
	}
	if len(newEx) > 0 {
		merged := make([]*exceptionInfo, 0, len(exs)+len(newEx))
		for _, pe := range exs {
			merged = append(merged, pe)
		}
		for _, ex := range newEx {
			found := false
			for i, pe := range merged {
				if pe.name == ex.name {
					cp := *pe
					cp.values = append(append([]exceptionValue(nil), pe.values...), ex.values...)
					merged[i] = &cp
					found = true
					break
				}
			}
			if !found {
				merged = append(merged, ex)
			}
		}
		prev.exceptions = merged
	}
	col.next()
}

func (col *collector) ruleReplace(it *syntax.RuleItem, u *ruleUpdate) {
	prev := col.previous(it, u, msgNoPreviousReplace)
	if prev == nil {
		return
	}
	if !u.hasAnyValue() {
		col.c.errorf(it.ItemPos, syntax.CodeOverride, "The rule must have at least one field that can be replaced")
		return
	}
	e := itemErrs{c: col.c}
	for _, ex := range u.exceptions {
		col.validateException(&e, prev, ex)
	}
	if e.bad {
		return
	}
	if u.cond != nil {
		prev.cond = srcText{}
		prev.cond.appendScalar(u.cond)
	}
	if u.output != nil {
		prev.output = srcText{}
		prev.output.appendScalar(u.output)
	}
	if u.desc != nil {
		prev.desc = u.desc.Value
	}
	if u.hasTags {
		prev.tags = u.tags
	}
	if u.hasExceptions {
		prev.exceptions = u.exceptions
	}
	if u.priority != nil {
		prev.priority = *u.priority
	}
	if u.enabled != nil {
		prev.enabled = *u.enabled
	}
	if u.warnEvttypes != nil {
		prev.warnEvttypes = *u.warnEvttypes
	}
	if u.skipIfUnknownFilter != nil {
		prev.skipIfUnknownFilter = *u.skipIfUnknownFilter
	}
	if u.capture != nil {
		prev.capture = *u.capture
	}
	if u.captureDuration != nil {
		prev.captureDuration = *u.captureDuration
	}
	col.next()
}

func (col *collector) ruleEnable(it *syntax.RuleItem) {
	if !it.Enabled.Set {
		// The loader reported the missing key.
		col.ruleFailed(it)
		return
	}
	col.c.warnf(it.Enabled.Pos, syntax.CodeDeprecated, msgEnabledDeprecated)
	prev := col.ruleByName[it.Name.Value]
	if prev == nil {
		if !col.badRules[it.Name.Value] {
			col.c.errorf(it.ItemPos, syntax.CodeAppendTarget, msgNoPreviousEnable)
		}
		return
	}
	prev.enabled = it.Enabled.Value
	col.next()
}

func (col *collector) ruleDefine(it *syntax.RuleItem) {
	e := itemErrs{c: col.c}
	name := it.Name.Value
	r := &ruleInfo{
		name:         name,
		pos:          it.ItemPos,
		enabled:      true,
		warnEvttypes: true,
		source:       "syscall",
	}
	if e.usable(&it.Condition, true) {
		r.cond.appendScalar(&it.Condition)
	}
	if e.usable(&it.Output, true) {
		v := it.Output.Value
		start := len(v) - len(strings.TrimLeft(v, " \t\n\r\f\v"))
		end := len(strings.TrimRight(v, " \t\n\r\f\v"))
		r.output.appendScalarPart(&it.Output, start, max(start, end))
	}
	if e.usable(&it.Desc, true) {
		r.desc = it.Desc.Value
	}
	if e.usable(&it.Priority, true) {
		p, ok := ParsePriority(it.Priority.Value)
		if !ok {
			e.errorf(it.Priority.Pos, syntax.CodeInvalidPriority, "Invalid priority")
		}
		r.priority = p
	}
	if e.usable(&it.Source, false) {
		r.source = it.Source.Value
	}
	if b := optBool(&it.Enabled); b != nil {
		r.enabled = *b
	}
	if b := optBool(&it.WarnEvttypes); b != nil {
		r.warnEvttypes = *b
	}
	if b := optBool(&it.SkipIfUnknownFilter); b != nil {
		r.skipIfUnknownFilter = *b
	}
	if b := optBool(&it.Capture); b != nil {
		r.capture = *b
	}
	if d, ok := e.uint32(&it.CaptureDuration); ok {
		r.captureDuration = d
	}
	r.tags = tagSet(it.Tags)
	r.exceptions = col.readExceptions(&e, it, false)
	if e.bad {
		col.ruleFailed(it)
		return
	}

	prev := col.ruleByName[name]
	if prev != nil && prev.source != r.source {
		pos := it.ItemPos
		if it.Source.Set {
			pos = it.Source.Pos
		}
		col.c.errorf(pos, syntax.CodeRedefinedSource, msgDifferentSource)
		col.failedTexts = append(col.failedTexts, it.Condition.Value)
		return
	}
	if !col.c.sources[r.source] {
		r.unknownSource = true
		pos := it.ItemPos
		if it.Source.Set {
			pos = it.Source.Pos
		}
		col.c.warnf(pos, syntax.CodeUnknownSource, "Unknown source %s, skipping", r.source)
	}
	for _, ex := range r.exceptions {
		if ex.fieldsEmpty() {
			e.errorf(ex.pos, syntax.CodeException, "Rule exception item must have fields property with a list of fields")
			continue
		}
		col.validateException(&e, r, ex)
	}
	if e.bad {
		col.ruleFailed(it)
		return
	}
	id := col.next()
	delete(col.badRules, name)
	if prev != nil {
		r.index = prev.index
		*prev = *r
		return
	}
	r.index = id
	col.rules = append(col.rules, r)
	col.ruleByName[name] = r
}

// isIdentifier reports whether s fully matches [a-zA-Z]+[a-zA-Z0-9_]*.
func isIdentifier(s string) bool {
	if s == "" || !isLetter(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if c := s[i]; !isLetter(c) && !isDigit(c) && c != '_' {
			return false
		}
	}
	return true
}

// isBareString reports whether s fully matches [^()"'[:space:]=,]+.
func isBareString(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '(', ')', '"', '\'', '=', ',', ' ', '\t', '\n', '\r', '\v', '\f':
			return false
		}
	}
	return true
}

func isLetter(c byte) bool { return (c|0x20) >= 'a' && (c|0x20) <= 'z' }
func isDigit(c byte) bool  { return c >= '0' && c <= '9' }
