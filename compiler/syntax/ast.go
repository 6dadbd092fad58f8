package syntax

// This file defines the syntax tree of Falco filter conditions.
//
// The tree follows libsinsp's filter AST: "and" and "or" nodes are n-ary
// (a and b and c is one node with three operands) and a parenthesised group
// stays a separate node (so (a and b) and c nests). Every node records the
// position of its first byte in the rule file it came from.

// Expr is a boolean expression: *LogicalExpr, *NotExpr, *CheckExpr or
// *MacroRef.
type Expr interface {
	Node
	exprNode()
}

// Node is any node of the syntax tree.
type Node interface {
	// Pos returns the position of the node's first byte.
	Pos() Pos
}

// LogicalOp is "and" or "or".
type LogicalOp int

// The logical operators.
const (
	And LogicalOp = iota
	Or
)

// String returns "and" or "or".
func (op LogicalOp) String() string {
	if op == Or {
		return "or"
	}
	return "and"
}

// LogicalExpr is an n-ary "and" or "or" of two or more operands.
type LogicalExpr struct {
	OpPos    Pos // position of the first operand
	Op       LogicalOp
	Operands []Expr
}

// NotExpr is "not X".
type NotExpr struct {
	NotPos Pos
	X      Expr
}

// MacroRef is a bare identifier in check position: a reference to a macro.
type MacroRef struct {
	NamePos Pos
	Name    string
}

// CheckExpr is a field check: "Left Op [Right]". Right is nil for the
// unary operator "exists".
type CheckExpr struct {
	Left     Operand // *FieldRef or *Transformer
	OpPos    Pos     // position of the operator
	Op       string  // "=", "==", "!=", "<", "<=", ">", ">=", "contains", ..., "exists"
	Modifier string  // "", "oneof", "anyof" or "allof" (string operators only)
	ModPos   Pos     // position of the modifier, when there is one
	Right    Value   // nil for exists
}

// Operand is what can stand on either side of a check when it names a
// field: *FieldRef or *Transformer.
type Operand interface {
	Node
	operandNode()
}

// FieldRef is a field name with an optional argument: proc.name,
// proc.aname[2], evt.arg.flags (the dotted argument is kept in Name, since
// only the field catalog can tell "evt.arg.flags" from a field called
// that), proc.env["HOME"].
type FieldRef struct {
	NamePos   Pos
	Name      string // the field name as written, e.g. "proc.aname" or "evt.arg.flags"
	HasArg    bool   // an argument in brackets was given
	Arg       string // decoded bracket argument
	ArgPos    Pos    // position of the bracket argument's first byte
	ArgQuoted bool   // the bracket argument was quoted
}

// Transformer applies a transformer function to its arguments:
// tolower(proc.name), join(",", (a.b, c.d)), getopt(proc.args, "t:")[t].
// A parenthesised argument list such as (a.b, c.d) is an *ArgList. The
// parser gives "val" exactly one *FieldRef argument.
type Transformer struct {
	NamePos   Pos
	Name      string    // tolower, toupper, b64, basename, len, join, concat, getopt, val
	Args      []Operand // *FieldRef, *Transformer, *StringLit or *ArgList
	HasArg    bool      // a trailing [arg] was given
	Arg       string    // decoded trailing argument
	ArgPos    Pos       // position of the trailing argument's first byte
	ArgQuoted bool      // the trailing argument was quoted
}

// ArgList is a parenthesised list of transformer arguments, as in
// join("-", (fd.name, fd.directory)). Items are *FieldRef, *Transformer or
// *StringLit (quoted strings and numbers).
type ArgList struct {
	Lparen Pos
	Items  []Operand
}

// Value is the right-hand side of a check: *StringLit, *ListLit,
// *ListRef, *FieldRef (only under val(), as a *Transformer named "val"),
// or *Transformer.
type Value interface {
	Node
	valueNode()
}

// StringLit is a bare or quoted string or number value. Value is the
// decoded text (escapes resolved); Quoted tells how it was written.
type StringLit struct {
	ValuePos Pos
	Value    string
	Quoted   bool   // written in '...' or "..."
	Raw      string // the source text, quotes included
}

// ListLit is a parenthesised list of values: (a, "b c", 3).
type ListLit struct {
	Lparen Pos
	Items  []*StringLit
}

// ListRef is a bare identifier used as a list value after in, intersects,
// pmatch or a modifier: "proc.name in my_list". After list substitution an
// undefined name stays a literal; a defined list was already expanded.
type ListRef struct {
	NamePos Pos
	Name    string
}

func (x *LogicalExpr) Pos() Pos { return x.OpPos }
func (x *NotExpr) Pos() Pos     { return x.NotPos }
func (x *MacroRef) Pos() Pos    { return x.NamePos }
func (x *CheckExpr) Pos() Pos   { return x.Left.Pos() }
func (x *FieldRef) Pos() Pos    { return x.NamePos }
func (x *Transformer) Pos() Pos { return x.NamePos }
func (x *StringLit) Pos() Pos   { return x.ValuePos }
func (x *ListLit) Pos() Pos     { return x.Lparen }
func (x *ListRef) Pos() Pos     { return x.NamePos }
func (x *ArgList) Pos() Pos     { return x.Lparen }

func (*LogicalExpr) exprNode() {}
func (*NotExpr) exprNode()     {}
func (*MacroRef) exprNode()    {}
func (*CheckExpr) exprNode()   {}

func (*FieldRef) operandNode()    {}
func (*Transformer) operandNode() {}
func (*StringLit) operandNode()   {}
func (*ListLit) operandNode()     {}
func (*ArgList) operandNode()     {}

func (*StringLit) valueNode()   {}
func (*ListLit) valueNode()     {}
func (*ListRef) valueNode()     {}
func (*FieldRef) valueNode()    {}
func (*Transformer) valueNode() {}
