package check

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/falconer-sec/falconer/compiler/syntax"
)

var update = flag.Bool("update", false, "rewrite the golden files of testdata/golden")

// summary prints a resolved rule set in a stable, readable form.
func summary(res *Result, diags syntax.ErrorList) string {
	var b strings.Builder
	fmt.Fprintf(&b, "required_engine_version: %q\n", res.RequiredEngineVersion)
	for _, p := range res.PluginRequirements {
		fmt.Fprintf(&b, "required_plugin: %v\n", p.Alternatives)
	}
	for _, l := range res.Lists {
		fmt.Fprintf(&b, "list %s @%s used=%t items=%q\n", l.Name, l.Pos, l.Used, l.Items)
	}
	for _, m := range res.Macros {
		fmt.Fprintf(&b, "macro %s @%s used=%t\n  text: %s\n", m.Name, m.Pos, m.Used, oneLine(m.Condition))
		if m.Expr != nil {
			fmt.Fprintf(&b, "  tree: %s\n", syntax.FormatCondition(m.Expr))
		}
	}
	for _, r := range res.Rules {
		fmt.Fprintf(&b, "rule %q @%s\n", r.Name, r.Pos)
		fmt.Fprintf(&b, "  priority=%s source=%s enabled=%t tags=%q\n", r.Priority, r.Source, r.Enabled, r.Tags)
		fmt.Fprintf(&b, "  capture=%t capture_duration=%d warn_evttypes=%t skip_if_unknown_filter=%t\n",
			r.Capture, r.CaptureDuration, r.WarnEvttypes, r.SkipIfUnknownFilter)
		fmt.Fprintf(&b, "  desc: %s\n", oneLine(r.Desc))
		if r.Skipped != "" {
			fmt.Fprintf(&b, "  skipped: %s\n", r.Skipped)
		}
		fmt.Fprintf(&b, "  text: %s\n", oneLine(r.ConditionText))
		if r.Condition != nil {
			fmt.Fprintf(&b, "  condition: %s\n", syntax.FormatCondition(r.Condition))
			if r.Source == "syscall" {
				fmt.Fprintf(&b, "  evttypes(%d): %s\n", r.EventTypes.Len(), strings.Join(r.EventTypes.Names(), " "))
			}
		}
		if len(r.ExceptionFields) > 0 {
			fmt.Fprintf(&b, "  exception_fields: %q\n", r.ExceptionFields)
		}
		fmt.Fprintf(&b, "  output: %s\n", oneLine(r.Output))
		for _, t := range r.OutputTokens {
			if t.IsField() {
				fmt.Fprintf(&b, "    field %q name=%q width=%d @%s\n", t.Text, t.Name, t.Width, t.Pos)
			} else {
				fmt.Fprintf(&b, "    text %q\n", t.Text)
			}
		}
	}
	for _, d := range diags {
		fmt.Fprintf(&b, "%s\n", d)
	}
	return b.String()
}

func oneLine(s string) string { return strings.ReplaceAll(s, "\n", `\n`) }

// TestGolden compares the summary of each rule set of testdata/golden
// (and of the upstream falco_rules.yaml) with its .golden file; run with
// -update to rewrite them.
func TestGolden(t *testing.T) {
	inputs, err := filepath.Glob("testdata/golden/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	type input struct{ name, dir, file string }
	var all []input
	for _, in := range inputs {
		all = append(all, input{strings.TrimSuffix(filepath.Base(in), ".yaml"), "testdata/golden", filepath.Base(in)})
	}
	all = append(all, input{"falco_rules", "../../testdata/upstream-rules", "falco_rules.yaml"})
	for _, in := range all {
		t.Run(in.name, func(t *testing.T) {
			res, diags := loadFiles(t, in.dir, []string{in.file})
			got := summary(res, diags)
			golden := filepath.Join("testdata/golden", in.name+".golden")
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("summary of %s differs from %s (run go test -update to accept):\n%s", in.file, golden, lineDiff(string(want), got))
			}
		})
	}
}

// lineDiff shows the first lines where want and got differ.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	n := 0
	for i := 0; i < len(w) || i < len(g); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			fmt.Fprintf(&b, "line %d:\n- %s\n+ %s\n", i+1, wl, gl)
			if n++; n == 5 {
				break
			}
		}
	}
	return b.String()
}
