package check

import (
	"fmt"

	"github.com/falconer-sec/falconer/compiler/syntax"
)

// compiledMacro is a macro during one compilation.
type compiledMacro struct {
	info *macroInfo
	text *srcText // condition text after list substitution
	// tree is the macro's current tree: the parsed condition, replaced by
	// the resolved one once the macro's own references are inlined.
	tree syntax.Expr
	// bad is set when the macro does not parse or does not resolve; a
	// condition using it is not checked further (the macro's error is
	// the root cause).
	bad  bool
	used bool
}

// macroTable holds the macros of one compilation.
type macroTable struct {
	macros []*compiledMacro
	byName map[string]*compiledMacro
	// bad holds the names of macros whose definition failed.
	bad map[string]bool
}

// resolver inlines macro references into a tree, like Falco's
// filter_macro_resolver: every reference is replaced by a copy of the
// referenced macro's tree, resolved in turn, with loop detection.
type resolver struct {
	mt *macroTable
	// visible reports whether a macro may be referenced.
	visible func(m *compiledMacro) bool
	path    []string

	// The first problem found, if any. errMsg is a loop error, which
	// wins over an unknown macro, as in Falco.
	errMsg     string
	errPos     syntax.Pos
	errCode    syntax.Code
	unknown    string
	unknownPos syntax.Pos
	// poisoned is set when a referenced macro is itself broken.
	poisoned bool
	// nodes counts the nodes inlined so far, against maxExpandedNodes.
	nodes int
}

// maxExpandedNodes caps the size of a condition once macros are inlined.
// Macros that use each other several times grow exponentially (Falco
// would expand them without end); real rule sets stay far below this.
const maxExpandedNodes = 100000

// resolve returns e with every macro reference replaced. Nodes of e are
// reused (e is a fresh tree); inlined macros are deep copies.
func (r *resolver) resolve(e syntax.Expr) syntax.Expr {
	switch x := e.(type) {
	case *syntax.LogicalExpr:
		for i, op := range x.Operands {
			x.Operands[i] = r.resolve(op)
		}
		return x
	case *syntax.NotExpr:
		x.X = r.resolve(x.X)
		return x
	case *syntax.MacroRef:
		m := r.mt.byName[x.Name]
		if m == nil && r.mt.bad[x.Name] {
			r.poisoned = true
			return x
		}
		if m == nil || !r.visible(m) {
			if r.unknown == "" {
				r.unknown, r.unknownPos = x.Name, x.NamePos
			}
			return x
		}
		m.used = true
		if m.bad || m.tree == nil {
			r.poisoned = true
			return x
		}
		for _, p := range r.path {
			if p == x.Name {
				if r.errMsg == "" {
					r.errMsg, r.errPos, r.errCode = "reference loop in macro '"+x.Name+"'", x.NamePos, syntax.CodeMacroLoop
				}
				return x
			}
		}
		if r.errMsg != "" {
			return x
		}
		clone, size := cloneExpr(m.tree)
		r.nodes += size
		if r.nodes > maxExpandedNodes {
			r.errMsg, r.errPos, r.errCode = fmt.Sprintf("condition too large: more than %d nodes once macros are inlined", maxExpandedNodes), x.NamePos, syntax.CodeConditionSize
			return x
		}
		r.path = append(r.path, x.Name)
		n := r.resolve(clone)
		r.path = r.path[:len(r.path)-1]
		return n
	}
	return e
}

// failed reports the resolution error to c, if any, and whether the tree
// is unusable.
func (r *resolver) failed(c *checker) bool {
	switch {
	case r.errMsg != "":
		c.errorf(r.errPos, r.errCode, "%s", r.errMsg)
		return true
	case r.unknown != "":
		c.errorf(r.unknownPos, syntax.CodeUndefinedMacro, "Undefined macro '%s' used in filter.", r.unknown)
		return true
	}
	return r.poisoned
}

// compileMacros substitutes lists into every macro and parses it, then
// resolves each macro's references in definition order, each macro seeing
// only the macros first defined before its last definition or append.
func (c *checker) compileMacros(col *collector, lt *listTable) *macroTable {
	mt := &macroTable{byName: make(map[string]*compiledMacro, len(col.macros)), bad: col.badMacros}
	for _, m := range col.macros {
		cm := &compiledMacro{info: m}
		t := m.cond.clone()
		lt.substitute(&t)
		cm.text = &t
		tree, err := c.parse(&t)
		if err != nil {
			cm.bad = true
		} else {
			cm.tree = tree
		}
		mt.macros = append(mt.macros, cm)
		mt.byName[m.name] = cm
	}
	for _, cm := range mt.macros {
		if cm.bad {
			continue
		}
		vis := cm.info.visibility
		r := resolver{mt: mt, visible: func(m *compiledMacro) bool { return m.info.index < vis }}
		tree := r.resolve(cm.tree)
		if r.failed(c) {
			cm.bad = true
			continue
		}
		cm.tree = tree
	}
	return mt
}

// markWords marks used every macro whose name occurs as a word of s. It
// is applied to conditions that could not be compiled, so that their
// macros are not reported as unused.
func (mt *macroTable) markWords(s string) {
	eachWord(s, func(w string) {
		if m := mt.byName[w]; m != nil {
			m.used = true
		}
	})
}

// cloneExpr returns a deep copy of a condition tree and its number of
// nodes. Positions are kept, so diagnostics about the copy point into the
// macro it came from.
func cloneExpr(e syntax.Expr) (syntax.Expr, int) {
	switch x := e.(type) {
	case *syntax.LogicalExpr:
		n := &syntax.LogicalExpr{OpPos: x.OpPos, Op: x.Op, Operands: make([]syntax.Expr, len(x.Operands))}
		size := 1
		for i, op := range x.Operands {
			var k int
			n.Operands[i], k = cloneExpr(op)
			size += k
		}
		return n, size
	case *syntax.NotExpr:
		c, k := cloneExpr(x.X)
		return &syntax.NotExpr{NotPos: x.NotPos, X: c}, k + 1
	case *syntax.MacroRef:
		n := *x
		return &n, 1
	case *syntax.CheckExpr:
		n := *x
		n.Left = cloneOperand(x.Left)
		if x.Right != nil {
			n.Right = cloneValue(x.Right)
		}
		return &n, 1
	}
	return e, 1
}

func cloneOperand(o syntax.Operand) syntax.Operand {
	switch x := o.(type) {
	case *syntax.FieldRef:
		n := *x
		return &n
	case *syntax.Transformer:
		n := *x
		n.Args = make([]syntax.Operand, len(x.Args))
		for i, a := range x.Args {
			n.Args[i] = cloneOperand(a)
		}
		return &n
	case *syntax.StringLit:
		n := *x
		return &n
	case *syntax.ArgList:
		n := &syntax.ArgList{Lparen: x.Lparen, Items: make([]syntax.Operand, len(x.Items))}
		for i, it := range x.Items {
			n.Items[i] = cloneOperand(it)
		}
		return n
	case *syntax.ListLit:
		return cloneList(x)
	}
	return o
}

func cloneList(x *syntax.ListLit) *syntax.ListLit {
	n := &syntax.ListLit{Lparen: x.Lparen, Items: make([]*syntax.StringLit, len(x.Items))}
	for i, it := range x.Items {
		c := *it
		n.Items[i] = &c
	}
	return n
}

func cloneValue(v syntax.Value) syntax.Value {
	switch x := v.(type) {
	case *syntax.StringLit:
		n := *x
		return &n
	case *syntax.ListLit:
		return cloneList(x)
	case *syntax.ListRef:
		n := *x
		return &n
	case *syntax.FieldRef:
		n := *x
		return &n
	case *syntax.Transformer:
		return cloneOperand(x).(*syntax.Transformer)
	}
	return v
}
