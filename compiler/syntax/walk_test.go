package syntax

import (
	"fmt"
	"strings"
	"testing"
)

func TestInspect(t *testing.T) {
	x, err := parseSrc(`(a.b[1] = x or not m) and join("-", (c.d, b64(e.f))) in (p, q) and g.h == oneof l`)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	depth := 0
	Inspect(x, func(n Node) bool {
		if n == nil {
			depth--
			return false
		}
		got = append(got, fmt.Sprintf("%s%s", strings.Repeat(".", depth), nodeKind(n)))
		depth++
		return true
	})
	want := []string{
		"LogicalExpr",
		".LogicalExpr",
		"..CheckExpr", "...FieldRef", "...StringLit",
		"..NotExpr", "...MacroRef",
		".CheckExpr",
		"..Transformer", "...StringLit", "...ArgList", "....FieldRef", "....Transformer", ".....FieldRef",
		"..ListLit", "...StringLit", "...StringLit",
		".CheckExpr", "..FieldRef", "..ListRef",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("Inspect order:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if depth != 0 {
		t.Errorf("Inspect called f(nil) unbalanced: depth %d", depth)
	}
}

// TestInspectPrune checks that returning false skips a node's children.
func TestInspectPrune(t *testing.T) {
	x, err := parseSrc("a.b = 1 and not (c.d = 2 and m)")
	if err != nil {
		t.Fatal(err)
	}
	var macros, checks int
	Inspect(x, func(n Node) bool {
		switch n.(type) {
		case *NotExpr:
			return false
		case *MacroRef:
			macros++
		case *CheckExpr:
			checks++
		}
		return true
	})
	if macros != 0 || checks != 1 {
		t.Errorf("visited %d macros and %d checks, want 0 and 1", macros, checks)
	}
}

// countVisitor counts nodes with Walk, the Visitor form of Inspect.
type countVisitor map[string]int

func (v countVisitor) Visit(n Node) Visitor {
	if n != nil {
		v[nodeKind(n)]++
	}
	return v
}

func TestWalk(t *testing.T) {
	x, err := parseSrc("a.b in (1, 2, 3) or m or val2.x exists")
	if err != nil {
		t.Fatal(err)
	}
	v := countVisitor{}
	Walk(v, x)
	want := map[string]int{"LogicalExpr": 1, "CheckExpr": 2, "FieldRef": 2, "ListLit": 1, "StringLit": 3, "MacroRef": 1}
	if fmt.Sprint(map[string]int(v)) != fmt.Sprint(want) {
		t.Errorf("Walk counted %v, want %v", map[string]int(v), want)
	}
}
