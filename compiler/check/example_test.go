package check_test

import (
	"fmt"

	"github.com/falconer-sec/falconer/compiler/check"
	"github.com/falconer-sec/falconer/compiler/syntax"
)

// CheckCondition checks one condition against the field catalog and
// records what it resolved.
func ExampleCheckCondition() {
	tree, info, diags := check.CheckCondition(`evt.type in (open, openat) and fd.sport = ssh and proc.name = proc.pname`, check.Config{})
	for _, d := range diags {
		fmt.Println(d)
	}
	syntax.Inspect(tree, func(n syntax.Node) bool {
		if c, ok := n.(*syntax.CheckExpr); ok {
			ci := info.Checks[c]
			fmt.Println(ci.Left.Type, c.Op, len(ci.Values), "value(s)")
		}
		return true
	})
	// Output:
	// 1:63: warning: 'proc.pname' may be a valid field misused as a const string value [condition-lint]
	// CHARBUF in 2 value(s)
	// PORT = 1 value(s)
	// CHARBUF = 1 value(s)
}

// Check reports errors with the exact position of their cause.
func ExampleCheck() {
	src := []byte(`
- rule: Write below etc
  desc: a file below /etc is opened for writing
  condition: evt.type = open and evt.is_open_write = yes and fd.name startswith /etc
  output: "%proc.name wrote %fd.name"
  priority: ERROR
`)
	f, diags := syntax.LoadFile("rules.yaml", src)
	res, cdiags := check.Check([]*syntax.File{f}, check.Config{})
	for _, d := range append(diags, cdiags...) {
		fmt.Println(d)
	}
	fmt.Printf("%q skipped: %s\n", res.Rules[0].Name, res.Rules[0].Skipped)
	// Output:
	// rules.yaml:4:54: error: filter error: unrecognized boolean value yes [filter-value]
	// "Write below etc" skipped: filter error: unrecognized boolean value yes
}
