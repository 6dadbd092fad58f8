package syntax

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

const (
	conditionsTSV        = "../../testdata/conformance/conditions.tsv"
	conditionsCompileTSV = "../../testdata/conformance/conditions-compile.tsv"
	deviationsDoc        = "../../docs/deviations.md"
)

// conditionRow is one case of a conformance TSV file.
type conditionRow struct {
	line      int
	expect    string // ok, error, or a warning kind
	condition string
	message   string // expected message, when upstream asserts one
}

// readConditionTSV reads a conformance TSV file; lines starting with # are comments.
func readConditionTSV(t testing.TB, name string) []conditionRow {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rows []conditionRow
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		cols := strings.Split(line, "\t")
		if len(cols) < 2 {
			t.Fatalf("%s:%d: want at least 2 columns, got %d", name, n, len(cols))
		}
		r := conditionRow{line: n, expect: cols[0], condition: cols[1]}
		if len(cols) > 2 {
			r.message = cols[2]
		}
		rows = append(rows, r)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(rows) == 0 {
		t.Fatalf("%s: no cases", name)
	}
	return rows
}

// deviations returns the conditions of file (a conformance file name such
// as "conditions.tsv") that docs/deviations.md lists as known deviations,
// in table rows of the form
//
//	| conditions.tsv | `CONDITION` | reason |
func conditionDeviations(t testing.TB, file string) map[string]bool {
	t.Helper()
	data, err := os.ReadFile(deviationsDoc)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, line := range strings.Split(string(data), "\n") {
		cols := strings.Split(line, "|")
		if len(cols) < 4 || strings.TrimSpace(cols[1]) != file {
			continue
		}
		c := strings.TrimSpace(cols[2])
		if len(c) < 2 || c[0] != '`' || c[len(c)-1] != '`' {
			t.Fatalf("%s: bad deviation row %q: the condition must be in backquotes", deviationsDoc, line)
		}
		out[c[1:len(c)-1]] = true
	}
	return out
}

// variants returns the input variants upstream's parser tests accept for
// every valid condition: as is, with a space before and after, and with
// every space replaced by a newline or by a tab.
func conditionVariants(s string) map[string]string {
	return map[string]string{
		"plain":    s,
		"padded":   " " + s + " ",
		"newlines": strings.ReplaceAll(s, " ", "\n"),
		"tabs":     strings.ReplaceAll(s, " ", "\t"),
	}
}

func parseSrc(src string) (Expr, error) { return ParseCondition(src, ConditionOptions{}) }

func TestConformanceConditions(t *testing.T) {
	skip := conditionDeviations(t, "conditions.tsv")
	for _, r := range readConditionTSV(t, conditionsTSV) {
		t.Run(r.condition, func(t *testing.T) {
			if skip[r.condition] {
				t.Skip("listed in docs/deviations.md")
			}
			switch r.expect {
			case "ok":
				for name, src := range conditionVariants(r.condition) {
					if _, err := parseSrc(src); err != nil {
						t.Errorf("line %d, %s: ParseCondition(%q) = %v, want success", r.line, name, src, err)
					}
				}
			case "error":
				x, err := parseSrc(r.condition)
				if err == nil {
					t.Fatalf("line %d: ParseCondition(%q) = %s, want an error", r.line, r.condition, FormatCondition(x))
				}
				var e *Error
				if !errors.As(err, &e) {
					t.Fatalf("line %d: error %v is a %T, want *Error", r.line, err, err)
				}
				if r.message != "" && !strings.Contains(e.Msg, r.message) {
					t.Errorf("line %d: ParseCondition(%q) message = %q, want it to contain %q", r.line, r.condition, e.Msg, r.message)
				}
			default:
				t.Fatalf("line %d: unknown expectation %q", r.line, r.expect)
			}
		})
	}
}

// TestConformanceCompileGrammar checks the grammar of the rows of
// conditions-compile.tsv: every row that compiles in Falco parses, and the
// rows that fail do so against the field catalog, except for the listed
// syntax errors.
func TestConformanceCompileGrammar(t *testing.T) {
	syntaxErrors := map[string]string{
		"evt.is_io < true": "expected a number value or a field with a valid transformer",
		"evt.is_io > true": "expected a number value or a field with a valid transformer",
		"(syscall.type = val(tolower(toupper(syscall.type))))": "expected a field within 'val' transformer",
		"(syscall.type = val(syscall.type, evt.type))":         "expected a ')' token closing the transformer",
	}
	for _, r := range readConditionTSV(t, conditionsCompileTSV) {
		_, err := parseSrc(r.condition)
		want, isSyntax := syntaxErrors[r.condition]
		switch {
		case isSyntax && r.expect != "error":
			t.Errorf("line %d: %q is expected to compile, but the test lists it as a syntax error", r.line, r.condition)
		case isSyntax && err == nil:
			t.Errorf("line %d: ParseCondition(%q) succeeded, want %q", r.line, r.condition, want)
		case isSyntax && !strings.Contains(err.Error(), want):
			t.Errorf("line %d: ParseCondition(%q) = %v, want %q", r.line, r.condition, err, want)
		case !isSyntax && err != nil:
			t.Errorf("line %d: ParseCondition(%q) = %v, want success", r.line, r.condition, err)
		}
	}
}

// condCmpOpts compares trees ignoring positions and the spelling of values
// (quoted or bare, escaped or not), which the printer normalises.
var condCmpOpts = cmp.Options{
	cmpopts.IgnoreTypes(Pos{}),
	cmpopts.IgnoreFields(StringLit{}, "Quoted", "Raw"),
	cmpopts.IgnoreFields(FieldRef{}, "ArgQuoted"),
	cmpopts.IgnoreFields(Transformer{}, "ArgQuoted"),
	cmpopts.EquateEmpty(),
}

func TestParseTree(t *testing.T) {
	field := func(name string) *FieldRef { return &FieldRef{Name: name} }
	str := func(v string) *StringLit { return &StringLit{Value: v} }
	and := func(xs ...Expr) *LogicalExpr { return &LogicalExpr{Op: And, Operands: xs} }
	or := func(xs ...Expr) *LogicalExpr { return &LogicalExpr{Op: Or, Operands: xs} }
	check := func(l Operand, op string, r Value) *CheckExpr { return &CheckExpr{Left: l, Op: op, Right: r} }
	tests := []struct {
		src  string
		want Expr
	}{
		{"a", &MacroRef{Name: "a"}},
		{"((((a))))", &MacroRef{Name: "a"}},
		{"a and b and c", and(&MacroRef{Name: "a"}, &MacroRef{Name: "b"}, &MacroRef{Name: "c"})},
		{"a or b and c", or(&MacroRef{Name: "a"}, and(&MacroRef{Name: "b"}, &MacroRef{Name: "c"}))},
		{"(a and b) and c", and(and(&MacroRef{Name: "a"}, &MacroRef{Name: "b"}), &MacroRef{Name: "c"})},
		{"a and(b and c)", and(&MacroRef{Name: "a"}, and(&MacroRef{Name: "b"}, &MacroRef{Name: "c"}))},
		{"not a and b", and(&NotExpr{X: &MacroRef{Name: "a"}}, &MacroRef{Name: "b"})},
		{"not not a", &MacroRef{Name: "a"}},
		{"not not not a", &NotExpr{X: &MacroRef{Name: "a"}}},
		{"not not not not not(not not(not not_macro))", &NotExpr{X: &NotExpr{X: &MacroRef{Name: "not_macro"}}}},
		{"not", &MacroRef{Name: "not"}},
		{"evt.arg.flags contains O_RDWR", check(field("evt.arg.flags"), "contains", str("O_RDWR"))},
		{"proc.aname[2] = bash", check(&FieldRef{Name: "proc.aname", HasArg: true, Arg: "2"}, "=", str("bash"))},
		{`proc.env["HOME"] = /root`, check(&FieldRef{Name: "proc.env", HasArg: true, Arg: "HOME", ArgQuoted: true}, "=", str("/root"))},
		{`test.str[""] = a`, check(&FieldRef{Name: "test.str", HasArg: true}, "=", str("a"))},
		{"a.b exists", &CheckExpr{Left: field("a.b"), Op: "exists"}},
		{"a.b existsand c", and(&CheckExpr{Left: field("a.b"), Op: "exists"}, &MacroRef{Name: "c"})},
		{"evt.dir=< and fd.name=*.log", and(check(field("evt.dir"), "=", str("<")), check(field("fd.name"), "=", str("*.log")))},
		{"a.g in (1, 'a', b.c)", check(field("a.g"), "in", &ListLit{Items: []*StringLit{str("1"), str("a"), str("b.c")}})},
		{"a.g in ()", check(field("a.g"), "in", &ListLit{})},
		{"a.g in my_list", check(field("a.g"), "in", &ListRef{Name: "my_list"})},
		{"a.g inx", check(field("a.g"), "in", &ListRef{Name: "x"})},
		{"a.g containsin (x)", check(field("a.g"), "in", &ListLit{Items: []*StringLit{str("x")}})},
		{"a.g > -1.5e+3", check(field("a.g"), ">", str("-1.5e+3"))},
		{"a.g <= 0x1F", check(field("a.g"), "<=", str("0x1F"))},
		{`a.b = "x \" y"`, check(field("a.b"), "=", str(`x " y`))},
		{`a.b = 'it\'s \\ \/ \t'`, check(field("a.b"), "=", str("it's \\ / \t"))},
		{`a.b = "bad escape \ "`, check(field("a.b"), "=", str(`bad escape \`))},
		{`a.b = "\x41\x00"`, check(field("a.b"), "=", str("A\x00"))},
		{`a.b = 'multiple escape single quote \' \\''`, check(field("a.b"), "=", str(`multiple escape single quote ' \'`))},
		{"some.field = val(test.field)", check(field("some.field"), "=", &Transformer{Name: "val", Args: []Operand{field("test.field")}})},
		{"b64(toupper(a.b)) exists", &CheckExpr{Op: "exists", Left: &Transformer{Name: "b64", Args: []Operand{&Transformer{Name: "toupper", Args: []Operand{field("a.b")}}}}}},
		{`join("-", (fd.name, 'x', 1, b64(a.b))) = v`, check(&Transformer{Name: "join", Args: []Operand{
			&StringLit{Value: "-"},
			&ArgList{Items: []Operand{field("fd.name"), str("x"), str("1"), &Transformer{Name: "b64", Args: []Operand{field("a.b")}}}},
		}}, "=", str("v"))},
		{`getopt(proc.args, "nt:")[t] = v`, check(&Transformer{Name: "getopt", Args: []Operand{field("proc.args"), str("nt:")}, HasArg: true, Arg: "t"}, "=", str("v"))},
		{"concat(a.b, c.d) = xy", check(&Transformer{Name: "concat", Args: []Operand{field("a.b"), field("c.d")}}, "=", str("xy"))},
		{"proc.name startswith oneof (a, b)", &CheckExpr{Left: field("proc.name"), Op: "startswith", Modifier: "oneof", Right: &ListLit{Items: []*StringLit{str("a"), str("b")}}}},
		{"proc.name == anyof anyof", &CheckExpr{Left: field("proc.name"), Op: "==", Modifier: "anyof", Right: &ListRef{Name: "anyof"}}},
		{"proc.name == oneof", check(field("proc.name"), "==", str("oneof"))},
		{"proc.name == oneof or a", or(check(field("proc.name"), "==", str("oneof")), &MacroRef{Name: "a"})},
		{"proc.name == allof and a", and(check(field("proc.name"), "==", str("allof")), &MacroRef{Name: "a"})},
	}
	for _, tt := range tests {
		got, err := parseSrc(tt.src)
		if err != nil {
			t.Errorf("ParseCondition(%q) = %v", tt.src, err)
			continue
		}
		if diff := cmp.Diff(tt.want, got, condCmpOpts); diff != "" {
			t.Errorf("ParseCondition(%q) mismatch (-want +got):\n%s", tt.src, diff)
		}
	}
}

func TestParseErrors(t *testing.T) {
	ops := "'exists', '<=', '<', '>=', '>', '==', '=', '!=', 'glob', 'iglob', 'contains', 'icontains', 'bcontains', " +
		"'startswith', 'bstartswith', 'endswith', 'regex', 'intersects', 'in', 'pmatch'"
	tfs := "'val', 'tolower', 'toupper', 'b64', 'basename', 'len', 'join', 'concat', 'getopt'"
	tests := []struct {
		src string
		col int
		msg string
	}{
		{"", 1, "filter input string is empty"},
		{"   ", 4, "expected a '(' token, a field check, or an identifier"},
		{"aand b", 6, "unexpected token after 'aand', expecting 'or', 'and'"},
		{"a orb", 5, "expected blank or '(' after 'or'"},
		{"a andb", 6, "expected blank or '(' after 'and'"},
		{"a and b or", 11, "expected blank or '(' after 'or'"},
		{"a and ", 7, "expected a '(' token, a field check, or an identifier"},
		{"(a.b = 1", 9, "expected a ')' token"},
		{"a.b = b = 1", 9, "unexpected token after 'b', expecting 'or', 'and'"},
		{`a.b = "x y" z`, 13, "unexpected token after 'x y', expecting 'or', 'and'"},
		{"evt.type = open)", 16, "unexpected token after 'open', expecting 'or', 'and'"},
		{"a.a badoperator xxx", 5, "expected a valid check operator: one of " + ops},
		// "in" is a list operator that needs no blank after it.
		{"a.a invalidoperator xxx", 21, "unexpected token after 'validoperator', expecting 'or', 'and'"},
		{"test.op startswithvalue", 19, "expected a valid check operator: one of " + ops},
		{"test.op ===", 11, "expected a string value or a field with a valid transformer: " + tfs},
		{"test.num >= 0aaaaa", 14, "unexpected token after '0', expecting 'or', 'and'"},
		{"test.num > abc", 12, "expected a number value or a field with a valid transformer: " + tfs},
		{"test.op in", 11, "expected a list, an identifier, or a field with a valid transformer: " + tfs},
		{"test.list in (value,)", 21, "expected a string value"},
		{"test.list in (,)", 15, "expected a ')' token"},
		{"test.list in (", 15, "expected a ')' token"},
		{"test.str[] = x", 10, "expected a valid field argument: a quoted string or a bare string"},
		{"test.str[ a ] = x", 10, "expected a valid field argument: a quoted string or a bare string"},
		{`evt.arg["x" = value`, 12, "expected a ']' token"},
		{`getopt(proc.args, "nt:")["t" = value`, 29, "expected a ']' token"},
		{"b64 (test.field) exists", 5, "unexpected token after 'b64', expecting 'or', 'and'"},
		{"b64(test.field [1]) exists", 16, "expected a ')' token closing the transformer"},
		{"b64(b64)) exists", 5, "expected field transformer argument: field, transformer, quoted string, number, or transformer list"},
		{"some.field = val(val(x.y))", 18, "expected a field within 'val' transformer"},
		{"some.field = val(x.y, a.b)", 21, "expected a ')' token closing the transformer"},
		{`join("-", (macro)) = /tmp`, 12, "expected transformer list argument: field, transformer, quoted string, or number"},
		{`join("-", (a.b c.d)) = /tmp`, 16, "expected ')'"},
		{`test.str = 'mixed \"'`, 19, `invalid \" escape in '-quoted string`},
		{`test.str = "mixed \'"`, 19, `invalid \' escape in "-quoted string`},
		{`test.str = "bad \q"`, 17, `unsupported string escape sequence: \q`},
		{`test.str = "\x4"`, 13, `invalid \x escape: expected two hexadecimal digits`},
		{`a.b in ("\q")`, 10, `unsupported string escape sequence: \q`},
		{`test.str = "`, 12, "expected a string value or a field with a valid transformer: " + tfs},
		{"proc.name == oneof(cat)", 19, "unexpected token after 'oneof', expecting 'or', 'and'"},
		{"proc.name == oneof (cat,)", 25, "expected a string value"},
		{"NOT evt.type = open", 5, "unexpected token after 'NOT', expecting 'or', 'and'"},
	}
	for _, tt := range tests {
		x, err := parseSrc(tt.src)
		if err == nil {
			t.Errorf("ParseCondition(%q) = %s, want an error", tt.src, FormatCondition(x))
			continue
		}
		if x != nil {
			t.Errorf("ParseCondition(%q) returned a tree with its error", tt.src)
		}
		var e *Error
		if !errors.As(err, &e) {
			t.Errorf("ParseCondition(%q) error is a %T, want *Error", tt.src, err)
			continue
		}
		want := Pos{Line: 1, Col: tt.col, Offset: tt.col - 1}
		if e.Pos != want || e.Msg != tt.msg || e.Code != CodeConditionSyntax || e.Severity != SeverityError {
			t.Errorf("ParseCondition(%q) = %d:%d (offset %d) %s %q [%s],\n\twant %d:%d %s %q [%s]",
				tt.src, e.Pos.Line, e.Pos.Col, e.Pos.Offset, e.Severity, e.Msg, e.Code,
				want.Line, want.Col, SeverityError, tt.msg, CodeConditionSyntax)
		}
	}
}

func TestParseDepth(t *testing.T) {
	nest := func(n int) string { return strings.Repeat("(", n) + "a" + strings.Repeat(")", n) }
	// Each level of parentheses costs five levels of recursion, and the
	// top level costs four, so n levels need 5n+4 < MaxDepth.
	if _, err := parseSrc(nest(199)); err != nil {
		t.Errorf("199 levels: %v", err)
	}
	_, err := parseSrc(nest(200))
	var e *Error
	if !errors.As(err, &e) || e.Msg != "exceeded max depth limit of 1000" {
		t.Fatalf("200 levels: got %v, want the depth error", err)
	}
	if _, err := ParseCondition(nest(3), ConditionOptions{MaxDepth: 19}); err == nil || !strings.Contains(err.Error(), "exceeded max depth limit of 19") {
		t.Errorf("MaxDepth 19, 3 levels: got %v, want the depth error", err)
	}
	if _, err := ParseCondition(nest(3), ConditionOptions{MaxDepth: 20}); err != nil {
		t.Errorf("MaxDepth 20, 3 levels: %v", err)
	}
	// Deep input of any shape must fail cleanly, not exhaust the stack.
	for _, src := range []string{
		strings.Repeat("not(", 100000),
		strings.Repeat("b64(", 100000),
		"a.b = " + strings.Repeat("b64(", 100000),
		strings.Repeat("a and (", 100000),
	} {
		if _, err := parseSrc(src); err == nil {
			t.Errorf("ParseCondition(%.20q...) succeeded", src)
		}
	}
}

func TestParseMap(t *testing.T) {
	// A Map that places the condition at line 7, column 12 of a file.
	m := func(off int) Pos { return Pos{File: "rules.yaml", Line: 7, Col: 12 + off, Offset: 100 + off} }
	x, err := ParseCondition("proc.name = cat and fd.name startswith /etc", ConditionOptions{Map: m})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	Inspect(x, func(n Node) bool {
		if n != nil {
			got = append(got, n.Pos().String())
		}
		return true
	})
	want := []string{
		"rules.yaml:7:12", // and
		"rules.yaml:7:12", // check
		"rules.yaml:7:12", // proc.name
		"rules.yaml:7:24", // cat
		"rules.yaml:7:32", // check
		"rules.yaml:7:32", // fd.name
		"rules.yaml:7:51", // /etc
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("positions mismatch (-want +got):\n%s", diff)
	}
	_, err = ParseCondition("proc.name = (cat)", ConditionOptions{Map: m})
	if err == nil || err.Error() != "rules.yaml:7:24: error: expected a string value or a field with a valid transformer: "+
		"'val', 'tolower', 'toupper', 'b64', 'basename', 'len', 'join', 'concat', 'getopt' [condition-syntax]" {
		t.Errorf("got %v", err)
	}
}

func TestNodePositions(t *testing.T) {
	src := `(proc.aname[2]=nginx and evt.type in (connect,accept)) or (not fd.name exists) or b64(x.y)[k] = val(a.b)`
	x, err := parseSrc(src)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	Inspect(x, func(n Node) bool {
		if n == nil {
			return false
		}
		got = append(got, fmt.Sprintf("%s@%d", nodeKind(n), n.Pos().Col))
		switch n := n.(type) {
		case *FieldRef:
			if n.HasArg {
				got = append(got, fmt.Sprintf("arg@%d", n.ArgPos.Col))
			}
		case *Transformer:
			if n.HasArg {
				got = append(got, fmt.Sprintf("targ@%d", n.ArgPos.Col))
			}
		case *CheckExpr:
			got = append(got, fmt.Sprintf("op@%d", n.OpPos.Col))
		}
		return true
	})
	want := []string{
		"LogicalExpr@2",
		"LogicalExpr@2",
		"CheckExpr@2", "op@15", "FieldRef@2", "arg@13", "StringLit@16",
		"CheckExpr@26", "op@35", "FieldRef@26", "ListLit@38", "StringLit@39", "StringLit@47",
		"NotExpr@60", "CheckExpr@64", "op@72", "FieldRef@64",
		"CheckExpr@83", "op@95", "Transformer@83", "targ@92", "FieldRef@87", "Transformer@97", "FieldRef@101",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("positions mismatch (-want +got):\n%s", diff)
	}
}

// kind names n's node type, e.g. "FieldRef".
func nodeKind(n Node) string { return strings.TrimPrefix(fmt.Sprintf("%T", n), "*syntax.") }

// FuzzParseCondition checks the parser's invariants on any input: it does
// not panic or hang, it returns a tree exactly when it returns no error,
// errors are *Error values that point into the input, and every accepted
// condition survives a round trip through the printer. The seed corpus is
// in testdata/fuzz/FuzzParseCondition; more seeds come from the
// conformance cases and the upstream rule files.
func FuzzParseCondition(f *testing.F) {
	for _, file := range []string{conditionsTSV, conditionsCompileTSV} {
		for _, r := range readConditionTSV(f, file) {
			f.Add(r.condition)
		}
	}
	for _, c := range upstreamConditions(f) {
		f.Add(c.condition)
	}
	f.Fuzz(func(t *testing.T, src string) {
		x, err := parseSrc(src)
		if (x == nil) == (err == nil) {
			t.Fatalf("ParseCondition(%q) = %v, %v: want exactly one of tree and error", src, x, err)
		}
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("ParseCondition(%q) error is a %T, want *Error", src, err)
			}
			if e.Code != CodeConditionSyntax || e.Severity != SeverityError || e.Msg == "" {
				t.Fatalf("ParseCondition(%q) = %+v, want a condition-syntax error", src, e)
			}
			if e.Pos.Offset < 0 || e.Pos.Offset > len(src) || e.Pos.Col != e.Pos.Offset+1 || e.Pos.Line != 1 {
				t.Fatalf("ParseCondition(%q) error position %+v is outside the input", src, e.Pos)
			}
			return
		}
		Inspect(x, func(n Node) bool {
			if n != nil && (n.Pos().Offset < 0 || n.Pos().Offset >= len(src)) {
				t.Fatalf("ParseCondition(%q): node %T at %+v is outside the input", src, n, n.Pos())
			}
			return true
		})
		assertRoundTrip(t, src, x)
	})
}

// BenchmarkParseCondition parses every macro and rule condition of the
// upstream rule files once per iteration.
func BenchmarkParseCondition(b *testing.B) {
	conds := upstreamConditions(b)
	size := 0
	for _, c := range conds {
		size += len(c.condition)
	}
	b.SetBytes(int64(size))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		for _, c := range conds {
			if _, err := ParseCondition(c.condition, ConditionOptions{}); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(conds)), "ns/condition")
}

// BenchmarkFormatCondition prints every upstream condition once per
// iteration.
func BenchmarkFormatCondition(b *testing.B) {
	var xs []Expr
	for _, c := range upstreamConditions(b) {
		x, err := parseSrc(c.condition)
		if err != nil {
			b.Fatal(err)
		}
		xs = append(xs, x)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		for _, x := range xs {
			_ = FormatCondition(x)
		}
	}
}
