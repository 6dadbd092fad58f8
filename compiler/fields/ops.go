package fields

import (
	"errors"
	"strconv"
	"strings"
)

// Op is a comparison operator of the condition language.
type Op uint8

// The comparison operators. OpEq stands for both "=" and "==".
const (
	OpInvalid Op = iota
	OpEq
	OpNe
	OpLt
	OpLe
	OpGt
	OpGe
	OpContains
	OpIContains
	OpBContains
	OpStartsWith
	OpBStartsWith
	OpEndsWith
	OpGlob
	OpIGlob
	OpRegex
	OpIn
	OpIntersects
	OpPMatch
	OpExists

	numOps
)

var opNames = [numOps]string{
	OpInvalid:     "invalid",
	OpEq:          "=",
	OpNe:          "!=",
	OpLt:          "<",
	OpLe:          "<=",
	OpGt:          ">",
	OpGe:          ">=",
	OpContains:    "contains",
	OpIContains:   "icontains",
	OpBContains:   "bcontains",
	OpStartsWith:  "startswith",
	OpBStartsWith: "bstartswith",
	OpEndsWith:    "endswith",
	OpGlob:        "glob",
	OpIGlob:       "iglob",
	OpRegex:       "regex",
	OpIn:          "in",
	OpIntersects:  "intersects",
	OpPMatch:      "pmatch",
	OpExists:      "exists",
}

// String returns the operator as libsinsp prints it in errors ("=" for
// both spellings of equality).
func (o Op) String() string {
	if o < numOps {
		return opNames[o]
	}
	return "Op(" + strconv.Itoa(int(o)) + ")"
}

// TakesModifier reports whether the operator may be followed by oneof,
// anyof or allof: = == != contains icontains bcontains startswith
// bstartswith endswith glob iglob regex.
func (o Op) TakesModifier() bool {
	switch o {
	case OpEq, OpNe, OpContains, OpIContains, OpBContains, OpStartsWith,
		OpBStartsWith, OpEndsWith, OpGlob, OpIGlob, OpRegex:
		return true
	}
	return false
}

// Modifier is the list modifier of a string operator (libs 0.25).
type Modifier uint8

// Operator modifiers.
const (
	ModNone  Modifier = iota
	ModOneOf          // exactly one element matches
	ModAnyOf          // at least one element matches
	ModAllOf          // every element matches
)

// String returns "", "oneof", "anyof" or "allof".
func (m Modifier) String() string {
	switch m {
	case ModNone:
		return ""
	case ModOneOf:
		return "oneof"
	case ModAnyOf:
		return "anyof"
	case ModAllOf:
		return "allof"
	}
	return "Modifier(" + strconv.Itoa(int(m)) + ")"
}

// ParseOp parses an operator as written in a condition or an exception's
// comps, optionally followed by blanks and a modifier: "==", "startswith",
// "startswith oneof". Unknown operators and modifiers on operators that
// take none are rejected with "unrecognized filter comparison operator
// '<s>'".
func ParseOp(s string) (Op, Modifier, error) {
	base, mod, hasMod := strings.Cut(strings.TrimSpace(s), " ")
	op := parseBaseOp(base)
	m := ModNone
	if hasMod {
		switch strings.TrimSpace(mod) {
		case "oneof":
			m = ModOneOf
		case "anyof":
			m = ModAnyOf
		case "allof":
			m = ModAllOf
		default:
			op = OpInvalid
		}
	}
	if op == OpInvalid || (m != ModNone && !op.TakesModifier()) {
		return OpInvalid, ModNone, errors.New("unrecognized filter comparison operator '" + s + "'")
	}
	return op, m, nil
}

func parseBaseOp(s string) Op {
	if s == "==" {
		return OpEq
	}
	for o := OpEq; o < numOps; o++ {
		if opNames[o] == s {
			return o
		}
	}
	return OpInvalid
}

// CheckOperator reports whether the field's type accepts the operator op
// (a string as accepted by ParseOp), with Falco's error texts. For
// evt.rawarg, whose type depends on its argument, use CheckRefOperator.
func CheckOperator(f *Field, op string) error {
	return CheckTypeOperator(f.Type, f.List, op)
}

// CheckRefOperator is CheckOperator for a resolved reference: it checks
// against EffectiveType(f, a).
func CheckRefOperator(f *Field, a Arg, op string) error {
	return CheckTypeOperator(EffectiveType(f, a), f.List, op)
}

// CheckTypeOperator reports whether a value of type t (a list of such
// values when list is set) accepts the operator op, as written. Use it for
// the result type of a transformer, e.g. UINT64 for len().
func CheckTypeOperator(t Type, list bool, op string) error {
	o, _, err := ParseOp(op)
	if err != nil {
		return err
	}
	return CheckOp(t, list, o)
}

// CheckOp reports whether type t (a list of it when list is set) accepts
// operator o, following libsinsp's flt_is_comparable. A modifier does not
// change the answer: it applies to the base operator. The errors are:
//
//	'<op>' operator not supported for numeric filters
//	'<op>' operator not supported for string filters
//	'<op>' operator not supported for buffer filters
//	'<op>' operator not supported for ip address and network filters
//	'<op>' operator not supported list filters
//	list filters are not supported for type '<T>'
//	'<op>' operator not supported for type '<T>'
//
// BOOL fields use the numeric text, as libsinsp does.
func CheckOp(t Type, list bool, o Op) error {
	if o == OpInvalid || o >= numOps {
		return errors.New("unrecognized filter comparison operator '" + o.String() + "'")
	}
	if o == OpExists {
		return nil
	}
	if list {
		switch t {
		case TypeCharBuf, TypeUint64, TypeRelTime, TypeAbsTime, TypeBool, TypeIPAddr, TypeIPNet:
			if o == OpIn || o == OpIntersects {
				return nil
			}
			return opError(o, "list filters")
		}
		return errors.New("list filters are not supported for type '" + t.String() + "'")
	}
	switch {
	case t.Numeric():
		switch o {
		case OpEq, OpNe, OpLt, OpLe, OpGt, OpGe, OpIn, OpIntersects:
			return nil
		}
		return opError(o, "for numeric filters")
	case t == TypeBool:
		switch o {
		case OpEq, OpNe, OpIn, OpIntersects:
			return nil
		}
		return opError(o, "for numeric filters")
	case t.IsIP():
		switch o {
		case OpEq, OpNe, OpIn, OpIntersects:
			return nil
		}
		return opError(o, "for ip address and network filters")
	case t.IsString():
		switch o {
		case OpBContains, OpBStartsWith:
			return opError(o, "for string filters")
		}
		return nil
	case t == TypeByteBuf:
		switch o {
		case OpEq, OpNe, OpContains, OpIn, OpStartsWith, OpEndsWith, OpIntersects, OpBContains, OpBStartsWith:
			return nil
		}
		return opError(o, "for buffer filters")
	}
	return errors.New("'" + o.String() + "' operator not supported for type '" + t.String() + "'")
}

// opError builds "'<op>' operator not supported <what>". libsinsp writes
// "not supported list filters" without "for"; the text is kept as is.
func opError(o Op, what string) error {
	return errors.New("'" + o.String() + "' operator not supported " + what)
}
