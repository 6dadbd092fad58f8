package check

import (
	"fmt"
	"strings"
	"testing"

	"github.com/falconer-sec/falconer/compiler/fields"
	"github.com/falconer-sec/falconer/compiler/syntax"
)

// textOf builds a srcText over one plain scalar on line 1.
func textOf(s string) *srcText {
	sc := &syntax.Scalar{Pos: syntax.Pos{File: "f", Line: 1, Col: 1}, Value: s, Set: true}
	var t srcText
	t.appendScalar(sc)
	return &t
}

func TestSubstitute(t *testing.T) {
	tests := []struct {
		cond, name, sub, want string
	}{
		{"proc.name in (shells)", "shells", "bash, sh", "proc.name in ( bash, sh )"},
		{"proc.name in (a, empty)", "empty", "", "proc.name in (a  )"},
		{"proc.name in (empty, a)", "empty", "", "proc.name in (   a)"},
		{"proc.name in (empty)", "empty", "", "proc.name in (  )"},
		{"shells", "shells", "bash", "bash "},
		{`proc.cmdline = "x cat_binaries y"`, "cat_binaries", "cat", `proc.cmdline = "x cat y"`},
		{"proc.name = shells", "shells", "bash", "proc.name = bash "},
		{"proc.name in (myshells)", "shells", "bash", "proc.name in (myshells)"},
		{"proc.name in (shells_x)", "shells", "bash", "proc.name in (shells_x)"},
		{"a in (l, l)", "l", "x", "a in ( x , x )"},
		{"a in (l,\n  l)", "l", "x", "a in ( x , x )"},
		{"l", "l", "x", "x "},
		{"l or l", "l", "x", "x or x "},
	}
	for _, tt := range tests {
		got := textOf(tt.cond)
		got.substitute(tt.name, tt.sub)
		if got.text != tt.want {
			t.Errorf("substitute(%q, %q, %q) = %q, want %q", tt.cond, tt.name, tt.sub, got.text, tt.want)
		}
	}
}

func TestSubstitutePositions(t *testing.T) {
	tx := textOf("evt.type in (types) and proc.pid = x")
	tx.substitute("types", "open, openat")
	// "evt.type in ( open, openat ) and proc.pid = x"
	if got, want := tx.posAt(strings.Index(tx.text, "openat")).Col, 14; got != want {
		t.Errorf("substituted item maps to column %d, want %d (the list name)", got, want)
	}
	if got, want := tx.posAt(strings.LastIndex(tx.text, "x")).Col, 36; got != want {
		t.Errorf("text after the list maps to column %d, want %d", got, want)
	}
	if got, want := tx.posAt(0).Col, 1; got != want {
		t.Errorf("text before the list maps to column %d, want %d", got, want)
	}
}

func TestQuoteItem(t *testing.T) {
	for in, want := range map[string]string{
		"bash":         "bash",
		"a b":          `"a b"`,
		`"a b"`:        `"a b"`,
		`'a b'`:        `'a b'`,
		`x "y" z`:      `"x "y" z"`,
		"tab\there":    "tab\there",
		"curl 1.1.1.1": `"curl 1.1.1.1"`,
	} {
		if got := quoteItem(in); got != want {
			t.Errorf("quoteItem(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestListExpansion checks Falco's one-level list expansion and the
// ordering quirk of textual substitution.
func TestListExpansion(t *testing.T) {
	src := `- list: c
  items: [c1]
- list: b
  items: [c, b1]
- list: a
  items: [b, a1]
- list: later
  items: [x]
- list: d
  items: [later, d1]
- list: e
  items: [e1]
- list: f
  items: [e, f1]
- list: e
  items: [e2]
- rule: r
  desc: d
  condition: evt.type = open and proc.name in (a, d, f)
  output: o
  priority: INFO
`
	res, diags := checkSource(t, src)
	if diags.HasErrors() {
		t.Fatal(diags.Err())
	}
	items := map[string]string{}
	for _, l := range res.Lists {
		items[l.Name] = strings.Join(l.Items, " ")
	}
	want := map[string]string{
		"c": "c1",
		"b": "c1 b1",
		// one level only: c stays a name inside a
		"a":     "c b1 a1",
		"later": "x",
		// later was defined before d
		"d": "x d1",
		"e": "e2",
		// e keeps its first position, so f still sees it, with its new items
		"f": "e2 f1",
	}
	for k, v := range want {
		if items[k] != v {
			t.Errorf("list %s = %q, want %q", k, items[k], v)
		}
	}
	// c, left as a name in a's items, comes before a: substitution of a
	// inserts "c" after c was already tried, so it stays a literal.
	got := syntax.FormatCondition(res.Rule("r").Condition)
	wantCond := "(evt.type = open and proc.name in (c, b1, a1, x, d1, e2, f1))"
	if got != wantCond {
		t.Errorf("condition = %q, want %q", got, wantCond)
	}
}

// TestLaterListSubstitutedAgain covers the other half of the quirk: a name
// inserted by a list is substituted when its list comes later in
// definition order.
func TestLaterListSubstitutedAgain(t *testing.T) {
	src := `- list: a
  items: [z, a1]
- list: z
  items: [z1, z2]
- rule: r
  desc: d
  condition: evt.type = open and proc.name in (a)
  output: o
  priority: INFO
`
	res, diags := checkSource(t, src)
	if diags.HasErrors() {
		t.Fatal(diags.Err())
	}
	got := syntax.FormatCondition(res.Rule("r").Condition)
	if want := "(evt.type = open and proc.name in (z1, z2, a1))"; got != want {
		t.Errorf("condition = %q, want %q", got, want)
	}
	if !res.List("z").Used {
		t.Errorf("list z not marked used")
	}
}

// TestMacroVisibility checks the definition-counter rule: a macro sees
// the macros first defined before its last definition or append.
func TestMacroVisibility(t *testing.T) {
	src := `- macro: m1
  condition: m2
- macro: m2
  condition: evt.type = open
- macro: m1
  condition: m2 and proc.name = cat
- rule: r
  desc: d
  condition: m1
  output: o
  priority: INFO
`
	res, diags := checkSource(t, src)
	if diags.HasErrors() {
		t.Fatalf("redefinition after m2 should see m2: %v", diags.Err())
	}
	if m := res.Macro("m1"); m.Pos.Line != 5 || m.Condition != "m2 and proc.name = cat" {
		t.Errorf("m1 = %+v, want the redefinition at line 5", m)
	}
	if res.Macros[0].Name != "m1" {
		t.Errorf("m1 lost its first position")
	}
	if got := syntax.FormatCondition(res.Rule("r").Condition); got != "(evt.type = open and proc.name = cat)" {
		t.Errorf("condition = %q", got)
	}
}

func TestEventTypes(t *testing.T) {
	set := func(names ...string) fields.EventSet {
		var s fields.EventSet
		for _, n := range names {
			x, ok := fields.EventTypeSet(n)
			if !ok {
				t.Fatalf("no event type %s", n)
			}
			s = s.Or(x)
		}
		return s
	}
	all := fields.AllEvents()
	tests := []struct {
		cond string
		want fields.EventSet
	}{
		{"evt.type = open", set("open")},
		{"evt.type in (open, openat)", set("open", "openat")},
		{"evt.type != open", set("open").Not()},
		{"not evt.type = open", set("open").Not()},
		{"not evt.type != open", set("open")},
		{"not not evt.type = open", set("open")},
		{"evt.type = open and evt.type = close", fields.EventSet{}},
		{"evt.type = open or evt.type = close", set("open", "close")},
		{"not (evt.type = open or proc.name = x)", set("open").Not()},
		{"not (evt.type = open and proc.name = x)", all},
		{"proc.name = cat", all},
		{"not proc.name = cat", all},
		{"evt.type exists", all},
		{"not evt.type exists", all},
		{"toupper(evt.type) = OPEN", all},
		{"evt.type == oneof (open)", all},
		{"syscall.type = open", set("open")},
		{"evt.num = 0", fields.EventSet{}},
		{"evt.num < 1", fields.EventSet{}},
		{"evt.num in (0)", fields.EventSet{}},
		{"evt.num in ()", fields.EventSet{}},
		{"evt.num != 0", all},
		{"evt.num > 0", all},
		{"evt.num >= 1", all},
		{"evt.num = 5", all},
		{"not evt.num = 0", all},
		{"evt.type = open and not (evt.num = 0)", set("open")},
		{"evt.num = 0 or evt.type = open", set("open")},
	}
	for _, tt := range tests {
		tree, info, diags := CheckCondition(tt.cond, Config{})
		if diags.HasErrors() {
			t.Errorf("CheckCondition(%q): %v", tt.cond, diags.Err())
			continue
		}
		if got := eventTypes(tree, info); got != tt.want {
			t.Errorf("eventTypes(%q) = %d codes %v, want %d codes %v", tt.cond, got.Len(), got.Names(), tt.want.Len(), tt.want.Names())
		}
	}
}

// TestCheckConditionInfo checks what the checker records about a
// condition.
func TestCheckConditionInfo(t *testing.T) {
	tree, info, diags := CheckCondition(
		`proc.pid > 10 and fd.sport in (ssh, 8080) and fd.snet = 10.0.0.0/8 and evt.buffer bcontains 6162 `+
			`and evt.type in (open, openat) and len(proc.name) > 3 and proc.name = val(proc.pname) and evt.is_io = true`,
		Config{})
	if diags.HasErrors() {
		t.Fatal(diags.Err())
	}
	var got []string
	syntax.Inspect(tree, func(n syntax.Node) bool {
		ce, ok := n.(*syntax.CheckExpr)
		if !ok {
			return true
		}
		ci := info.Checks[ce]
		var vs []string
		for _, v := range ci.Values {
			switch {
			case len(v.EventCodes) > 0:
				vs = append(vs, fmt.Sprintf("%s:%dcodes", v.Text, len(v.EventCodes)))
			case v.Bytes != nil:
				vs = append(vs, fmt.Sprintf("%q", v.Bytes))
			case v.Prefix.IsValid():
				vs = append(vs, v.Prefix.String())
			case ci.Left.Type == fields.TypeBool:
				vs = append(vs, fmt.Sprint(v.Bool))
			case ci.Left.Type.Signed():
				vs = append(vs, fmt.Sprint(v.Int))
			default:
				vs = append(vs, fmt.Sprint(v.Uint))
			}
		}
		right := ""
		if ci.RightIsField {
			right = " rhs=" + typeText(ci.Right)
		}
		got = append(got, fmt.Sprintf("%s %s %v%s", typeText(ci.Left), ce.Op, vs, right))
		return true
	})
	want := []string{
		"INT64 > [10]",
		"PORT in [22 8080]",
		"IPNET = [10.0.0.0/8]",
		`BYTEBUF bcontains ["ab"]`,
		"CHARBUF in [open:2codes openat:4codes]",
		"UINT64 > [3]",
		"CHARBUF = [] rhs=CHARBUF",
		"BOOL = [true]",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("checks:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// len() is recorded; val() only names its field.
	if n := len(info.Transformers); n != 1 {
		t.Errorf("transformers recorded: %d, want 1", n)
	}
}

func TestConfig(t *testing.T) {
	src := `- required_engine_version: 0.60.0
- rule: r
  desc: d
  condition: ka.verb = get
  output: "%ka.user.name"
  priority: INFO
  source: k8s_audit
`
	f, _ := syntax.LoadFile("rules.yaml", []byte(src))

	res, diags := Check([]*syntax.File{f}, Config{})
	if diags.HasErrors() || res.Rules[0].Skipped == "" || len(matching(diags, syntax.SeverityWarning, "Unknown source k8s_audit", "")) != 1 {
		t.Fatalf("default config: %v, skipped=%q", diags, res.Rules[0].Skipped)
	}

	res, diags = Check([]*syntax.File{f}, Config{Sources: []string{"syscall", "k8s_audit"}})
	if diags.HasErrors() || res.Rules[0].Skipped != "" || res.Rules[0].Condition == nil {
		t.Fatalf("k8s_audit loaded: %v, skipped=%q", diags, res.Rules[0].Skipped)
	}

	_, diags = Check([]*syntax.File{f}, Config{EngineVersion: "0.59.0"})
	if len(matching(diags, syntax.SeverityError, "Rules require engine version 0.60.0, but engine version is 0.59.0", "LOAD_ERR_VALIDATE")) != 1 {
		t.Fatalf("engine 0.59.0: %v", diags)
	}
	_, diags = Check([]*syntax.File{f}, Config{EngineVersion: "banana"})
	if len(matching(diags, syntax.SeverityError, "invalid engine version", "")) != 1 {
		t.Fatalf("bad engine version: %v", diags)
	}
}

func TestParseVersion(t *testing.T) {
	tests := []struct {
		in   string
		want string
		ok   bool
	}{
		{"0.57.0", "0.57.0", true},
		{"1.2.3-rc1", "1.2.3", true},
		{"1.2", "", false},
		{"x.1.2", "", false},
		{" 1. 2. 3", "1.2.3", true},
		{"", "", false},
	}
	for _, tt := range tests {
		v, ok := parseVersion(tt.in)
		if ok != tt.ok || ok && v.String() != tt.want {
			t.Errorf("parseVersion(%q) = %v, %t, want %s, %t", tt.in, v, ok, tt.want, tt.ok)
		}
	}
	for in, want := range map[string]string{"2": "0.2.0", "17": "0.17.0", "0x10": "0.16.0", "010": "0.8.0", "0.26.0": "0.26.0"} {
		v, ok := parseEngineVersion(in)
		if !ok || v.String() != want {
			t.Errorf("parseEngineVersion(%q) = %v, %t, want %s", in, v, ok, want)
		}
	}
	eng, _ := parseVersion("0.63.0")
	for req, want := range map[string]bool{"0.63.0": true, "0.57.0": true, "0.64.0": false, "1.0.0": false} {
		r, _ := parseVersion(req)
		if got := eng.compatibleWith(r); got != want {
			t.Errorf("0.63.0 compatible with %s = %t, want %t", req, got, want)
		}
	}
}

func TestPriority(t *testing.T) {
	for in, want := range map[string]Priority{
		"EMERGENCY": PriorityEmergency, "alert": PriorityAlert, "Critical": PriorityCritical,
		"error": PriorityError, "WARNING": PriorityWarning, "notice": PriorityNotice,
		"INFO": PriorityInformational, "informational": PriorityInformational, "Debug": PriorityDebug,
	} {
		got, ok := ParsePriority(in)
		if !ok || got != want {
			t.Errorf("ParsePriority(%q) = %v, %t, want %v", in, got, ok, want)
		}
	}
	if _, ok := ParsePriority("loud"); ok {
		t.Errorf("ParsePriority(loud) succeeded")
	}
	if got := PriorityInformational.String(); got != "Informational" {
		t.Errorf("String() = %q", got)
	}
	if got := Priority(42).String(); got != "Unknown" {
		t.Errorf("Priority(42).String() = %q", got)
	}
}

// TestErrorCap checks that a file with very many errors is capped.
func TestErrorCap(t *testing.T) {
	var b strings.Builder
	for i := 0; i < MaxErrors+50; i++ {
		fmt.Fprintf(&b, "- rule: r%d\n  desc: d\n  condition: evt.type = open and proc.nope%d = x\n  output: o\n  priority: INFO\n", i, i)
	}
	_, diags := checkSource(t, b.String())
	if n := len(diags.Errors()); n != MaxErrors {
		t.Fatalf("errors = %d, want the cap %d", n, MaxErrors)
	}
}

// TestDeterministic checks that the same input gives the same result and
// diagnostics.
func TestDeterministic(t *testing.T) {
	res1, d1 := loadFiles(t, "testdata/golden", []string{"features.yaml"})
	res2, d2 := loadFiles(t, "testdata/golden", []string{"features.yaml"})
	if summary(res1, d1) != summary(res2, d2) {
		t.Fatal("two checks of the same files differ")
	}
}

// TestNoCascade checks that one broken item does not cause errors in the
// items that depend on it.
func TestNoCascade(t *testing.T) {
	src := `- macro: broken
  condition: proc.name = = x
- macro: user
  condition: broken and evt.type = open
- list: l
  items: [a]
- rule: r
  desc: d
  condition: user and proc.name in (l)
  output: o
  priority: INFO
- rule: bad
  desc: d
  condition: evt.type = open
  output: o
  priority: LOUD
- rule: bad
  condition: and proc.name = x
  override:
    condition: append
- rule: bad
  enabled: false
`
	_, diags := checkSource(t, src)
	errs := diags.Errors()
	var msgs []string
	for _, e := range errs {
		msgs = append(msgs, e.Msg)
	}
	if len(errs) != 2 {
		t.Fatalf("errors = %q, want the broken macro and the bad priority only", msgs)
	}
	if w := matching(diags, syntax.SeverityWarning, "not referred to", ""); len(w) != 0 {
		t.Fatalf("unused warnings for items of broken rules: %v", w)
	}
}

// TestExceptionRendering checks how exceptions turn into condition text:
// list names in values, parenthesised scalars, quoting, pmatch.
func TestExceptionRendering(t *testing.T) {
	src := `- list: cat_binaries
  items: [cat, "c a t"]
- rule: r
  desc: d
  condition: evt.type = open
  output: o
  priority: INFO
  exceptions:
    - name: listref
      fields: [proc.name, fd.name]
      comps: [in, pmatch]
      values:
        - [cat_binaries, "(/srv, /var)"]
    - name: quoted
      fields: [proc.cmdline]
      comps: [contains]
      values:
        - ['"already quoted"']
        - ["with space"]
    - name: single
      fields: proc.pname
      comps: intersects
      values: [bash, "b c"]
    - name: empty
      fields: [proc.name]
      values: []
`
	res, diags := checkSource(t, src)
	if diags.HasErrors() {
		t.Fatal(diags.Err())
	}
	got := syntax.FormatCondition(res.Rule("r").Condition)
	want := `(evt.type = open and not (proc.name in (cat, "c a t") and fd.name pmatch (/srv, /var)) ` +
		`and not (proc.cmdline contains "already quoted" or proc.cmdline contains "with space") ` +
		`and not proc.pname intersects (bash, "b c"))`
	if got != want {
		t.Errorf("condition:\n got %s\nwant %s", got, want)
	}
	if f := strings.Join(res.Rule("r").ExceptionFields, " "); f != "fd.name proc.cmdline proc.name proc.pname" {
		t.Errorf("exception fields = %q", f)
	}
}
