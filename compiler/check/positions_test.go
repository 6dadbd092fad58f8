package check

import (
	"strings"
	"testing"

	"github.com/falconer-sec/falconer/compiler/syntax"
)

// checkSource loads one in-memory rule file and checks it.
func checkSource(t *testing.T, src string) (*Result, syntax.ErrorList) {
	t.Helper()
	f, diags := syntax.LoadFile("rules.yaml", []byte(src))
	res, cdiags := Check([]*syntax.File{f}, Config{})
	diags = append(diags, cdiags...)
	diags.Sort()
	return res, diags
}

// TestPositions checks that diagnostics point at the exact byte of their
// cause, through folded and literal block scalars, quoted scalars,
// appended conditions, list substitution, exceptions and macros.
func TestPositions(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want string // file:line:col of the first error
		msg  string // a fragment of its message
	}{
		{
			name: "folded condition",
			src: `- rule: r
  desc: d
  condition: >
    evt.type = open and
      proc.name = cat and
    proc.nobody = x
  output: o
  priority: INFO
`,
			want: "rules.yaml:6:5",
			msg:  "nonexistent field proc.nobody",
		},
		{
			name: "literal condition, syntax error",
			src: `- rule: r
  desc: d
  condition: |
    evt.type = open
    and proc.name === cat
  output: o
  priority: INFO
`,
			want: "rules.yaml:5:21",
			msg:  "expected a string value",
		},
		{
			name: "double-quoted condition with escapes",
			src: `- rule: r
  desc: d
  condition: "evt.type = open and proc.name = \"x\" and evt.num < abc"
  output: o
  priority: INFO
`,
			want: "rules.yaml:3:67",
			msg:  "expected a number value",
		},
		{
			name: "error inside a macro used by a rule",
			src: `- macro: m
  condition: >
    evt.type = open and
    fd.nope = x

- rule: r
  desc: d
  condition: m and proc.name = cat
  output: o
  priority: INFO
`,
			want: "rules.yaml:4:5",
			msg:  "nonexistent field fd.nope",
		},
		{
			name: "error in an appended condition",
			src: `- rule: r
  desc: d
  condition: evt.type = open
  output: o
  priority: INFO

- rule: r
  condition: and proc.pid = abc
  override:
    condition: append
`,
			want: "rules.yaml:8:29",
			msg:  "abc is not a valid number",
		},
		{
			name: "error after list substitution",
			src: `- list: shells
  items: [bash, "ba sh", zsh]

- rule: r
  desc: d
  condition: evt.type = open and proc.name in (shells) and proc.pid = x
  output: o
  priority: INFO
`,
			want: "rules.yaml:6:71",
			msg:  "x is not a valid number",
		},
		{
			name: "bad value from a list points at the list use",
			src: `- list: types
  items: [open, nosuchevent]

- rule: r
  desc: d
  condition: evt.type in (types)
  output: o
  priority: INFO
`,
			want: "rules.yaml:6:27",
			msg:  "unknown event type nosuchevent",
		},
		{
			name: "error in an exception value",
			src: `- rule: r
  desc: d
  condition: evt.type = open
  output: o
  priority: INFO
  exceptions:
    - name: e
      fields: [proc.name, proc.pid]
      values:
        - [cat, "12x"]
`,
			want: "rules.yaml:10:18",
			msg:  "12x is not a valid number",
		},
		{
			name: "error in an exception field",
			src: `- rule: r
  desc: d
  condition: evt.type = open
  output: o
  priority: INFO
  exceptions:
    - name: e
      fields: [proc.name, proc.nope]
      values:
        - [cat, x]
`,
			want: "rules.yaml:8:27",
			msg:  "'proc.nope' is not a supported filter field",
		},
		{
			name: "output token",
			src: `- rule: r
  desc: d
  condition: evt.type = open
  output: >
    file=%fd.name
    user=%nope.nope
  priority: INFO
`,
			want: "rules.yaml:6:10",
			msg:  "unknown filter",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, diags := checkSource(t, tt.src)
			errs := diags.Errors()
			if len(errs) == 0 {
				t.Fatalf("no error, want one at %s", tt.want)
			}
			if got := errs[0].Pos.String(); got != tt.want || !strings.Contains(errs[0].Msg, tt.msg) {
				t.Fatalf("first error = %s, want %s: ...%s...\nall:\n%s", errs[0], tt.want, tt.msg, diags)
			}
		})
	}
}

// TestMacroPositionsInRule checks that the nodes a rule inlines from a
// macro keep the macro's positions, and the rule's own nodes its own.
func TestMacroPositionsInRule(t *testing.T) {
	src := `- macro: m
  condition: fd.name startswith /etc

- rule: r
  desc: d
  condition: evt.type = open and m
  output: o
  priority: INFO
`
	res, diags := checkSource(t, src)
	if diags.HasErrors() {
		t.Fatal(diags.Err())
	}
	var got []string
	syntax.Inspect(res.Rule("r").Condition, func(n syntax.Node) bool {
		if f, ok := n.(*syntax.FieldRef); ok {
			got = append(got, f.Name+"@"+f.NamePos.String())
		}
		return true
	})
	want := "evt.type@rules.yaml:6:14 fd.name@rules.yaml:2:14"
	if strings.Join(got, " ") != want {
		t.Fatalf("field positions = %q, want %q", strings.Join(got, " "), want)
	}
	// The macro's own tree is not shared with the rule.
	var inMacro *syntax.FieldRef
	syntax.Inspect(res.Macro("m").Expr, func(n syntax.Node) bool {
		if f, ok := n.(*syntax.FieldRef); ok {
			inMacro = f
		}
		return true
	})
	if _, ok := res.Rule("r").Info.Fields[inMacro]; ok {
		t.Fatalf("rule r shares the macro's nodes")
	}
}
