package eval

import (
	"slices"

	"github.com/falconer-sec/falconer/compiler/fields"
	"github.com/falconer-sec/falconer/compiler/ir"
)

// foldEventType specialises a condition for events of one code: every
// evt.type check becomes a constant, and and/or/not nodes with constant
// operands are simplified. It returns the simplified tree, or known=true
// with the constant value when the whole condition is decided by the event
// type alone.
//
// Rules are indexed by event code, and most of them start with an
// evt.type check (often inside macros, or per branch of an or), so the
// specialised trees skip work every event would otherwise repeat.
func foldEventType(e *ir.Expr, name string) (out *ir.Expr, known, value bool) {
	switch e.Kind {
	case ir.KindCheck:
		c := e.Check
		if c.Left.Field != "evt.type" || c.Left.Transformer != "" || c.Right != nil || c.Modifier != "" {
			return e, false, false
		}
		switch c.Op {
		case "=", "==", "in":
			return nil, true, slices.Contains(c.Values, name)
		case "!=":
			return nil, true, !slices.Contains(c.Values, name)
		}
		return e, false, false
	case ir.KindNot:
		x, k, v := foldEventType(e.Args[0], name)
		if k {
			return nil, true, !v
		}
		if x == e.Args[0] {
			return e, false, false
		}
		return &ir.Expr{Kind: ir.KindNot, Args: []*ir.Expr{x}}, false, false
	case ir.KindAnd, ir.KindOr:
		// For and, a false operand decides; for or, a true one.
		decides := e.Kind == ir.KindOr
		var kept []*ir.Expr
		changed := false
		for _, a := range e.Args {
			x, k, v := foldEventType(a, name)
			if k {
				if v == decides {
					return nil, true, decides
				}
				changed = true
				continue // a neutral constant drops out
			}
			if x != a {
				changed = true
			}
			kept = append(kept, x)
		}
		switch {
		case len(kept) == 0:
			return nil, true, !decides
		case len(kept) == 1:
			return kept[0], false, false
		case !changed:
			return e, false, false
		}
		return &ir.Expr{Kind: e.Kind, Args: kept}, false, false
	}
	return e, false, false
}

// specialised returns the predicate of a rule for events of one code.
func (c *compiler) specialised(cond *ir.Expr, code uint16, generic pred) (p pred, never bool, err error) {
	name := fields.EventName(fields.EventCode(code))
	if name == "" || name == "syscall" || name == "NA" {
		// A generic event stands for many syscalls: keep the general
		// predicate, which compares names.
		return generic, false, nil
	}
	x, known, v := foldEventType(cond, name)
	if known {
		if !v {
			return nil, true, nil
		}
		return func(*Event) bool { return true }, false, nil
	}
	if x == cond {
		return generic, false, nil
	}
	p, err = c.expr(x)
	return p, false, err
}
