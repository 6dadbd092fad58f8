package syntax

import (
	"strconv"
)

// This file holds the condition parser: a recursive descent parser with
// the structure of libsinsp's filter parser (userspace/libsinsp/filter/
// parser.cpp), so that it accepts exactly the same language, builds the
// same tree, and fails with the same messages. Where libsinsp's behaviour
// is surprising (a keyword needs a blank or "(" after it, "exists" does
// not, a word operator without a trailing blank), the code says so.

// DefaultMaxDepth is Falco's depth cap for rule conditions.
const DefaultMaxDepth = 1000

// ConditionOptions configures ParseCondition. The zero value is ready to use.
type ConditionOptions struct {
	// MaxDepth caps the parser's recursion depth; 0 means DefaultMaxDepth.
	// Each level of parentheses costs five levels, as in libsinsp.
	MaxDepth int

	// Map maps a byte offset of the condition text to a file position.
	// When nil, offset off maps to Line 1, Col off+1, Offset off.
	Map func(off int) Pos
}

// ParseCondition parses a Falco filter condition. On failure it returns a
// nil Expr and a *Error (Severity error, Code CodeConditionSyntax) whose
// Pos is the exact place of the problem and whose Msg is libsinsp's
// message text.
//
// Parsing checks grammar only: a bare identifier in check position is a
// macro reference, one after a list operator is a list reference, and
// field names are not looked up.
func ParseCondition(src string, opts ConditionOptions) (Expr, error) {
	p := condParser{
		condScanner: condScanner{src: src},
		mapPos:      opts.Map,
		maxDepth:    opts.MaxDepth,
	}
	if p.maxDepth <= 0 {
		p.maxDepth = DefaultMaxDepth
	}
	x := p.parse()
	if p.err != nil {
		return nil, p.err
	}
	return x, nil
}

// parser is the state of one ParseCondition call. Parsing functions
// return nil once p.err is set, and every caller checks p.err after each
// call, so the first error ends the parse.
type condParser struct {
	condScanner
	mapPos   func(off int) Pos
	depth    int
	maxDepth int
	err      *Error
	// escape is set when err is a bad escape sequence: list parsing,
	// which otherwise takes a failed first element for an empty list,
	// must not swallow it.
	escape bool
}

// Messages shared by several grammar positions. The transformer lists
// follow libsinsp's supported_field_transformers(true).
const (
	msgTransformers   = "'val', 'tolower', 'toupper', 'b64', 'basename', 'len', 'join', 'concat', 'getopt'"
	msgExpectedParen  = "expected a ')' token"
	msgCloseTransform = "expected a ')' token closing the transformer"
	msgOperators      = "expected a valid check operator: one of 'exists', '<=', '<', '>=', '>', '==', '=', '!=', " +
		"'glob', 'iglob', 'contains', 'icontains', 'bcontains', 'startswith', 'bstartswith', 'endswith', 'regex', " +
		"'intersects', 'in', 'pmatch'"
)

func (p *condParser) pos(off int) Pos {
	if p.mapPos != nil {
		return p.mapPos(off)
	}
	return Pos{Line: 1, Col: off + 1, Offset: off}
}

// failAt records the first error, at byte offset off.
func (p *condParser) failAt(off int, msg string) {
	if p.err == nil {
		p.err = &Error{Pos: p.pos(off), Severity: SeverityError, Code: CodeConditionSyntax, Msg: msg}
	}
}

// fail records the first error, at the cursor.
func (p *condParser) fail(msg string) { p.failAt(p.off, msg) }

// enter counts one level of recursion and fails at the depth cap; every
// successful enter is paired with a leave.
func (p *condParser) enter() bool {
	if p.depth+1 >= p.maxDepth {
		p.fail("exceeded max depth limit of " + strconv.Itoa(p.maxDepth))
		return false
	}
	p.depth++
	return true
}

func (p *condParser) leave() { p.depth-- }

func (p *condParser) parse() Expr {
	if len(p.src) == 0 {
		p.fail("filter input string is empty")
		return nil
	}
	x := p.parseOr()
	if p.err != nil {
		return nil
	}
	if p.off != len(p.src) {
		p.fail("unexpected token after '" + p.last + "', expecting 'or', 'and'")
		return nil
	}
	return x
}

// parseOr parses  AndExpr { "or" (BLANK AndExpr | "(" Expr ")") }.
func (p *condParser) parseOr() Expr {
	if !p.enter() {
		return nil
	}
	defer p.leave()
	p.blank()
	first := p.parseAnd()
	if p.err != nil {
		return nil
	}
	p.blank()
	var ops []Expr
	for p.lit("or") {
		var x Expr
		switch {
		case p.blank():
			x = p.parseAnd()
		case p.lit("("):
			x = p.parseEmbedded()
		default:
			p.fail("expected blank or '(' after 'or'")
		}
		if p.err != nil {
			return nil
		}
		if ops == nil {
			ops = make([]Expr, 1, 4)
			ops[0] = first
		}
		ops = append(ops, x)
		p.blank()
	}
	if ops == nil {
		return first
	}
	return &LogicalExpr{OpPos: first.Pos(), Op: Or, Operands: ops}
}

// parseAnd parses  NotExpr { "and" (BLANK NotExpr | "(" Expr ")") }.
func (p *condParser) parseAnd() Expr {
	if !p.enter() {
		return nil
	}
	defer p.leave()
	p.blank()
	first := p.parseNot()
	if p.err != nil {
		return nil
	}
	p.blank()
	var ops []Expr
	for p.lit("and") {
		var x Expr
		switch {
		case p.blank():
			x = p.parseNot()
		case p.lit("("):
			x = p.parseEmbedded()
		default:
			p.fail("expected blank or '(' after 'and'")
		}
		if p.err != nil {
			return nil
		}
		if ops == nil {
			ops = make([]Expr, 1, 4)
			ops[0] = first
		}
		ops = append(ops, x)
		p.blank()
	}
	if ops == nil {
		return first
	}
	return &LogicalExpr{OpPos: first.Pos(), Op: And, Operands: ops}
}

// parseNot parses  { "not" SPACE+ } ( "not(" Expr ")" | Check ).
// Consecutive negations cancel in pairs, as in libsinsp: "not not a" is a.
func (p *condParser) parseNot() Expr {
	if !p.enter() {
		return nil
	}
	defer p.leave()
	p.blank()
	n, notOff := 0, p.off
	for p.notBlank() {
		n++
	}
	var x Expr
	if p.lit("not(") {
		n++
		x = p.parseEmbedded()
	} else {
		x = p.parseCheck()
	}
	if p.err != nil {
		return nil
	}
	if n%2 == 1 {
		return &NotExpr{NotPos: p.pos(notOff), X: x}
	}
	return x
}

// parseEmbedded parses the rest of a parenthesised expression, after "(".
func (p *condParser) parseEmbedded() Expr {
	if !p.enter() {
		return nil
	}
	defer p.leave()
	p.blank()
	x := p.parseOr()
	if p.err != nil {
		return nil
	}
	p.blank()
	if !p.lit(")") {
		p.fail(msgExpectedParen)
		return nil
	}
	return x
}

// parseCheck parses  "(" Expr ")" | Field Cond | Transformer Cond | Identifier.
func (p *condParser) parseCheck() Expr {
	if !p.enter() {
		return nil
	}
	defer p.leave()
	p.blank()
	start := p.off
	if p.lit("(") {
		return p.parseEmbedded()
	}
	if name, ok := p.fieldName(); ok {
		left := p.parseFieldRest(name, start)
		if p.err != nil {
			return nil
		}
		return p.parseCond(left)
	}
	if name, ok := p.transformer(); ok {
		p.blank()
		left := p.parseTransformerRest(name, start)
		if p.err != nil {
			return nil
		}
		return p.parseCond(left)
	}
	if name, ok := p.ident(); ok {
		return &MacroRef{NamePos: p.pos(start), Name: name}
	}
	p.fail("expected a '(' token, a field check, or an identifier")
	return nil
}

// parseFieldRest parses the optional [arg] of a field whose name was just
// lexed at offset start. The "[" must follow the name directly.
func (p *condParser) parseFieldRest(name string, start int) *FieldRef {
	if !p.enter() {
		return nil
	}
	defer p.leave()
	f := &FieldRef{NamePos: p.pos(start), Name: name}
	if p.lit("[") {
		argOff := p.off
		arg, quoted, ok := p.fieldArg()
		if p.err != nil {
			return nil
		}
		if !ok {
			p.fail("expected a valid field argument: a quoted string or a bare string")
			return nil
		}
		if !p.lit("]") {
			p.fail("expected a ']' token")
			return nil
		}
		f.HasArg, f.Arg, f.ArgPos, f.ArgQuoted = true, arg, p.pos(argOff), quoted
	}
	return f
}

// fieldArg lexes a field or transformer argument: a quoted string or a
// bare argument.
func (p *condParser) fieldArg() (arg string, quoted, ok bool) {
	if v, ok := p.quotedValue(); ok {
		return v, true, true
	}
	if p.err != nil {
		return "", false, false
	}
	if v, ok := p.bareArg(); ok {
		return v, false, true
	}
	return "", false, false
}

// quotedValue lexes and decodes a quoted string. A bad escape sets p.err
// and p.escape, pointing at the backslash.
func (p *condParser) quotedValue() (string, bool) {
	start := p.off
	raw, ok := p.quoted()
	if !ok {
		return "", false
	}
	v, e := decodeQuoted(raw)
	if e != nil {
		p.failAt(start+e.off, e.msg)
		p.escape = true
		return "", false
	}
	p.last = v
	return v, true
}

// parseTransformerRest parses the arguments of a transformer whose name
// and "(" were just lexed (the name starting at offset start), its ")",
// and an optional [arg] right after it.
func (p *condParser) parseTransformerRest(name string, start int) *Transformer {
	if !p.enter() {
		return nil
	}
	defer p.leave()
	p.blank()
	t := &Transformer{NamePos: p.pos(start), Name: name}
	for {
		a := p.parseTransformerArg()
		if p.err != nil {
			return nil
		}
		t.Args = append(t.Args, a)
		p.blank()
		if !p.lit(",") {
			break
		}
	}
	p.blank()
	if !p.lit(")") {
		p.fail(msgCloseTransform)
		return nil
	}
	if p.lit("[") {
		argOff := p.off
		arg, quoted, ok := p.fieldArg()
		if p.err != nil {
			return nil
		}
		if !ok {
			p.fail("expected a valid field argument: a quoted string or a bare string")
			return nil
		}
		if !p.lit("]") {
			p.fail("expected a ']' token")
			return nil
		}
		t.HasArg, t.Arg, t.ArgPos, t.ArgQuoted = true, arg, p.pos(argOff), quoted
	}
	return t
}

// parseTransformerArg parses
// TArg := Number | QuotedStr | "(" [TLArg {"," TLArg}] ")" | Transformer | Field.
func (p *condParser) parseTransformerArg() Operand {
	if !p.enter() {
		return nil
	}
	defer p.leave()
	p.blank()
	start := p.off
	if v, ok := p.number(); ok {
		return &StringLit{ValuePos: p.pos(start), Value: v, Raw: v}
	}
	if v, ok := p.quotedValue(); ok {
		return &StringLit{ValuePos: p.pos(start), Value: v, Quoted: true, Raw: p.src[start:p.off]}
	}
	if p.err != nil {
		return nil
	}
	if p.lit("(") {
		return p.parseArgList(start)
	}
	if name, ok := p.transformer(); ok {
		return p.parseTransformerRest(name, start)
	}
	if name, ok := p.fieldName(); ok {
		return p.parseFieldRest(name, start)
	}
	p.fail("expected field transformer argument: field, transformer, quoted string, number, or transformer list")
	return nil
}

// parseArgList parses the rest of a transformer argument list, after the
// "(" at offset start. Like libsinsp, it does not count recursion depth.
func (p *condParser) parseArgList(start int) *ArgList {
	l := &ArgList{Lparen: p.pos(start)}
	p.blank()
	if p.lit(")") {
		return l
	}
	for {
		a := p.parseArgListItem()
		if p.err != nil {
			return nil
		}
		l.Items = append(l.Items, a)
		p.blank()
		if !p.lit(",") {
			break
		}
		p.blank()
	}
	if !p.lit(")") {
		p.fail("expected ')'")
		return nil
	}
	return l
}

// parseArgListItem parses TLArg := Field | Transformer | QuotedStr | Number.
func (p *condParser) parseArgListItem() Operand {
	start := p.off
	if name, ok := p.fieldName(); ok {
		return p.parseFieldRest(name, start)
	}
	if name, ok := p.transformer(); ok {
		p.blank()
		return p.parseTransformerRest(name, start)
	}
	if v, ok := p.quotedValue(); ok {
		return &StringLit{ValuePos: p.pos(start), Value: v, Quoted: true, Raw: p.src[start:p.off]}
	}
	if p.err != nil {
		return nil
	}
	if v, ok := p.number(); ok {
		return &StringLit{ValuePos: p.pos(start), Value: v, Raw: v}
	}
	p.fail("expected transformer list argument: field, transformer, quoted string, or number")
	return nil
}

// The operators, in the order libsinsp tries them. A word operator needs
// a blank after it.
var (
	condNumOps  = [...]string{"<=", "<", ">=", ">"}
	condStrOps  = [...]string{"==", "=", "!=", "glob", "iglob", "contains", "icontains", "bcontains", "startswith", "bstartswith", "endswith", "regex"}
	condListOps = [...]string{"intersects", "in", "pmatch"}
)

// strOp lexes a string operator. For a word operator it also consumes the
// blanks after it, which it requires. As in libsinsp, a word operator
// without a blank after it fails the whole class but stays consumed, so
// "a.b containsin (x)" reads as "a.b in (x)" and "a.b containsx" fails
// right after "contains".
func (p *condParser) strOp() (op string, blankAfter, ok bool) {
	for _, op := range condStrOps {
		if !p.lit(op) {
			continue
		}
		if isASCIILetter(op[0]) {
			if !p.blank() {
				return "", false, false
			}
			return op, true, true
		}
		return op, false, true
	}
	return "", false, false
}

// parseCond parses the operator and value of a check whose left side is
// left:  "exists" | NumOp NumValue | StrOp [Modifier] StrValue | ListOp ListValue.
func (p *condParser) parseCond(left Operand) Expr {
	if !p.enter() {
		return nil
	}
	defer p.leave()
	p.blank()
	opOff := p.off
	if p.lit("exists") {
		return &CheckExpr{Left: left, OpPos: p.pos(opOff), Op: "exists"}
	}
	p.blank()
	opOff = p.off
	c := &CheckExpr{Left: left, OpPos: p.pos(opOff)}
	for _, op := range condNumOps {
		if p.lit(op) {
			c.Op = op
			c.Right = p.parseNumValue()
			return p.check(c)
		}
	}
	if op, blankAfter, ok := p.strOp(); ok {
		c.Op = op
		if p.blank() {
			blankAfter = true
		}
		if blankAfter && p.parseModifier(c) {
			return p.check(c)
		}
		if p.err != nil {
			return nil
		}
		c.Right = p.parseStrValue(false)
		return p.check(c)
	}
	for _, op := range condListOps {
		if p.lit(op) {
			c.Op = op
			c.Right = p.parseListValue()
			return p.check(c)
		}
	}
	p.fail(msgOperators)
	return nil
}

// check returns c, or nil when parsing its value failed.
func (p *condParser) check(c *CheckExpr) Expr {
	if p.err != nil {
		return nil
	}
	return c
}

// modifiers are the list modifiers of string operators.
var listModifiers = [...]string{"oneof", "anyof", "allof"}

// parseModifier parses  Modifier BLANK+ ( "(" List ")" | Identifier )
// after a string operator and the blanks after it. It reports false, with
// the cursor unmoved, when the input is not a modifier followed by a list:
// then "oneof" is just a string value, as in "proc.name == oneof and x".
// An identifier "and" or "or" after the modifier is the next keyword, not
// a list name.
func (p *condParser) parseModifier(c *CheckExpr) bool {
	n := p.word(p.off)
	if n != 5 || p.off+n >= len(p.src) || !isCondBlank(p.src[p.off+n]) {
		return false
	}
	w := p.src[p.off : p.off+n]
	if w != listModifiers[0] && w != listModifiers[1] && w != listModifiers[2] {
		return false
	}
	save, saveLast := p.off, p.last
	p.off += n
	p.last = w
	p.blank()
	listOff := p.off
	if p.lit("(") {
		c.Modifier, c.ModPos = w, p.pos(save)
		c.Right = p.parseList(listOff)
		return true
	}
	if m := p.word(p.off); m > 0 {
		name := p.src[p.off : p.off+m]
		if name != "and" && name != "or" {
			p.take(m)
			c.Modifier, c.ModPos = w, p.pos(save)
			c.Right = &ListRef{NamePos: p.pos(listOff), Name: name}
			return true
		}
	}
	p.off, p.last = save, saveLast
	return false
}

// parseNumValue parses  Transformer | "val(" Field ")" | Number.
func (p *condParser) parseNumValue() Value {
	if !p.enter() {
		return nil
	}
	defer p.leave()
	p.blank()
	start := p.off
	if t := p.tryTransformerOrVal(); t != nil || p.err != nil {
		return valueOrNil(t)
	}
	if v, ok := p.number(); ok {
		return &StringLit{ValuePos: p.pos(start), Value: v, Raw: v}
	}
	p.fail("expected a number value or a field with a valid transformer: " + msgTransformers)
	return nil
}

// valueOrNil converts t to a Value without producing a non-nil interface
// holding a nil pointer.
func valueOrNil(t *Transformer) Value {
	if t == nil {
		return nil
	}
	return t
}

// parseStrValue parses  [Transformer | "val(" Field ")"] | QuotedStr | BareStr;
// list elements (noTransformer) take strings only.
func (p *condParser) parseStrValue(noTransformer bool) Value {
	if !p.enter() {
		return nil
	}
	defer p.leave()
	p.blank()
	start := p.off
	if !noTransformer {
		if t := p.tryTransformerOrVal(); t != nil || p.err != nil {
			return valueOrNil(t)
		}
	}
	if s := p.stringLit(); s != nil || p.err != nil {
		if s == nil {
			return nil
		}
		return s
	}
	if noTransformer {
		p.failAt(start, "expected a string value")
	} else {
		p.failAt(start, "expected a string value or a field with a valid transformer: "+msgTransformers)
	}
	return nil
}

// stringLit lexes a quoted or bare string value.
func (p *condParser) stringLit() *StringLit {
	start := p.off
	if v, ok := p.quotedValue(); ok {
		return &StringLit{ValuePos: p.pos(start), Value: v, Quoted: true, Raw: p.src[start:p.off]}
	}
	if p.err != nil {
		return nil
	}
	if v, ok := p.bareValue(); ok {
		return &StringLit{ValuePos: p.pos(start), Value: v, Raw: v}
	}
	return nil
}

// parseListValue parses  "(" [String {"," String}] ")" | Transformer |
// "val(" Field ")" | Identifier.
func (p *condParser) parseListValue() Value {
	if !p.enter() {
		return nil
	}
	defer p.leave()
	p.blank()
	start := p.off
	if p.lit("(") {
		return p.parseList(start)
	}
	if t := p.tryTransformerOrVal(); t != nil || p.err != nil {
		return valueOrNil(t)
	}
	if name, ok := p.ident(); ok {
		return &ListRef{NamePos: p.pos(start), Name: name}
	}
	p.fail("expected a list, an identifier, or a field with a valid transformer: " + msgTransformers)
	return nil
}

// parseList parses the rest of a value list after the "(" at offset
// start. As in libsinsp, a first element that does not parse means the
// list must be empty, so "(,)" fails with "expected a ')' token".
func (p *condParser) parseList(start int) Value {
	l := &ListLit{Lparen: p.pos(start)}
	p.blank()
	first := p.parseStrValue(true)
	switch {
	case p.err != nil && p.escape:
		return nil
	case p.err != nil:
		p.err = nil // no first element: the list must be empty
	default:
		l.Items = append(l.Items, first.(*StringLit))
		p.blank()
		for p.lit(",") {
			v := p.parseStrValue(true)
			if p.err != nil {
				return nil
			}
			l.Items = append(l.Items, v.(*StringLit))
			p.blank()
		}
	}
	if !p.lit(")") {
		p.fail(msgExpectedParen)
		return nil
	}
	return l
}

// tryTransformerOrVal parses a transformer or "val(" Field ")" if the
// input continues with one, and returns nil otherwise.
func (p *condParser) tryTransformerOrVal() *Transformer {
	if !p.enter() {
		return nil
	}
	defer p.leave()
	p.blank()
	start := p.off
	if p.lit("val(") {
		p.blank()
		fieldOff := p.off
		name, ok := p.fieldName()
		if !ok {
			p.fail("expected a field within 'val' transformer")
			return nil
		}
		f := p.parseFieldRest(name, fieldOff)
		if p.err != nil {
			return nil
		}
		p.blank()
		if !p.lit(")") {
			p.fail(msgCloseTransform)
			return nil
		}
		return &Transformer{NamePos: p.pos(start), Name: "val", Args: []Operand{f}}
	}
	if name, ok := p.transformer(); ok {
		p.blank()
		return p.parseTransformerRest(name, start)
	}
	return nil
}
