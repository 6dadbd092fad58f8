package syntax

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"
)

// The golden files of this package are rewritten with go test -update.
// The flag is registered only if no other test file of the package has
// registered it already.
var _ = func() bool {
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite golden files")
	}
	return true
}()

func updateGolden() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

// checkGolden compares got with the golden file name, or rewrites it with
// -update.
func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	if updateGolden() {
		if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(name, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(name)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", name, diff)
	}
}

const upstreamRulesGlob = "../../testdata/upstream-rules/*.yaml"

// upstreamCondition is the condition of one macro or rule of an upstream
// rule file.
type upstreamCondition struct {
	file, kind, name, condition string
}

// upstreamConditions returns the condition of every macro and rule of the
// upstream rule files, in file order.
func upstreamConditions(t testing.TB) []upstreamCondition {
	t.Helper()
	files, err := filepath.Glob(upstreamRulesGlob)
	if err != nil || len(files) == 0 {
		t.Fatalf("no upstream rule files (%v)", err)
	}
	var out []upstreamCondition
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var items []map[string]any
		if err := yaml.Unmarshal(data, &items); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, it := range items {
			cond, ok := it["condition"].(string)
			if !ok {
				continue
			}
			for _, kind := range []string{"macro", "rule"} {
				if name, ok := it[kind].(string); ok {
					out = append(out, upstreamCondition{filepath.Base(f), kind, name, cond})
				}
			}
		}
	}
	if len(out) < 100 {
		t.Fatalf("found only %d upstream conditions", len(out))
	}
	return out
}

// printerCases are the golden cases of TestFormatCondition: each prints
// to testdata/printer/NAME.golden.
var printerCases = []struct{ name, src string }{
	{"single_check", "proc.name=cat"},
	{"macro", "  my_macro  "},
	{"and_or_precedence", "a or b and c or not d and e"},
	{"nested_groups", "(a and b) and (c or (d or e)) and ((f))"},
	{"negation", "not a and not (b or c) and not not d and not(not(e))"},
	{"not_macro", "x.y exists and not"},
	{"fields", `proc.aname[2] = bash and evt.arg.flags contains O_RDWR and proc.env["HOME"] = /root and test.str['a aa'] = 1 and test.str[""] = x and a.b[x\y] = z`},
	{"operators", "a.a exists and a.b=1 and a.c==1 and a.d!=1 and a.e<1 and a.f<=1 and a.g>1 and a.h>=1 and a.i contains x and a.j icontains x and a.k bcontains 0a and a.l startswith x and a.m bstartswith 0a and a.n endswith x and a.o glob x* and a.p iglob X* and a.q regex '^x$'"},
	{"lists", `a.b in (x, "y z", 'w', 1, <NA>) and a.c intersects () and a.d pmatch (/etc, /var/run) and a.e in my_list`},
	{"numbers", "a.b > -1 and a.c < +2.5 and a.d >= 0x1F and a.e <= 1.5e+10 and a.f = 007"},
	{"quoting", `a.b = "has space" and a.c = "it's" and a.d = "a=b" and a.e = "back\\slash" and a.f = "tab\there" and a.g = "trailing\x5c" and a.h = "" and a.i = "(x)" and a.j = "a,b" and a.k = "\x01\x7f" and a.l = "ünï"`},
	{"transformers", `tolower(proc.name) = toupper(proc.pname) and b64(evt.arg.data) exists and basename(proc.exepath) = cat and len(proc.args) > 3 and some.field = val(other.field)`},
	{"multivalue_transformers", `join("-", (fd.name, fd.directory, "x y", 1)) = a-b and concat(proc.name, "@", b64(x.y)) exists and getopt(proc.args, "nt:")[t] = v and getopt(proc.args, "nt:")["a b"] != w and join(",", ()) = x`},
	{"modifiers", "proc.name startswith oneof (sshd, sudo) and proc.cmdline contains allof (curl, 'a b') and fd.name == anyof my_list and proc.name == oneof and proc.name = anyof ()"},
	{"exceptions_shape", `((proc.cmdline contains curl or proc.cmdline contains wget) and not proc.cmdline contains "curl 127.0.0.1")`},
	{"blanks", "a\n\tand\r\n(b\bor\tc)\n"},
}

func TestFormatCondition(t *testing.T) {
	for _, tc := range printerCases {
		t.Run(tc.name, func(t *testing.T) {
			x, err := parseSrc(tc.src)
			if err != nil {
				t.Fatalf("ParseCondition(%q) = %v", tc.src, err)
			}
			got := FormatCondition(x)
			checkGolden(t, filepath.Join("testdata", "printer", tc.name+".golden"), got+"\n")
			assertRoundTrip(t, tc.src, x)
		})
	}
}

// TestFormatUpstream pins the printed form of every upstream condition.
func TestFormatUpstream(t *testing.T) {
	var b strings.Builder
	for _, c := range upstreamConditions(t) {
		x, err := parseSrc(c.condition)
		if err != nil {
			t.Errorf("%s: %s %q: %v", c.file, c.kind, c.name, err)
			continue
		}
		b.WriteString(c.file + "\t" + c.kind + "\t" + c.name + "\n\t" + FormatCondition(x) + "\n")
	}
	checkGolden(t, filepath.Join("testdata", "printer", "upstream.golden"), b.String())
}

// assertRoundTrip checks that x, parsed from src, prints to text that
// parses back to the same tree and prints the same again.
func assertRoundTrip(t testing.TB, src string, x Expr) {
	t.Helper()
	printed := FormatCondition(x)
	y, err := parseSrc(printed)
	if err != nil {
		t.Errorf("ParseCondition(FormatCondition(ParseCondition(%q))) = %v\n\tprinted: %s", src, err, printed)
		return
	}
	if diff := cmp.Diff(x, y, condCmpOpts); diff != "" {
		t.Errorf("round trip of %q through %q changed the tree (-first +second):\n%s", src, printed, diff)
	}
	if again := FormatCondition(y); again != printed {
		t.Errorf("printing %q twice gave %q, then %q", src, printed, again)
	}
}

func TestRoundTrip(t *testing.T) {
	var srcs []string
	for _, file := range []string{conditionsTSV, conditionsCompileTSV} {
		for _, r := range readConditionTSV(t, file) {
			if r.expect != "error" {
				srcs = append(srcs, r.condition)
			}
		}
	}
	for _, c := range upstreamConditions(t) {
		srcs = append(srcs, c.condition)
	}
	n := 0
	for _, src := range srcs {
		x, err := parseSrc(src)
		if err != nil {
			t.Errorf("ParseCondition(%q) = %v", src, err)
			continue
		}
		assertRoundTrip(t, src, x)
		n++
	}
	if n < 500 {
		t.Errorf("round-tripped only %d conditions", n)
	}
}

// TestFormatFalcoForm checks the printed form against Falco's compiled
// conditions from the rule loader's unit tests.
func TestFormatFalcoForm(t *testing.T) {
	tests := []struct{ src, want string }{
		{"proc.name = cat", "proc.name = cat"},
		{"evt.type=open and proc.name in (ash, bash)", "(evt.type = open and proc.name in (ash, bash))"},
		{"(proc.cmdline contains curl or proc.cmdline contains wget) and not proc.cmdline contains \"curl 127.0.0.1\"",
			`((proc.cmdline contains curl or proc.cmdline contains wget) and not proc.cmdline contains "curl 127.0.0.1")`},
		{"evt.type = open and not proc.name = 'proc.pname '", `(evt.type = open and not proc.name = "proc.pname ")`},
		{"evt.type = open and not proc.name = \"toupper( proc.pname)\"", `(evt.type = open and not proc.name = "toupper( proc.pname)")`},
		{"evt.type = open and not tolower(proc.name) = test", "(evt.type = open and not tolower(proc.name) = test)"},
		{"(evt.type = open) and not (proc.name startswith oneof (sshd, sudo) and fd.name startswith /etc/)",
			"(evt.type = open and not (proc.name startswith oneof (sshd, sudo) and fd.name startswith /etc/))"},
		{"evt.type = open and (((proc.aname = sshd and proc.name != sshd) or proc.name = systemd-logind or proc.name = login) or proc.name = ssh)",
			"(evt.type = open and (((proc.aname = sshd and proc.name != sshd) or proc.name = systemd-logind or proc.name = login) or proc.name = ssh))"},
		{`a.b = "x\ty\\z'q\"w"`, `a.b = "x\ty\\z'q\"w"`},
	}
	for _, tt := range tests {
		x, err := parseSrc(tt.src)
		if err != nil {
			t.Errorf("ParseCondition(%q) = %v", tt.src, err)
			continue
		}
		if got := FormatCondition(x); got != tt.want {
			t.Errorf("FormatCondition(%q) = %q, want %q", tt.src, got, tt.want)
		}
	}
}

func TestFormatNode(t *testing.T) {
	x, err := parseSrc(`tolower(proc.aname[2]) in (a, "b c") and x.y = val(z.w) and join("-", (a.b, 1)) exists and m`)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	Inspect(x, func(n Node) bool {
		if n != nil {
			got = append(got, FormatNode(n))
		}
		return true
	})
	want := []string{
		`(tolower(proc.aname[2]) in (a, "b c") and x.y = val(z.w) and join("-", (a.b, 1)) exists and m)`,
		`tolower(proc.aname[2]) in (a, "b c")`, `tolower(proc.aname[2])`, `proc.aname[2]`, `(a, "b c")`, `a`, `"b c"`,
		`x.y = val(z.w)`, `x.y`, `val(z.w)`, `z.w`,
		`join("-", (a.b, 1)) exists`, `join("-", (a.b, 1))`, `-`, `(a.b, 1)`, `a.b`, `1`,
		`m`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("FormatNode mismatch (-want +got):\n%s", diff)
	}
}
