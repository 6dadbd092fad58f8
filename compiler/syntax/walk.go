package syntax

// A Visitor's Visit method is invoked for each node encountered by Walk.
// If the result visitor w is not nil, Walk visits each of the children of
// node with w, followed by a call of w.Visit(nil).
type Visitor interface {
	Visit(node Node) (w Visitor)
}

// Walk traverses a condition tree in depth-first order, as go/ast.Walk
// does: it starts by calling v.Visit(node); node must not be nil. If the
// visitor w returned by v.Visit(node) is not nil, Walk is invoked
// recursively with w for each of the non-nil children of node, followed
// by a call of w.Visit(nil).
//
// Children are visited in source order: the operands of a LogicalExpr, the
// operand of a NotExpr, the left side then the right side of a CheckExpr,
// the arguments of a Transformer, the items of an ArgList or a ListLit.
func Walk(v Visitor, node Node) {
	if v = v.Visit(node); v == nil {
		return
	}
	switch n := node.(type) {
	case *LogicalExpr:
		for _, x := range n.Operands {
			if x != nil {
				Walk(v, x)
			}
		}
	case *NotExpr:
		if n.X != nil {
			Walk(v, n.X)
		}
	case *CheckExpr:
		if n.Left != nil {
			Walk(v, n.Left)
		}
		if n.Right != nil {
			Walk(v, n.Right)
		}
	case *Transformer:
		for _, a := range n.Args {
			if a != nil {
				Walk(v, a)
			}
		}
	case *ArgList:
		for _, a := range n.Items {
			if a != nil {
				Walk(v, a)
			}
		}
	case *ListLit:
		for _, s := range n.Items {
			if s != nil {
				Walk(v, s)
			}
		}
	}
	v.Visit(nil)
}

type inspector func(Node) bool

func (f inspector) Visit(node Node) Visitor {
	if f(node) {
		return f
	}
	return nil
}

// Inspect traverses a condition tree in depth-first order, as
// go/ast.Inspect does: it starts by calling f(node); node must not be nil.
// If f returns true, Inspect invokes f recursively for each of the non-nil
// children of node, followed by a call of f(nil).
func Inspect(node Node, f func(Node) bool) {
	Walk(inspector(f), node)
}
