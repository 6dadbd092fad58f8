package check

import (
	"strings"

	"github.com/falconer-sec/falconer/compiler/syntax"
)

// This file holds rule exceptions: their validation (Falco's
// validate_exception_info) and their rendering into condition text
// (build_rule_exception_infos), with every piece of generated text mapped
// back to the YAML value it came from.

// exceptionValue is one entry of an exception's values.
type exceptionValue = *syntax.ExceptionValue

// exceptionInfo is a collected exception.
type exceptionInfo struct {
	name string
	pos  syntax.Pos

	fieldsSet  bool
	fieldsPos  syntax.Pos
	fieldsList bool
	fields     []*syntax.Scalar

	compsSet  bool
	compsPos  syntax.Pos
	compsList bool
	comps     []comp

	values []exceptionValue
}

// comp is one comparison operator of an exception, trimmed.
type comp struct {
	op  string
	sc  *syntax.Scalar // nil for a default operator
	off int            // offset of op in sc.Value
	pos syntax.Pos
}

func (ex *exceptionInfo) fieldsEmpty() bool {
	if !ex.fieldsSet || len(ex.fields) == 0 {
		return true
	}
	return !ex.fieldsList && ex.fields[0].Value == ""
}

// readExceptions decodes the exceptions of a rule item. Fields are
// required unless the item appends.
func (col *collector) readExceptions(e *itemErrs, it *syntax.RuleItem, isAppend bool) []*exceptionInfo {
	var out []*exceptionInfo
	seen := map[string]bool{}
	for i := range it.Exceptions {
		src := &it.Exceptions[i]
		if !e.usable(&src.Name, true) {
			continue
		}
		ex := &exceptionInfo{name: src.Name.Value, pos: src.Pos}
		if seen[ex.name] {
			col.c.warnf(src.Name.Pos, syntax.CodeExceptionDuplicate,
				"Multiple definitions of exception '%s' in the same rule", ex.name)
		}
		seen[ex.name] = true
		if src.FieldsSet {
			ex.fieldsSet = true
			ex.fieldsPos, _ = src.Keys.Lookup("fields")
			ex.fieldsList = src.FieldsList
			for k := range src.Fields {
				ex.fields = append(ex.fields, &src.Fields[k])
			}
		} else if !isAppend {
			e.bad = true // the loader reported the missing key
			continue
		}
		if src.CompsSet {
			ex.compsSet = true
			ex.compsPos, _ = src.Keys.Lookup("comps")
			ex.compsList = src.CompsList
			for k := range src.Comps {
				sc := &src.Comps[k]
				v := sc.Value
				off := len(v) - len(strings.TrimLeft(v, " \t\n\r\f\v"))
				op := strings.TrimSpace(v)
				ex.comps = append(ex.comps, comp{op: op, sc: sc, off: off, pos: sc.PosAt(off)})
			}
		}
		if src.ValuesSet {
			for k := range src.Values {
				ex.values = append(ex.values, &src.Values[k])
			}
		} else if isAppend {
			col.c.warnf(src.Pos, syntax.CodeExceptionNoValues, "Overriding/appending exception with no values")
		}
		out = append(out, ex)
	}
	return out
}

// validateException checks an exception against the rule's source and
// fills in the default operators. Field names are only checked when the
// source is known.
func (col *collector) validateException(e *itemErrs, r *ruleInfo, ex *exceptionInfo) bool {
	ok := true
	fail := func(pos syntax.Pos, format string, args ...any) {
		e.errorf(pos, syntax.CodeException, format, args...)
		ok = false
	}
	// Fields are checked against the syscall catalog, the only one.
	checkFields := !r.unknownSource && r.source == "syscall"
	if ex.fieldsList {
		if !ex.compsSet {
			ex.compsList = true
			ex.comps = make([]comp, len(ex.fields))
			for i := range ex.comps {
				ex.comps[i] = comp{op: "=", pos: ex.pos}
			}
		}
		if len(ex.fields) != len(ex.comps) {
			fail(ex.compsPos, "Fields and comps lists must have equal length")
			return false
		}
		for _, c := range ex.comps {
			if !isExceptionOperator(c.op) {
				fail(c.pos, "'%s' is not a supported comparison operator", c.op)
				return false
			}
		}
		if checkFields {
			for _, f := range ex.fields {
				if !col.c.isFilterField(f.Value) {
					fail(f.Pos, "'%s' is not a supported filter field", f.Value)
					return false
				}
			}
		}
		return ok
	}
	if !ex.compsSet {
		ex.comps = []comp{{op: "in", pos: ex.pos}}
	}
	if ex.compsList {
		fail(ex.compsPos, "Fields and comps must both be strings")
		return false
	}
	if len(ex.comps) == 0 {
		fail(ex.compsPos, "Fields and comps must both be strings")
		return false
	}
	if op := ex.comps[0].op; op != "in" && op != "pmatch" && op != "intersects" && !isModifierOperator(op) {
		fail(ex.comps[0].pos, "When fields is a single value, comps must be one of (in, pmatch, intersects) or a modifier operator (e.g. startswith oneof)")
		return false
	}
	if checkFields && len(ex.fields) > 0 && !col.c.isFilterField(ex.fields[0].Value) {
		fail(ex.fields[0].Pos, "'%s' is not a supported filter field", ex.fields[0].Value)
		return false
	}
	return ok
}

// The operators a condition knows, and those a modifier may follow.
var (
	checkOperators = []string{"=", "==", "!=", "<=", ">=", "<", ">", "contains", "icontains",
		"bcontains", "glob", "iglob", "bstartswith", "startswith", "endswith", "in",
		"intersects", "pmatch", "exists", "regex"}
	modifierBaseOperators = []string{"=", "==", "!=", "contains", "icontains", "bcontains",
		"startswith", "bstartswith", "endswith", "glob", "iglob", "regex"}
	modifiers = []string{"oneof", "anyof", "allof"}
)

// isExceptionOperator reports whether op is a valid exception comparison:
// a check operator, or a string operator followed by a modifier.
func isExceptionOperator(op string) bool {
	return contains(checkOperators, op) || isModifierOperator(op)
}

// isModifierOperator reports whether op is "<strop> <modifier>" with
// exactly one blank between the two words.
func isModifierOperator(op string) bool {
	base, mod, ok := strings.Cut(op, " ")
	return ok && contains(modifierBaseOperators, base) && contains(modifiers, mod)
}

// isListOperator reports whether op takes a list on its right: in,
// intersects, pmatch, or any modifier operator.
func isListOperator(op string) bool {
	return op == "in" || op == "intersects" || op == "pmatch" || isModifierOperator(op)
}

// quoteItem quotes a list item or exception value the way Falco does: a
// value with a space that does not start with a quote is wrapped in
// double quotes; nothing is escaped.
func quoteItem(s string) string {
	if strings.IndexByte(s, ' ') >= 0 && !strings.HasPrefix(s, `"`) && !strings.HasPrefix(s, `'`) {
		return `"` + s + `"`
	}
	return s
}

// appendQuoted appends a value scalar quoted like quoteItem, mapping the
// value's own bytes into the scalar and added quotes to its position.
func appendQuoted(t *srcText, sc *syntax.Scalar) {
	if q := quoteItem(sc.Value); len(q) != len(sc.Value) {
		t.appendText(`"`, sc.Pos)
		t.appendScalar(sc)
		t.appendText(`"`, sc.PosAt(len(sc.Value)))
		return
	}
	t.appendScalar(sc)
}

// renderExceptions builds the condition text of a rule with exceptions:
// "(C)" followed by " and not (E)" for each exception that has values.
// It also returns the exception fields.
func (c *checker) renderExceptions(cond *srcText, condPos syntax.Pos, exs []*exceptionInfo) (*srcText, []string, bool) {
	out := &srcText{}
	out.appendText("(", condPos)
	out.appendSrc(cond)
	out.appendText(")", condPos)
	var fieldNames []string
	ok := true
	for _, ex := range exs {
		var e srcText
		if !ex.fieldsList {
			if len(ex.fields) == 0 || len(ex.comps) == 0 {
				continue
			}
			field, op := ex.fields[0], ex.comps[0]
			for _, v := range ex.values {
				if v.IsList {
					c.errorf(v.Pos, syntax.CodeException, "Expected values array to contain a list of strings")
					ok = false
					break
				}
				if e.text == "" {
					e.appendText("(", ex.pos)
					e.appendScalar(field)
					e.appendText(" ", ex.pos)
					appendComp(&e, op)
					e.appendText(" (", ex.pos)
				} else {
					e.appendText(", ", v.Pos)
				}
				fieldNames = append(fieldNames, field.Value)
				appendQuoted(&e, &v.Scalar)
			}
			if e.text != "" {
				e.appendText("))", ex.pos)
			}
		} else {
			e.appendText("(", ex.pos)
			first := true
			for _, v := range ex.values {
				n := 0
				if v.IsList {
					n = len(v.Tuple)
				}
				if n != len(ex.fields) {
					c.errorf(v.Pos, syntax.CodeException, "Fields and values lists must have equal length")
					ok = false
					break
				}
				if !first {
					e.appendText(" or ", v.Pos)
				}
				first = false
				e.appendText("(", v.Pos)
				for k, field := range ex.fields {
					if k > 0 {
						e.appendText(" and ", v.Pos)
					}
					elem := &v.Tuple[k]
					e.appendText(" ", v.Pos)
					e.appendScalar(field)
					e.appendText(" ", v.Pos)
					appendComp(&e, ex.comps[k])
					e.appendText(" ", elem.Pos)
					switch {
					case elem.IsList:
						e.appendText("(", elem.Pos)
						for j := range elem.List {
							if j > 0 {
								e.appendText(", ", elem.List[j].Pos)
							}
							appendQuoted(&e, &elem.List[j])
						}
						e.appendText(")", elem.Pos)
					case isListOperator(ex.comps[k].op):
						if strings.HasPrefix(elem.Scalar.Value, "(") {
							e.appendScalar(&elem.Scalar)
						} else {
							e.appendText("(", elem.Pos)
							e.appendScalar(&elem.Scalar)
							e.appendText(")", elem.Scalar.PosAt(len(elem.Scalar.Value)))
						}
					default:
						appendQuoted(&e, &elem.Scalar)
					}
					fieldNames = append(fieldNames, field.Value)
				}
				e.appendText(")", v.Pos)
			}
			e.appendText(")", ex.pos)
			if e.text == "()" {
				e = srcText{}
			}
		}
		if !ok {
			return nil, nil, false
		}
		if e.text != "" {
			out.appendText(" and not ", ex.pos)
			out.appendSrc(&e)
		}
	}
	return out, sortUnique(fieldNames), true
}

func appendComp(t *srcText, c comp) {
	if c.sc == nil {
		t.appendText(c.op, c.pos)
		return
	}
	t.appendScalarPart(c.sc, c.off, c.off+len(c.op))
}
