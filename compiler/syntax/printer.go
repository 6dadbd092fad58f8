package syntax

// This file holds the condition printer. It writes Falco's compiled
// condition form (libsinsp's ast::as_string): each "and"/"or" node in
// parentheses with its operands joined by " and " / " or ", "not X",
// "field op value", lists as "(a, b)", and values that need it
// double-quoted with C escapes. The output always parses back to the same
// tree; where Falco's own form would not (see docs/deviations.md), the
// printer quotes or parenthesises a little more.

// FormatCondition prints x in Falco's compiled-condition form. For every x
// produced by ParseCondition, ParseCondition(FormatCondition(x)) is
// structurally equal to x (ignoring positions and how values were quoted).
func FormatCondition(x Expr) string {
	var p condPrinter
	p.expr(x)
	return string(p.buf)
}

// FormatNode prints any node of a condition tree in the form
// FormatCondition uses for it inside a condition: an expression, a field
// or transformer, or a value (a string value as QuoteValue writes it).
func FormatNode(n Node) string {
	var p condPrinter
	switch n := n.(type) {
	case Expr:
		p.expr(n)
	case *StringLit:
		p.buf = appendCondValue(p.buf, n.Value)
	case Operand:
		p.operand(n)
	case Value:
		p.value(n, false)
	}
	return string(p.buf)
}

type condPrinter struct {
	buf []byte
}

func (p *condPrinter) str(s string) { p.buf = append(p.buf, s...) }

func (p *condPrinter) expr(x Expr) {
	switch x := x.(type) {
	case *LogicalExpr:
		sep := " and "
		if x.Op == Or {
			sep = " or "
		}
		p.buf = append(p.buf, '(')
		for i, o := range x.Operands {
			if i > 0 {
				p.str(sep)
			}
			p.expr(o)
		}
		p.buf = append(p.buf, ')')
	case *NotExpr:
		p.str("not ")
		if _, ok := x.X.(*NotExpr); ok {
			// "not not a" would parse as a: negations cancel in pairs.
			p.buf = append(p.buf, '(')
			p.expr(x.X)
			p.buf = append(p.buf, ')')
			return
		}
		p.expr(x.X)
	case *MacroRef:
		if x.Name == "not" {
			// A macro named "not" followed by a blank would read as
			// the keyword.
			p.str("(not)")
			return
		}
		p.str(x.Name)
	case *CheckExpr:
		p.operand(x.Left)
		p.buf = append(p.buf, ' ')
		p.str(x.Op)
		if x.Modifier != "" {
			p.buf = append(p.buf, ' ')
			p.str(x.Modifier)
		}
		if x.Right != nil {
			p.buf = append(p.buf, ' ')
			p.value(x.Right, isNumOp(x.Op))
		}
	case nil:
		// Nothing to print.
	}
}

func isNumOp(op string) bool {
	for _, o := range condNumOps {
		if o == op {
			return true
		}
	}
	return false
}

// operand prints a field, a transformer, or a transformer argument.
func (p *condPrinter) operand(o Operand) {
	switch o := o.(type) {
	case *FieldRef:
		p.str(o.Name)
		if o.HasArg {
			p.arg(o.Arg)
		}
	case *Transformer:
		p.transformer(o)
	case *StringLit:
		// A transformer argument: a number, or else a quoted string.
		if !o.Quoted && isNumberToken(o.Value) {
			p.str(o.Value)
		} else {
			p.buf = appendCondQuoted(p.buf, o.Value)
		}
	case *ArgList:
		p.buf = append(p.buf, '(')
		for i, a := range o.Items {
			if i > 0 {
				p.str(", ")
			}
			p.operand(a)
		}
		p.buf = append(p.buf, ')')
	case *ListLit:
		p.list(o)
	}
}

func (p *condPrinter) transformer(t *Transformer) {
	p.str(t.Name)
	p.buf = append(p.buf, '(')
	for i, a := range t.Args {
		if i > 0 {
			p.str(", ")
		}
		p.operand(a)
	}
	p.buf = append(p.buf, ')')
	if t.HasArg {
		p.arg(t.Arg)
	}
}

// arg prints a bracketed field or transformer argument.
func (p *condPrinter) arg(a string) {
	p.buf = append(p.buf, '[')
	if a != "" && !valueNeedsQuotes(a) && isBareArg(a) {
		p.str(a)
	} else {
		p.buf = appendCondQuoted(p.buf, a)
	}
	p.buf = append(p.buf, ']')
}

// value prints the right-hand side of a check. After a numeric operator a
// literal is a number and is printed as is.
func (p *condPrinter) value(v Value, numeric bool) {
	switch v := v.(type) {
	case *StringLit:
		if numeric && isNumberToken(v.Value) {
			p.str(v.Value)
			return
		}
		p.buf = appendCondValue(p.buf, v.Value)
	case *ListLit:
		p.list(v)
	case *ListRef:
		p.str(v.Name)
	case *Transformer:
		p.transformer(v)
	case *FieldRef:
		p.operand(v)
	}
}

func (p *condPrinter) list(l *ListLit) {
	p.buf = append(p.buf, '(')
	for i, s := range l.Items {
		if i > 0 {
			p.str(", ")
		}
		p.buf = appendCondValue(p.buf, s.Value)
	}
	p.buf = append(p.buf, ')')
}
