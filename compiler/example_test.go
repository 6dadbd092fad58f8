package compiler_test

import (
	"fmt"
	"testing/fstest"

	"github.com/falconer-sec/falconer/compiler"
	"github.com/falconer-sec/falconer/compiler/syntax"
)

// Load checks rule files as one rule set: here a list, a macro appended
// to, and a rule using both.
func ExampleLoad() {
	fsys := fstest.MapFS{
		"rules.yaml": {Data: []byte(`
- list: shell_binaries
  items: [bash, sh]

- macro: spawned_process
  condition: evt.type = execve

- macro: spawned_process
  condition: or evt.type = execveat
  override:
    condition: append

- rule: Shell spawned
  desc: A shell was started
  condition: spawned_process and proc.name in (shell_binaries)
  output: "Shell spawned (user=%user.name cmd=%proc.cmdline)"
  priority: warning
`)},
	}
	res, diags := compiler.Load(fsys, []string{"rules.yaml"}, compiler.Options{})
	if diags.HasErrors() {
		fmt.Println(diags.Err())
		return
	}
	r := res.Rule("Shell spawned")
	fmt.Println(r.Priority)
	fmt.Println(syntax.FormatCondition(r.Condition))
	fmt.Println(r.EventTypes.Names())
	for _, t := range r.OutputTokens {
		if t.IsField() {
			fmt.Println("field", t.Name)
		}
	}
	// Output:
	// Warning
	// ((evt.type = execve or evt.type = execveat) and proc.name in (bash, sh))
	// [execve execveat]
	// field user.name
	// field proc.cmdline
}

// Diagnostics carry the exact position of their cause, here inside a
// folded multi-line condition.
func ExampleLoad_diagnostics() {
	fsys := fstest.MapFS{
		"rules.yaml": {Data: []byte(`
- rule: Bad rule
  desc: A typo in a field name
  condition: >
    evt.type = open and
    proc.nmae = cat
  output: "file=%fd.name"
  priority: INFO
`)},
	}
	_, diags := compiler.Load(fsys, []string{"rules.yaml"}, compiler.Options{})
	for _, d := range diags {
		fmt.Println(d)
	}
	// Output:
	// rules.yaml:6:5: error: filter_check called with nonexistent field proc.nmae [unknown-field]
}
