package compiler

import (
	"os"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/falconer-sec/falconer/compiler/syntax"
)

const upstreamDir = "../testdata/upstream-rules"

// TestLoadUpstream loads the official Falco rule files alone and together
// (in Falco's order): none may have an error.
func TestLoadUpstream(t *testing.T) {
	tests := [][]string{
		{"falco_rules.yaml"},
		{"falco-incubating_rules.yaml"},
		{"falco-sandbox_rules.yaml"},
		{"falco_rules.yaml", "falco-incubating_rules.yaml", "falco-sandbox_rules.yaml"},
		{"archive/application_rules.yaml"},
		{"archive/falco-deprecated_rules.yaml"},
	}
	fsys := os.DirFS(upstreamDir)
	for _, paths := range tests {
		t.Run(strings.Join(paths, "+"), func(t *testing.T) {
			res, diags := Load(fsys, paths, Options{})
			if errs := diags.Errors(); len(errs) > 0 {
				t.Fatalf("Load(%v) errors:\n%s", paths, errs)
			}
			if len(res.Rules) == 0 && !strings.Contains(paths[0], "application") {
				t.Fatalf("Load(%v) found no rules", paths)
			}
			for _, r := range res.Rules {
				if r.Skipped != "" {
					t.Errorf("rule %q skipped: %s", r.Name, r.Skipped)
				}
				if r.Condition == nil || r.Info == nil || len(r.OutputTokens) == 0 {
					t.Errorf("rule %q is not fully resolved", r.Name)
				}
			}
		})
	}
}

// TestLoadUpstreamTogether checks what loading the three files together
// resolves: later files redefine lists and macros of earlier ones, and the
// rules of all three are present once each.
func TestLoadUpstreamTogether(t *testing.T) {
	fsys := os.DirFS(upstreamDir)
	all := []string{"falco_rules.yaml", "falco-incubating_rules.yaml", "falco-sandbox_rules.yaml"}
	together, diags := Load(fsys, all, Options{})
	if diags.HasErrors() {
		t.Fatal(diags.Err())
	}
	n := 0
	for _, p := range all {
		res, _ := Load(fsys, []string{p}, Options{})
		n += len(res.Rules)
	}
	if len(together.Rules) != n {
		t.Errorf("rules loaded together = %d, want %d (the sum of the files)", len(together.Rules), n)
	}
	if got := together.RequiredEngineVersion; got != "0.57.0" {
		t.Errorf("RequiredEngineVersion = %q, want 0.57.0", got)
	}
	for _, l := range together.Lists {
		if !strings.HasPrefix(l.Pos.File, "falco") {
			t.Errorf("list %s position %v not in a rules file", l.Name, l.Pos)
		}
	}
}

func TestLoadDirectory(t *testing.T) {
	fsys := fstest.MapFS{
		"rules/b.yaml": {Data: []byte("- macro: m\n  condition: evt.type = open\n")},
		"rules/a.yml":  {Data: []byte("- rule: r\n  desc: d\n  condition: m\n  output: o\n  priority: INFO\n")},
		"rules/c.txt":  {Data: []byte("not yaml: [")},
	}
	// a.yml comes first and uses a macro of b.yaml: as in Falco, a file
	// must compile with what was loaded before it.
	_, diags := Load(fsys, []string{"rules"}, Options{})
	errs := diags.Errors()
	if len(errs) != 1 || errs[0].Code != syntax.CodeUndefinedMacro || errs[0].Pos.File != "rules/a.yml" {
		t.Fatalf("Load(rules) errors = %v, want one undefined macro in rules/a.yml", errs)
	}
	res, diags := Load(fsys, []string{"rules/b.yaml", "rules/a.yml"}, Options{})
	if diags.HasErrors() {
		t.Fatalf("Load(b, a) = %v", diags.Err())
	}
	if r := res.Rule("r"); r == nil || r.Condition == nil {
		t.Fatalf("rule r not resolved")
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, diags := Load(fstest.MapFS{}, []string{"nope.yaml"}, Options{})
	errs := diags.Errors()
	if len(errs) != 1 || errs[0].Code != syntax.CodeFileRead || errs[0].Pos.File != "nope.yaml" {
		t.Fatalf("Load(nope.yaml) errors = %v, want one file-read error", errs)
	}
}

// BenchmarkCompileUpstream measures load, parse, resolve and check of
// falco_rules.yaml.
func BenchmarkCompileUpstream(b *testing.B) {
	data, err := os.ReadFile(upstreamDir + "/falco_rules.yaml")
	if err != nil {
		b.Fatal(err)
	}
	fsys := fstest.MapFS{"falco_rules.yaml": {Data: data}}
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		_, diags := Load(fsys, []string{"falco_rules.yaml"}, Options{})
		if diags.HasErrors() {
			b.Fatal(diags.Err())
		}
	}
}
