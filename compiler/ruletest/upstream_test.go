package ruletest_test

import (
	"os"
	"strings"
	"testing"

	"github.com/falconer-sec/falconer/compiler"
	"github.com/falconer-sec/falconer/compiler/ir"
	"github.com/falconer-sec/falconer/compiler/ruletest"
)

// upstreamFiles are the three current upstream rule files in Falco's load
// order.
var upstreamFiles = []string{
	"testdata/upstream-rules/falco_rules.yaml",
	"testdata/upstream-rules/falco-incubating_rules.yaml",
	"testdata/upstream-rules/falco-sandbox_rules.yaml",
}

func compileUpstream(t testing.TB, extra ...string) *ir.Program {
	t.Helper()
	prog, diags, err := compiler.Compile(os.DirFS("../.."), append(append([]string{}, upstreamFiles...), extra...), compiler.Options{})
	if err != nil {
		t.Fatalf("compile upstream rules: %v\n%s", err, diags.Errors())
	}
	return prog
}

func TestUpstreamRules(t *testing.T) {
	prog := compileUpstream(t, "compiler/ruletest/testdata/upstream/tuning.yaml")
	const name = "testdata/upstream/falco_rules_test.yaml"
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	f, err := ruletest.Parse(name, data)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := ruletest.Run(prog, []*ruletest.File{f}, ruletest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, res := range rep.Results {
		if !res.Passed() {
			t.Errorf("%s:%d: %s:\n  %s", res.Case.File, res.Case.Line, res.Case.Name, strings.Join(res.Failures, "\n  "))
		}
	}
	var both []string
	for _, rc := range rep.Coverage {
		if rc.Covered() {
			both = append(both, rc.Rule)
		}
	}
	if len(both) < 15 {
		t.Errorf("%d upstream rules have both a firing and a non-firing case, want at least 15: %v", len(both), both)
	}
	t.Logf("%d cases; %d upstream rules covered both ways", len(rep.Results), len(both))
}
