package check

import (
	"github.com/falconer-sec/falconer/compiler/fields"
	"github.com/falconer-sec/falconer/compiler/syntax"
)

// This file computes the set of event codes a rule's condition can match
// (libsinsp's ppm_event_codes, Falco master): "and" intersects, "or"
// unites, negations are pushed down to the leaves, evt.type and
// syscall.type checks give their events, and every other check is
// neutral. evt.num checks that can never (or always) hold because evt.num
// starts at 1 give the empty (or full) set.

// eventTypes returns the event codes the condition e can match.
func eventTypes(e syntax.Expr, info *Info) fields.EventSet {
	return evtCodes(e, false, info)
}

func evtCodes(e syntax.Expr, neg bool, info *Info) fields.EventSet {
	switch x := e.(type) {
	case *syntax.LogicalExpr:
		and := x.Op == syntax.And
		if neg {
			and = !and
		}
		var s fields.EventSet
		if and {
			s = fields.AllEvents()
			for _, o := range x.Operands {
				s = s.And(evtCodes(o, neg, info))
			}
		} else {
			for _, o := range x.Operands {
				s = s.Or(evtCodes(o, neg, info))
			}
		}
		return s
	case *syntax.NotExpr:
		return evtCodes(x.X, !neg, info)
	case *syntax.CheckExpr:
		return leafCodes(x, neg, info)
	}
	return fields.AllEvents()
}

func leafCodes(ce *syntax.CheckExpr, neg bool, info *Info) fields.EventSet {
	f, ok := ce.Left.(*syntax.FieldRef)
	if !ok || f.HasArg {
		return fields.AllEvents()
	}
	switch f.Name {
	case "evt.type", "syscall.type":
		if !isEvtTypeOp(ce) {
			return fields.AllEvents()
		}
		var names []string
		switch r := ce.Right.(type) {
		case *syntax.StringLit:
			names = []string{r.Value}
		case *syntax.ListLit:
			for _, it := range r.Items {
				names = append(names, it.Value)
			}
		case *syntax.ListRef:
			names = []string{r.Name}
		default:
			return fields.AllEvents()
		}
		var s fields.EventSet
		for _, n := range names {
			if set, ok := fields.EventTypeSet(n); ok {
				s = s.Or(set)
			}
		}
		if neg {
			s = s.Not()
		}
		if ce.Op == "!=" {
			s = s.Not()
		}
		return s
	case "evt.num":
		ci := info.Checks[ce]
		if ci == nil {
			return fields.AllEvents()
		}
		truth, known := evtNumTruth(ce, ci)
		if !known {
			return fields.AllEvents()
		}
		if neg {
			truth = !truth
		}
		if truth {
			return fields.AllEvents()
		}
		return fields.EventSet{}
	}
	return fields.AllEvents()
}

// evtNumTruth evaluates an evt.num check knowing only that evt.num is at
// least 1: it reports the check's value when that alone decides it.
func evtNumTruth(ce *syntax.CheckExpr, ci *CheckInfo) (truth, known bool) {
	if ci.RightIsField || ce.Modifier != "" {
		return false, false
	}
	vals := ci.Values
	switch ce.Op {
	case "in":
		for _, v := range vals {
			if v.Uint >= 1 {
				return false, false
			}
		}
		return false, true // no value can be matched
	case "=", "==":
		if len(vals) == 1 && vals[0].Uint < 1 {
			return false, true
		}
	case "!=":
		if len(vals) == 1 && vals[0].Uint < 1 {
			return true, true
		}
	case "<":
		if len(vals) == 1 && vals[0].Uint <= 1 {
			return false, true
		}
	case "<=":
		if len(vals) == 1 && vals[0].Uint < 1 {
			return false, true
		}
	case ">":
		if len(vals) == 1 && vals[0].Uint < 1 {
			return true, true
		}
	case ">=":
		if len(vals) == 1 && vals[0].Uint <= 1 {
			return true, true
		}
	}
	return false, false
}
