package check

import (
	"errors"
	"strings"

	"github.com/falconer-sec/falconer/compiler/fields"
	"github.com/falconer-sec/falconer/compiler/syntax"
)

// This file checks a condition tree against the field catalog, like
// libsinsp's sinsp_filter_compiler: every field must exist with a valid
// argument, transformers must accept their input types, operators must
// suit the field type, right-hand fields must be comparable and constant
// values must parse. What it learns goes into Info.

// exprChecker checks one condition.
type exprChecker struct {
	c    *checker
	info *Info
	// syscall is set for rules of the syscall source, where evt.type
	// checks feed the event-type index.
	syscall bool

	errs  []*syntax.Error // one per failing check, in tree order
	first *syntax.Error
	warns []*syntax.Error
}

// checkError is an error found while checking an operand or value.
type checkError struct {
	pos  syntax.Pos
	code syntax.Code
	msg  string
}

func (e *checkError) Error() string { return e.msg }

func errAt(pos syntax.Pos, code syntax.Code, msg string) *checkError {
	return &checkError{pos: pos, code: code, msg: msg}
}

func (x *exprChecker) fail(e *checkError) {
	d := &syntax.Error{Pos: e.pos, Severity: syntax.SeverityError, Code: e.code, Msg: e.msg}
	x.errs = append(x.errs, d)
	if x.first == nil {
		x.first = d
	}
}

func (x *exprChecker) warn(pos syntax.Pos, code syntax.Code, msg string) {
	x.warns = append(x.warns, &syntax.Error{Pos: pos, Severity: syntax.SeverityWarning, Code: code, Msg: msg})
}

// expr checks every check of e. Checks are independent, so an error in
// one does not stop the others from being checked.
func (x *exprChecker) expr(e syntax.Expr) {
	switch e := e.(type) {
	case *syntax.LogicalExpr:
		for _, op := range e.Operands {
			x.expr(op)
		}
	case *syntax.NotExpr:
		x.expr(e.X)
	case *syntax.CheckExpr:
		if err := x.check(e); err != nil {
			x.fail(err)
		}
	case *syntax.MacroRef:
		x.fail(errAt(e.NamePos, syntax.CodeUndefinedMacro, "filter error: unexpected identifier '"+e.Name+"'"))
	}
}

// operandInfo describes a resolved operand.
type operandInfo struct {
	typ   ValueType
	field *fields.Field // the underlying field (nil for multi-value transformers)
	name  string        // the field name Falco uses in messages
	plain bool          // a field without transformers
	noRHS bool
}

// operand resolves a field or transformer operand.
func (x *exprChecker) operand(o syntax.Operand) (operandInfo, *checkError) {
	switch o := o.(type) {
	case *syntax.FieldRef:
		f, a, err := resolveField(o)
		if err != nil {
			return operandInfo{}, err
		}
		x.info.Fields[o] = FieldInfo{Field: f, Arg: a}
		return operandInfo{
			typ:   ValueType{Type: fields.EffectiveType(f, a), List: f.List},
			field: f,
			name:  f.Name,
			plain: true,
			noRHS: f.NoRHS,
		}, nil
	case *syntax.Transformer:
		return x.transformer(o)
	}
	return operandInfo{}, errAt(o.Pos(), syntax.CodeTransformer, "filter error: unexpected operand")
}

// resolveField looks a field reference up in the catalog.
func resolveField(o *syntax.FieldRef) (*fields.Field, fields.Arg, *checkError) {
	f, a, err := fields.ResolveRef(o.Name, o.HasArg, o.Arg)
	if err != nil {
		code := syntax.CodeFieldArgument
		if errors.Is(err, fields.ErrUnknownField) {
			code = syntax.CodeUnknownField
		}
		return nil, fields.Arg{}, errAt(o.NamePos, code, err.Error())
	}
	return f, a, nil
}

// singleTransformers are the transformers that take one field.
var singleTransformers = []string{"toupper", "tolower", "b64", "basename", "len"}

// transformer resolves a transformer application.
func (x *exprChecker) transformer(t *syntax.Transformer) (operandInfo, *checkError) {
	switch {
	case t.Name == "val":
		// val() is only valid on the right-hand side, where check()
		// unwraps it; anywhere else it is the identity.
		if len(t.Args) != 1 {
			return operandInfo{}, errAt(t.NamePos, syntax.CodeTransformer, "expected a field within 'val' transformer")
		}
		f, ok := t.Args[0].(*syntax.FieldRef)
		if !ok {
			return operandInfo{}, errAt(t.Args[0].Pos(), syntax.CodeTransformer, "expected a field within 'val' transformer")
		}
		return x.operand(f)
	case contains(singleTransformers, t.Name):
		return x.singleTransformer(t)
	case t.Name == "join" || t.Name == "concat" || t.Name == "getopt":
		return x.multiTransformer(t)
	}
	return operandInfo{}, errAt(t.NamePos, syntax.CodeTransformer, "unknown field transfomer '"+t.Name+"'")
}

func (x *exprChecker) singleTransformer(t *syntax.Transformer) (operandInfo, *checkError) {
	if len(t.Args) != 1 {
		return operandInfo{}, errAt(t.NamePos, syntax.CodeTransformer,
			"filter error: transformer '"+t.Name+"' requires exactly one field argument")
	}
	var in operandInfo
	switch a := t.Args[0].(type) {
	case *syntax.FieldRef, *syntax.Transformer:
		var err *checkError
		in, err = x.operand(a.(syntax.Operand))
		if err != nil {
			return operandInfo{}, err
		}
	default:
		return operandInfo{}, errAt(t.Args[0].Pos(), syntax.CodeTransformer,
			"filter error: transformer '"+t.Name+"' requires a field argument")
	}
	if t.HasArg {
		return operandInfo{}, errAt(t.ArgPos, syntax.CodeTransformer,
			"filter error: transformer '"+t.Name+"' does not support field arguments")
	}
	if in.field != nil && in.field.NoTransformer {
		return operandInfo{}, errAt(t.NamePos, syntax.CodeTransformer,
			"field '"+in.field.Name+"' does not support transformers")
	}
	out, ok := transformType(t.Name, in.typ)
	if !ok {
		return operandInfo{}, errAt(t.NamePos, syntax.CodeTransformer,
			"can't add field transformer: type '"+in.typ.Type.String()+"' is not supported by '"+t.Name+"' transformer")
	}
	x.info.Transformers[t] = &TransformerInfo{Args: []ValueType{in.typ}, Result: out}
	in.typ = out
	in.plain = false
	return in, nil
}

// transformType returns the result type of a single-field transformer.
func transformType(name string, in ValueType) (ValueType, bool) {
	t := in.Type
	switch name {
	case "toupper", "tolower", "basename":
		if t.IsString() {
			return in, true
		}
	case "b64":
		if t == fields.TypeCharBuf || t == fields.TypeByteBuf {
			return in, true
		}
	case "len":
		if in.List {
			return ValueType{Type: fields.TypeUint64}, true
		}
		if t.IsString() || t == fields.TypeByteBuf {
			return ValueType{Type: fields.TypeUint64}, true
		}
	}
	return ValueType{}, false
}

// multiTransformer checks join, concat and getopt.
func (x *exprChecker) multiTransformer(t *syntax.Transformer) (operandInfo, *checkError) {
	var args []ValueType
	for _, a := range t.Args {
		vt, err := x.transformerArg(a)
		if err != nil {
			return operandInfo{}, err
		}
		args = append(args, vt)
	}
	fail := func(msg string) (operandInfo, *checkError) {
		return operandInfo{}, errAt(t.NamePos, syntax.CodeTransformer, msg)
	}
	result := ValueType{Type: fields.TypeCharBuf}
	switch t.Name {
	case "join":
		if len(args) != 2 {
			return fail("join() requires exactly 2 arguments: separator and list")
		}
		if args[0].List {
			return fail("join() first argument (separator) must be a single value, not a list")
		}
		if !args[1].List {
			return fail("join() second argument must be a list")
		}
	case "concat":
		if len(args) < 2 {
			return fail("concat() requires at least 2 arguments")
		}
		for _, a := range args {
			if a.Type != fields.TypeCharBuf || a.List {
				return fail("concat() arguments must be strings")
			}
		}
	case "getopt":
		if len(args) != 2 {
			return fail("getopt() requires exactly 2 arguments: args list and optstring")
		}
		if !args[0].List {
			return fail("getopt() first argument must be a list")
		}
		if args[1].List {
			return fail("getopt() second argument (optstring) must be a single value")
		}
		if args[0].Type != fields.TypeCharBuf || args[1].Type != fields.TypeCharBuf {
			return fail("getopt() arguments must be strings")
		}
		result.List = true
		if t.HasArg {
			if len(t.Arg) != 1 {
				return operandInfo{}, errAt(t.ArgPos, syntax.CodeTransformer,
					"getopt() field argument must be a single option character")
			}
			result.List = false
		}
	}
	if t.HasArg && t.Name != "getopt" {
		return operandInfo{}, errAt(t.ArgPos, syntax.CodeTransformer,
			"transformer '"+t.Name+"' does not support field arguments")
	}
	x.info.Transformers[t] = &TransformerInfo{Args: args, Result: result}
	return operandInfo{typ: result, name: t.Name}, nil
}

// transformerArg resolves an argument of a multi-value transformer: a
// field, a transformer, a string or number literal (a CHARBUF constant),
// or a parenthesised list of those (a CHARBUF list).
func (x *exprChecker) transformerArg(a syntax.Operand) (ValueType, *checkError) {
	switch a := a.(type) {
	case *syntax.FieldRef, *syntax.Transformer:
		in, err := x.operand(a)
		return in.typ, err
	case *syntax.StringLit:
		return ValueType{Type: fields.TypeCharBuf}, nil
	case *syntax.ArgList:
		for _, it := range a.Items {
			if _, err := x.transformerArg(it); err != nil {
				return ValueType{}, err
			}
		}
		return ValueType{Type: fields.TypeCharBuf, List: true}, nil
	}
	return ValueType{}, errAt(a.Pos(), syntax.CodeTransformer, "filter error: unexpected transformer argument")
}

// check checks one field check and records its CheckInfo.
func (x *exprChecker) check(ce *syntax.CheckExpr) *checkError {
	left, err := x.operand(ce.Left)
	if err != nil {
		return err
	}
	ci := &CheckInfo{Left: left.typ}
	x.info.Checks[ce] = ci

	op, _, perr := fields.ParseOp(ce.Op)
	if perr != nil {
		return errAt(ce.OpPos, syntax.CodeOperatorType, perr.Error())
	}
	if err := fields.CheckOp(left.typ.Type, left.typ.List, op); err != nil {
		return errAt(ce.OpPos, syntax.CodeOperatorType, "filter error: "+err.Error())
	}
	if ce.Right == nil {
		return nil
	}

	if t, ok := ce.Right.(*syntax.Transformer); ok {
		return x.rightField(ce, op, left, t, ci)
	}

	var vals []*syntax.StringLit
	switch r := ce.Right.(type) {
	case *syntax.StringLit:
		vals = []*syntax.StringLit{r}
	case *syntax.ListLit:
		vals = r.Items
	case *syntax.ListRef:
		// A list name that is not defined stays a literal string.
		vals = []*syntax.StringLit{{ValuePos: r.NamePos, Value: r.Name, Raw: r.Name}}
	case *syntax.FieldRef:
		return x.rightField(ce, op, left, &syntax.Transformer{NamePos: r.NamePos, Name: "val", Args: []syntax.Operand{r}}, ci)
	}
	isEvtType := left.plain && (left.field.ID == fields.EvtType || left.field.ID == fields.SyscallType)
	ci.Values = make([]Value, 0, len(vals))
	for _, v := range vals {
		x.valueWarnings(op, v)
		val, err := parseValue(op, left.typ, v)
		if err != nil {
			return err
		}
		if isEvtType {
			codes, ok := fields.EventTypeCodes(v.Value)
			if !ok {
				return errAt(v.ValuePos, syntax.CodeUnknownEvtType, "unknown event type "+v.Value)
			}
			val.EventCodes = codes
		}
		ci.Values = append(ci.Values, val)
	}
	return nil
}

// rightField checks a comparison with a right-hand field (val() or a
// transformer), as libsinsp's add_filter_value does.
func (x *exprChecker) rightField(ce *syntax.CheckExpr, op fields.Op, left operandInfo, t *syntax.Transformer, ci *CheckInfo) *checkError {
	right, err := x.transformer(t)
	if err != nil {
		return err
	}
	pos := t.NamePos
	if op == fields.OpPMatch || op == fields.OpRegex {
		return errAt(ce.OpPos, syntax.CodeFieldComparison, "operator '"+op.String()+"' doesn't support right-hand side fields")
	}
	if left.typ.Type.IsNet() {
		return errAt(ce.OpPos, syntax.CodeFieldComparison, "field type 'IPNET' doesn't support right-hand side fields")
	}
	if left.noRHS {
		return errAt(ce.Left.Pos(), syntax.CodeFieldComparison, "field '"+left.name+"' doesn't support right-hand side fields")
	}
	if right.noRHS {
		return errAt(pos, syntax.CodeFieldComparison, "field '"+right.name+"' can't be used as a right-hand side field")
	}
	if left.typ != right.typ {
		return errAt(pos, syntax.CodeFieldComparison, "field '"+left.name+"' has type '"+typeText(left.typ)+
			"' while the right-hand side field '"+right.name+"' has incompatible type '"+typeText(right.typ)+"'")
	}
	if x.syscall && left.plain && (left.field.ID == fields.EvtType || left.field.ID == fields.SyscallType) &&
		isEvtTypeOp(ce) {
		return errAt(pos, syntax.CodeEvtTypeSearch,
			"right-hand field comparisons on evt.type/syscall.type checks are not supported by event code search")
	}
	ci.Right = right.typ
	ci.RightIsField = true
	return nil
}

func typeText(t ValueType) string {
	if t.List {
		return t.Type.String() + " (list)"
	}
	return t.Type.String()
}

// valueWarnings emits libsinsp's compile warnings for a constant value: a
// regex that simpler operators could replace, and a value that looks like
// a field or a transformer written without val().
func (x *exprChecker) valueWarnings(op fields.Op, v *syntax.StringLit) {
	s := v.Value
	if op == fields.OpRegex && regexIsSimple(s) {
		x.warn(v.ValuePos, syntax.CodeConditionLint, "regex check with '"+s+
			"' may be optimized with simpler operators such as '=', 'contains', 'startswith', 'endswith'")
	}
	nospaces := removeSpaces(s)
	if looksLikeField(nospaces) {
		x.warn(v.ValuePos, syntax.CodeConditionLint, "'"+s+"' may be a valid field misused as a const string value")
	}
	for _, t := range valueTransformers {
		if len(nospaces) >= len(t)+2 && strings.HasPrefix(nospaces, t) && nospaces[len(t)] == '(' &&
			nospaces[len(nospaces)-1] == ')' {
			x.warn(v.ValuePos, syntax.CodeConditionLint, "'"+s+"' may be a valid field transformer misused as a const string value")
		}
	}
}

// valueTransformers are the names libsinsp lists as transformers,
// including the identity val().
var valueTransformers = []string{"val", "tolower", "toupper", "b64", "basename", "len", "join", "concat", "getopt"}

// removeSpaces drops the bytes C's isspace accepts.
func removeSpaces(s string) string {
	if !strings.ContainsAny(s, " \t\n\v\f\r") {
		return s
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case ' ', '\t', '\n', '\v', '\f', '\r':
		default:
			b = append(b, c)
		}
	}
	return string(b)
}

// looksLikeField reports whether s, as a whole, is a valid field
// reference (libsinsp builds a filter check from it).
func looksLikeField(s string) bool {
	if s == "" || !isLetter(s[0]) || strings.IndexByte(s, '.') < 0 {
		return false
	}
	_, _, err := fields.ResolveRef(s, false, "")
	return err == nil
}

// regexIsSimple reports whether a regex uses no special characters other
// than a leading '^', a trailing '$' and a leading or trailing '.*', '.+'
// or '.?' (libsinsp's check_warnings_regex_value).
func regexIsSimple(v string) bool {
	const special = ".+*?^$()[]{}|\\"
	n := len(v)
	for i := 0; i < n; i++ {
		if (i == 0 && v[i] == '^') || (i == n-1 && v[i] == '$') {
			continue
		}
		if ((i == 0 && n > 1) || i == n-2) && v[i] == '.' && i+1 < n && strings.IndexByte("+*?", v[i+1]) >= 0 {
			i++
			continue
		}
		if strings.IndexByte(special, v[i]) >= 0 {
			return false
		}
	}
	return true
}

// isEvtTypeOp reports whether a check's operator feeds the event-type
// index: =, ==, != and in, without a modifier.
func isEvtTypeOp(ce *syntax.CheckExpr) bool {
	if ce.Modifier != "" {
		return false
	}
	switch ce.Op {
	case "=", "==", "!=", "in":
		return true
	}
	return false
}

// isFilterField reports whether s is a valid left-hand side for the
// syscall source: a field or a transformer applied to fields, as an
// exception's fields entry must be.
func (c *checker) isFilterField(s string) bool {
	op, err := parseOperand(s, nil)
	if err != nil {
		return false
	}
	x := exprChecker{c: c, info: newInfo()}
	_, cerr := x.operand(op)
	return cerr == nil
}

// parseOperand parses s as a single field or transformer. m, when not
// nil, maps offsets of s to file positions.
func parseOperand(s string, m func(int) syntax.Pos) (syntax.Operand, error) {
	var mp func(int) syntax.Pos
	if m != nil {
		n := len(s)
		mp = func(off int) syntax.Pos {
			if off >= n {
				off = max(n-1, 0)
			}
			return m(off)
		}
	}
	e, err := syntax.ParseCondition(s+" exists", syntax.ConditionOptions{Map: mp})
	if err != nil {
		return nil, err
	}
	ce, ok := e.(*syntax.CheckExpr)
	if !ok || ce.Op != "exists" || ce.Right != nil {
		return nil, errors.New("not a field")
	}
	return ce.Left, nil
}
