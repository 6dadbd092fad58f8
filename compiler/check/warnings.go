package check

import (
	"strings"

	"github.com/falconer-sec/falconer/compiler/syntax"
)

// This file is Falco's filter warning resolver: it runs on a rule's
// condition after macros are inlined, before the fields are checked.

const msgUnsafeNA = "comparing a field value with <NA> is unsafe and can lead to unpredictable behavior " +
	"of the rule condition. If you need to check for the existence of a field, consider using the " +
	"'exists' operator instead."

// warningResolver reports comparisons of plugin fields against the
// literal <NA> and uses of deprecated fields.
func (c *checker) warningResolver(e syntax.Expr) {
	for _, w := range resolveWarnings(e) {
		c.report(w)
	}
}

// resolveWarnings returns the warnings of the resolver for e, in tree
// order. Fields are not looked up: only their names matter.
func resolveWarnings(e syntax.Expr) []*syntax.Error {
	var out []*syntax.Error
	warn := func(pos syntax.Pos, code syntax.Code, msg string) {
		out = append(out, &syntax.Error{Pos: pos, Severity: syntax.SeverityWarning, Code: code, Msg: msg})
	}
	syntax.Inspect(e, func(n syntax.Node) bool {
		switch n := n.(type) {
		case *syntax.CheckExpr:
			if f, ok := n.Left.(*syntax.FieldRef); ok && isUnsafeNAField(f.Name) && isEqualityOp(n.Op) && comparesNA(n.Right) {
				warn(n.OpPos, syntax.CodeUnsafeNACheck, msgUnsafeNA)
			}
		case *syntax.FieldRef:
			for _, d := range deprecatedFields {
				if n.Name == d.name {
					warn(n.NamePos, syntax.CodeDeprecated, d.msg)
				}
			}
		}
		return true
	})
	return out
}

func isUnsafeNAField(name string) bool {
	return strings.HasPrefix(name, "ka.") || strings.HasPrefix(name, "jevt.")
}

func isEqualityOp(op string) bool {
	switch op {
	case "=", "==", "!=", "in", "intersects", "pmatch":
		return true
	}
	return false
}

func comparesNA(v syntax.Value) bool {
	switch v := v.(type) {
	case *syntax.StringLit:
		return v.Value == "<NA>"
	case *syntax.ListLit:
		for _, it := range v.Items {
			if it.Value == "<NA>" {
				return true
			}
		}
	}
	return false
}
