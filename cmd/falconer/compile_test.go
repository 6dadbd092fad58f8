package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/falconer-sec/falconer/compiler/ir"
)

var upstream = []string{
	"../../testdata/upstream-rules/falco_rules.yaml",
	"../../testdata/upstream-rules/falco-incubating_rules.yaml",
	"../../testdata/upstream-rules/falco-sandbox_rules.yaml",
}

// TestLintUpstream pins that the current upstream rule files, loaded
// together in Falco's order and each alone, have no errors.
func TestLintUpstream(t *testing.T) {
	sets := [][]string{upstream}
	for _, f := range upstream {
		sets = append(sets, []string{f})
	}
	for _, files := range sets {
		out, err := execCmd(t, t.Context(), newLintCmd(), append([]string{"--format", "json"}, files...)...)
		if err != nil {
			t.Fatalf("lint %v: %v\n%s", files, err, out)
		}
		var diags []jsonDiagnostic
		if err := json.Unmarshal([]byte(out), &diags); err != nil {
			t.Fatalf("lint %v: bad JSON: %v", files, err)
		}
		for _, d := range diags {
			if d.Severity == "error" {
				t.Errorf("lint %v: %s:%d:%d: %s", files, d.File, d.Line, d.Col, d.Message)
			}
		}
	}
}

// TestBuildInspectUpstream builds the upstream rules twice (same digest)
// and checks that inspect lists every enabled upstream rule.
func TestBuildInspectUpstream(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.fcr"), filepath.Join(dir, "b.fcr")
	mustExec(t, newBuildCmd(), append(upstream, "-q", "-o", a)...)
	mustExec(t, newBuildCmd(), append(upstream, "-q", "-o", b)...)
	da, _ := os.ReadFile(a)
	db, _ := os.ReadFile(b)
	if ir.Digest(da) != ir.Digest(db) {
		t.Fatalf("two builds differ: %s vs %s", ir.Digest(da), ir.Digest(db))
	}
	out := mustExec(t, newInspectCmd(), a)
	if !strings.Contains(out, ir.Digest(da)) {
		t.Errorf("inspect does not show the digest %s", ir.Digest(da))
	}
	p, err := ir.Decode(da)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Rules) != 81 {
		t.Errorf("%d enabled upstream rules, want 81", len(p.Rules))
	}
	for _, r := range p.Rules {
		if !strings.Contains(out, r.Name) {
			t.Errorf("inspect does not list %q", r.Name)
		}
	}
}

// TestTestCmd runs falconer test on the default ruleset (passing, with
// coverage and JUnit) and on a broken expectation (failing with the
// case's and the rule's file:line and a diff).
func TestTestCmd(t *testing.T) {
	junit := filepath.Join(t.TempDir(), "report.xml")
	out := mustExec(t, newTestCmd(), "--rules", "../../rulesets/default", "../../rulesets/default/tests",
		"--coverage", "--min-coverage", "100", "--junit", junit)
	if !strings.Contains(out, " passed, 0 failed") || !strings.Contains(out, "(100.0%)") {
		t.Errorf("output:\n%s", out)
	}
	if x, err := os.ReadFile(junit); err != nil || !strings.Contains(string(x), "<testsuites") {
		t.Errorf("junit report: %v\n%s", err, x)
	}

	bad := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(bad, []byte(`tests:
  - name: expects the wrong rule
    process: {name: cat, parent: {name: bash}}
    event: {type: openat, fd: /etc/shadow, flags: O_RDONLY}
    fires: Terminal shell in container
`), 0o644)
	out, err := execCmd(t, t.Context(), newTestCmd(), "--rules", "../../rulesets/default", bad)
	if err == nil {
		t.Fatalf("a failing case passed:\n%s", out)
	}
	for _, want := range []string{"FAIL " + bad + ":2: expects the wrong rule", `rule "Terminal shell in container" did not fire (rule at ../../rulesets/default/falconer_rules.yaml:`,
		"- Terminal shell in container", "+ Read sensitive file untrusted (x1)", "0 passed, 1 failed"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

// TestReplayCmd replays a committed capture through the default rules.
func TestReplayCmd(t *testing.T) {
	c := newReplayCmd()
	var stdout, stderr strings.Builder
	c.SetOut(&stdout)
	c.SetErr(&stderr)
	c.SetArgs([]string{"--rules", "../../rulesets/default", "--output", "json", "../../rulesets/default/tests/captures/cat-shadow.scap.gz"})
	if err := c.ExecuteContext(t.Context()); err != nil {
		t.Fatal(err)
	}
	out := stdout.String()
	var alert struct {
		Rule         string         `json:"rule"`
		Priority     string         `json:"priority"`
		OutputFields map[string]any `json:"output_fields"`
	}
	if err := json.Unmarshal([]byte(strings.TrimSpace(out)), &alert); err != nil {
		t.Fatalf("not one JSON alert line: %v\n%s", err, out)
	}
	if alert.Rule != "Read sensitive file untrusted" || alert.Priority != "Warning" || alert.OutputFields["fd.name"] != "/etc/shadow" ||
		!strings.Contains(out, "image=<NA>:<NA>") {
		t.Errorf("alert = %+v", alert)
	}
	if !strings.Contains(stderr.String(), "Read sensitive file untrusted: 1") {
		t.Errorf("summary:\n%s", stderr.String())
	}
}
