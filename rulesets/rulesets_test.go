package rulesets

import (
	"fmt"
	"io/fs"
	"os"
	"path"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	yaml "go.yaml.in/yaml/v3"

	"github.com/falconer-sec/falconer/agent/replay"
	"github.com/falconer-sec/falconer/compiler"
	"github.com/falconer-sec/falconer/compiler/eval"
	"github.com/falconer-sec/falconer/compiler/ruletest"
	"github.com/falconer-sec/falconer/compiler/syntax"
)

// ruleset is a combination of rule directories loaded in order, with the
// test directories that cover it.
type ruleset struct {
	name  string
	rules []string // rule files or directories, in load order
	tests []string // test directories
	// warnings are the compiler warnings the set is known to have, as
	// "file: code", sorted. Any other warning fails the test.
	warnings []string
}

var rulesets = []ruleset{
	{
		name:  "default",
		rules: []string{"default"},
		tests: []string{"default/tests"},
	},
	{
		name:  "default+traefik",
		rules: []string{"default", "traefik"},
		tests: []string{"default/tests", "traefik/tests"},
		// The Helm chart's example is kept as published: one macro
		// it never uses and the deprecated %container.info in both
		// outputs.
		warnings: []string{
			"traefik/rules-traefik.yaml: deprecated",
			"traefik/rules-traefik.yaml: deprecated",
			"traefik/rules-traefik.yaml: unused-macro",
		},
	},
}

// TestRulesets compiles each ruleset, runs its unit tests through the
// evaluator and requires every rule to have both a firing and a
// non-firing case.
func TestRulesets(t *testing.T) {
	fsys := os.DirFS(".")
	for _, rs := range rulesets {
		t.Run(rs.name, func(t *testing.T) {
			prog, diags, err := compiler.Compile(fsys, rs.rules, compiler.Options{})
			if err != nil {
				t.Fatalf("Compile(%q) = %v\n%s", rs.rules, err, diags.Errors())
			}
			if errs := diags.Errors(); len(errs) > 0 {
				t.Fatalf("Compile(%q) reported errors:\n%s", rs.rules, errs)
			}
			var warnings []string
			for _, w := range diags.Warnings() {
				warnings = append(warnings, w.Pos.File+": "+string(w.Code))
			}
			sort.Strings(warnings)
			if diff := cmp.Diff(rs.warnings, warnings); diff != "" {
				t.Errorf("Compile(%q) warnings (-want +got):\n%s\nall diagnostics:\n%s", rs.rules, diff, diags.Warnings())
			}

			defined, err := definedRules(fsys, rs.rules)
			if err != nil {
				t.Fatal(err)
			}
			var loaded []string
			for _, r := range prog.Rules {
				loaded = append(loaded, r.Name)
			}
			for _, name := range defined {
				if !slices.Contains(loaded, name) {
					t.Errorf("rule %q is defined but not in the compiled ruleset (disabled or dropped): it would escape its tests", name)
				}
			}

			// A field the evaluator cannot extract reads as <NA>, which
			// would make non-firing cases pass for the wrong reason.
			eng, err := eval.New(prog, eval.Options{})
			if err != nil {
				t.Fatalf("eval.New: %v", err)
			}
			if u := eng.Unsupported(); len(u) > 0 {
				t.Errorf("the rules use fields the evaluator cannot extract: %v", u)
			}

			files, err := loadTests(fsys, rs.tests)
			if err != nil {
				t.Fatal(err)
			}
			rep, err := ruletest.Run(prog, files, ruletest.Options{Capture: replay.TestCapture})
			if err != nil {
				t.Fatalf("ruletest.Run: %v", err)
			}
			if len(rep.Results) == 0 {
				t.Fatalf("no test cases found under %q", rs.tests)
			}
			for _, res := range rep.Results {
				if !res.Passed() {
					t.Errorf("%s:%d: %s:\n    %s", res.Case.File, res.Case.Line, res.Case.Name,
						strings.ReplaceAll(strings.Join(res.Failures, "\n"), "\n", "\n    "))
				}
			}
			if len(rep.Coverage) != len(prog.Rules) {
				t.Errorf("coverage lists %d rules, the ruleset has %d", len(rep.Coverage), len(prog.Rules))
			}
			for _, rc := range rep.Coverage {
				if rc.Covered() {
					continue
				}
				var lack []string
				if !rc.Firing {
					lack = append(lack, "no firing case")
				}
				if !rc.Silent {
					lack = append(lack, "no non-firing case")
				}
				t.Errorf("%s:%d: rule %q is not covered: %s", rc.Origin.File, rc.Origin.Line, rc.Rule, strings.Join(lack, ", "))
			}
			t.Logf("%d rules, %d cases", len(prog.Rules), len(rep.Results))
		})
	}
}

// loadTests parses every *.yaml and *.yml file below the test directories,
// in lexical order.
func loadTests(fsys fs.FS, dirs []string) ([]*ruletest.File, error) {
	var files []*ruletest.File
	for _, dir := range dirs {
		var names []string
		err := fs.WalkDir(fsys, dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() && isYAML(p) {
				names = append(names, p)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		sort.Strings(names)
		for _, name := range names {
			data, err := fs.ReadFile(fsys, name)
			if err != nil {
				return nil, err
			}
			f, err := ruletest.Parse(name, data)
			if err != nil {
				return nil, err
			}
			files = append(files, f)
		}
	}
	return files, nil
}

func isYAML(name string) bool {
	return strings.HasSuffix(name, ".yaml") || strings.HasSuffix(name, ".yml")
}

// ruleFiles returns the rule files of a ruleset directory: its top-level
// YAML files, in lexical order, as the compiler and Falco load them.
func ruleFiles(fsys fs.FS, dir string) ([]string, error) {
	ents, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range ents {
		if !e.IsDir() && isYAML(e.Name()) {
			out = append(out, path.Join(dir, e.Name()))
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no rule files", dir)
	}
	return out, nil
}

// definedRules lists the names of the rules the files define (items with
// a rule key and a condition), in order.
func definedRules(fsys fs.FS, dirs []string) ([]string, error) {
	var names []string
	for _, dir := range dirs {
		files, err := ruleFiles(fsys, dir)
		if err != nil {
			return nil, err
		}
		for _, name := range files {
			data, err := fs.ReadFile(fsys, name)
			if err != nil {
				return nil, err
			}
			var items []map[string]any
			if err := yaml.Unmarshal(data, &items); err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
			for _, it := range items {
				if r, ok := it["rule"].(string); ok && it["condition"] != nil {
					names = append(names, r)
				}
			}
		}
	}
	return names, nil
}

// TestFalcoShape checks that the rule files use only what Falco itself
// loads, so the same files can be handed to Falco: a YAML sequence of
// items with Falco's keys, the JSON schema's spellings, plain YAML that
// yaml-cpp reads the same way, and no condition syntax newer than the
// engine version the files require.
func TestFalcoShape(t *testing.T) {
	fsys := os.DirFS(".")
	for _, dir := range []string{"default", "traefik"} {
		files, err := ruleFiles(fsys, dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range files {
			t.Run(name, func(t *testing.T) {
				data, err := fs.ReadFile(fsys, name)
				if err != nil {
					t.Fatal(err)
				}
				for _, p := range falcoShapeProblems(data) {
					t.Errorf("%s:%s", name, p)
				}
			})
		}
	}
}

// TestDefaultDeclaresRequirements checks that the default ruleset states
// the engine and plugin it needs, so an older Falco refuses it with a
// clear message instead of failing on a field.
func TestDefaultDeclaresRequirements(t *testing.T) {
	data, err := os.ReadFile("default/falconer_rules.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var items []map[string]any
	if err := yaml.Unmarshal(data, &items); err != nil {
		t.Fatal(err)
	}
	var engine, container bool
	for _, it := range items {
		if _, ok := it["required_engine_version"]; ok {
			engine = true
		}
		if reqs, ok := it["required_plugin_versions"].([]any); ok {
			for _, r := range reqs {
				if m, ok := r.(map[string]any); ok && m["name"] == "container" {
					container = true
				}
			}
		}
	}
	if !engine || !container {
		t.Errorf("default ruleset: required_engine_version declared = %v, container plugin required = %v; want both", engine, container)
	}
}

func TestFalcoShapeProblems(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want string // a substring of the only problem; "" for none
	}{
		{"valid", "- list: l\n  items: [a]\n- macro: m\n  condition: proc.name in (l)\n" +
			"- rule: r\n  desc: d\n  condition: evt.type = open and m\n  output: o %proc.name\n  priority: WARNING\n  tags: [x]\n", ""},
		{"test file", "tests:\n  - name: x\n", "not a sequence"},
		{"unknown key", "- macro: m\n  condition: evt.type = open\n  priority: WARNING\n", `unknown key "priority" for a macro`},
		{"no kind", "- name: x\n", "no item key"},
		{"schema priority", "- rule: r\n  desc: d\n  condition: evt.type = open\n  output: o\n  priority: warning\n", "priority"},
		{"missing output", "- rule: r\n  desc: d\n  condition: evt.type = open\n  priority: WARNING\n", `no "output"`},
		{"yes bool", "- rule: r\n  desc: d\n  condition: evt.type = open\n  output: o\n  priority: INFO\n  enabled: yes\n", "true or false"},
		{"deprecated append", "- list: l\n  items: [b]\n  append: true\n", `unknown key "append"`},
		{"anchor", "- list: l\n  items: &x [a]\n", "anchor"},
		{"modifier", "- macro: m\n  condition: proc.name startswith oneof (a, b)\n", "modifier"},
		{"new transformer", "- macro: m\n  condition: concat(proc.name, proc.pname) = ab\n", "concat"},
		{"hex escape", "- macro: m\n  condition: proc.name = \"\\x41\"\n", `\x`},
		{"bad condition", "- macro: m\n  condition: proc.name = = x\n", "condition does not parse"},
		{"exception key", "- rule: r\n  desc: d\n  condition: evt.type = open\n  output: o\n  priority: INFO\n" +
			"  exceptions:\n    - name: e\n      fields: proc.name\n      value: [a]\n", `unknown exception key "value"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := falcoShapeProblems([]byte(tt.src))
			if tt.want == "" {
				if len(got) != 0 {
					t.Errorf("falcoShapeProblems() = %q, want none", got)
				}
				return
			}
			if len(got) != 1 || !strings.Contains(got[0], tt.want) {
				t.Errorf("falcoShapeProblems() = %q, want one problem containing %q", got, tt.want)
			}
		})
	}
}

// itemKinds are Falco's item keys in the order Falco tests for them
// (rule_loader_reader.cpp::read_item).
var itemKinds = []string{"required_engine_version", "required_plugin_versions", "list", "macro", "rule"}

// itemKeys are the keys each kind of item may have. The deprecated append
// key is left out: Falco warns about it.
var itemKeys = map[string][]string{
	"required_engine_version":  {"required_engine_version"},
	"required_plugin_versions": {"required_plugin_versions"},
	"list":                     {"list", "items", "override"},
	"macro":                    {"macro", "condition", "override"},
	"rule": {"rule", "desc", "condition", "output", "priority", "source", "enabled", "tags",
		"exceptions", "warn_evttypes", "skip-if-unknown-filter", "capture", "capture_duration", "override"},
}

// schemaPriorities are the priority spellings of Falco's JSON schema;
// others load but make the schema check fail.
var schemaPriorities = []string{"EMERGENCY", "ALERT", "CRITICAL", "ERROR", "WARNING", "NOTICE", "INFO", "INFORMATIONAL", "DEBUG"}

var boolKeys = []string{"enabled", "warn_evttypes", "skip-if-unknown-filter", "capture"}

// newTransformers are transformers that need a newer engine than the
// rule files require (libs 0.24/0.25).
var newTransformers = []string{"join", "concat", "getopt"}

// falcoShapeProblems returns what in a rule file Falco would not load the
// same way, as ":line:col: message" strings.
func falcoShapeProblems(data []byte) []string {
	var probs []string
	add := func(n *yaml.Node, format string, args ...any) {
		probs = append(probs, fmt.Sprintf("%d:%d: %s", n.Line, n.Column, fmt.Sprintf(format, args...)))
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return []string{fmt.Sprintf("0:0: invalid YAML: %v", err)}
	}
	if doc.Kind == 0 {
		return nil
	}
	plainYAML(&doc, add)
	root := doc.Content[0]
	if root.Kind != yaml.SequenceNode {
		add(root, "the file is not a sequence of items (Falco: Rules content is not yaml array of objects)")
		return probs
	}
	for _, item := range root.Content {
		if item.Kind != yaml.MappingNode {
			add(item, "an item is not a map")
			continue
		}
		checkItem(item, add)
	}
	return probs
}

// plainYAML reports YAML features that yaml-cpp and Go's YAML reader treat
// differently or that hide the rules from a reader: anchors, aliases,
// merge keys and explicit tags.
func plainYAML(n *yaml.Node, add func(*yaml.Node, string, ...any)) {
	switch {
	case n.Anchor != "" || n.Kind == yaml.AliasNode:
		add(n, "anchor or alias: write the value out")
		return
	case n.Style&yaml.TaggedStyle != 0:
		add(n, "explicit YAML tag %s", n.Tag)
	}
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == "<<" {
				add(n.Content[i], "merge key: yaml-cpp does not merge maps")
			}
		}
	}
	for _, c := range n.Content {
		plainYAML(c, add)
	}
}

func checkItem(item *yaml.Node, add func(*yaml.Node, string, ...any)) {
	vals := map[string]*yaml.Node{}
	for i := 0; i+1 < len(item.Content); i += 2 {
		vals[item.Content[i].Value] = item.Content[i+1]
	}
	kind := ""
	for _, k := range itemKinds {
		if _, ok := vals[k]; ok {
			kind = k
			break
		}
	}
	if kind == "" {
		add(item, "no item key (one of %s)", strings.Join(itemKinds, ", "))
		return
	}
	for i := 0; i+1 < len(item.Content); i += 2 {
		k := item.Content[i]
		if !slices.Contains(itemKeys[kind], k.Value) {
			add(k, "unknown key %q for a %s", k.Value, kind)
		}
	}
	_, isOverride := vals["override"]
	switch kind {
	case "required_engine_version":
		scalar(vals[kind], kind, add)
	case "required_plugin_versions":
		checkPlugins(vals[kind], add)
	case "list":
		scalar(vals["list"], "list", add)
		if items, ok := vals["items"]; !ok || items.Kind != yaml.SequenceNode {
			add(item, "a list needs items, a sequence")
		} else {
			for _, it := range items.Content {
				scalar(it, "a list item", add)
			}
		}
	case "macro":
		scalar(vals["macro"], "macro", add)
		if c, ok := vals["condition"]; !ok || scalar(c, "condition", add) == "" {
			add(item, `a macro needs a "condition"`)
		} else {
			checkCondition(c, add)
		}
	case "rule":
		scalar(vals["rule"], "rule", add)
		if !isOverride {
			for _, k := range []string{"desc", "condition", "output", "priority"} {
				if v, ok := vals[k]; !ok || scalar(v, k, add) == "" {
					add(item, "a rule definition has no %q", k)
				}
			}
		}
		if c, ok := vals["condition"]; ok {
			checkCondition(c, add)
		}
		if p, ok := vals["priority"]; ok && !slices.Contains(schemaPriorities, p.Value) {
			add(p, "priority %q is not one of the schema's spellings %v", p.Value, schemaPriorities)
		}
		for _, k := range boolKeys {
			if v, ok := vals[k]; ok && (v.Kind != yaml.ScalarNode || (v.Value != "true" && v.Value != "false")) {
				add(v, "%s must be true or false", k)
			}
		}
		if tags, ok := vals["tags"]; ok {
			if tags.Kind != yaml.SequenceNode {
				add(tags, "tags must be a sequence")
			} else {
				for _, tg := range tags.Content {
					scalar(tg, "a tag", add)
				}
			}
		}
		if ex, ok := vals["exceptions"]; ok {
			checkExceptions(ex, add)
		}
	}
}

// scalar reports a non-scalar value and returns the scalar's text.
func scalar(n *yaml.Node, what string, add func(*yaml.Node, string, ...any)) string {
	if n.Kind != yaml.ScalarNode {
		add(n, "%s must be a scalar", what)
		return ""
	}
	return n.Value
}

func checkPlugins(n *yaml.Node, add func(*yaml.Node, string, ...any)) {
	if n.Kind != yaml.SequenceNode {
		add(n, "required_plugin_versions must be a sequence")
		return
	}
	for _, p := range n.Content {
		if p.Kind != yaml.MappingNode {
			add(p, "a plugin requirement must be a map")
			continue
		}
		keys := map[string]bool{}
		for i := 0; i+1 < len(p.Content); i += 2 {
			k := p.Content[i].Value
			keys[k] = true
			if !slices.Contains([]string{"name", "version", "alternatives"}, k) {
				add(p.Content[i], "unknown plugin requirement key %q", k)
			}
		}
		if !keys["name"] || !keys["version"] {
			add(p, "a plugin requirement needs name and version")
		}
	}
}

func checkExceptions(n *yaml.Node, add func(*yaml.Node, string, ...any)) {
	if n.Kind != yaml.SequenceNode {
		add(n, "exceptions must be a sequence")
		return
	}
	for _, e := range n.Content {
		if e.Kind != yaml.MappingNode {
			add(e, "an exception must be a map")
			continue
		}
		hasName := false
		for i := 0; i+1 < len(e.Content); i += 2 {
			k := e.Content[i].Value
			hasName = hasName || k == "name"
			if !slices.Contains([]string{"name", "fields", "comps", "values"}, k) {
				add(e.Content[i], "unknown exception key %q", k)
			}
		}
		if !hasName {
			add(e, "an exception needs a name")
		}
	}
}

// checkCondition parses a condition as Falco's parser does and reports
// syntax that needs a newer engine than the files require: string
// operator modifiers, multi-value transformers and \x escapes.
func checkCondition(n *yaml.Node, add func(*yaml.Node, string, ...any)) {
	x, err := syntax.ParseCondition(n.Value, syntax.ConditionOptions{})
	if err != nil {
		add(n, "condition does not parse: %v", err)
		return
	}
	syntax.Inspect(x, func(node syntax.Node) bool {
		switch v := node.(type) {
		case *syntax.CheckExpr:
			if v.Modifier != "" {
				add(n, "operator modifier %q needs libs 0.25 (Falco 0.44), newer than the required engine", v.Modifier)
			}
		case *syntax.Transformer:
			if slices.Contains(newTransformers, v.Name) {
				add(n, "transformer %s needs libs 0.24 or later, newer than the required engine", v.Name)
			}
		case *syntax.StringLit:
			if v.Quoted && strings.Contains(v.Raw, `\x`) {
				add(n, `\x escapes need engine 0.63.0, newer than the required engine`)
			}
		}
		return true
	})
}
