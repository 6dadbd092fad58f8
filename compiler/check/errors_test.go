package check

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/falconer-sec/falconer/compiler/syntax"
)

// The files in testdata/errors state the diagnostics they must produce
// inline, as go/parser's error tests do: a comment
//
//	# ERROR "regexp"      or      # WARNING "regexp"
//
// on a line expects a diagnostic of that severity on that line whose
// message matches the regexp. A comment line holding only expectations
// applies to the closest line above it that is not such a comment (use it
// for lines that cannot carry a comment, such as lines of a block scalar).
// Several expectations may follow one '#'. Every diagnostic must be
// expected and every expectation met.

var expectRE = regexp.MustCompile(`(ERROR|WARNING)\s+"((?:[^"\\]|\\.)*)"`)

// expectation is one expected diagnostic.
type expectation struct {
	line int
	sev  syntax.Severity
	re   *regexp.Regexp
	src  string
	met  bool
}

// expectations extracts the expectations of a file.
func expectations(t *testing.T, name string, src []byte) []*expectation {
	t.Helper()
	var out []*expectation
	target := 0
	for i, l := range strings.Split(string(src), "\n") {
		line := i + 1
		hash := strings.Index(l, "# ERROR")
		if w := strings.Index(l, "# WARNING"); w >= 0 && (hash < 0 || w < hash) {
			hash = w
		}
		if hash < 0 {
			target = line
			continue
		}
		at := line
		if strings.TrimSpace(l[:hash]) == "" {
			at = target // a comment line applies to the line above
		} else {
			target = line
		}
		for _, m := range expectRE.FindAllStringSubmatch(l[hash:], -1) {
			// The regexp is taken as written, except that \" stands
			// for a double quote.
			pat := strings.ReplaceAll(m[2], `\"`, `"`)
			re, err := regexp.Compile(pat)
			if err != nil {
				t.Fatalf("%s:%d: bad regexp %q: %v", name, line, pat, err)
			}
			sev := syntax.SeverityError
			if m[1] == "WARNING" {
				sev = syntax.SeverityWarning
			}
			out = append(out, &expectation{line: at, sev: sev, re: re, src: m[0]})
		}
	}
	return out
}

// errorFiles lists the test files of testdata/errors, each a set of files
// loaded together: a.yaml alone, or a.1.yaml, a.2.yaml, ... in order.
func errorFiles(t *testing.T) map[string][]string {
	t.Helper()
	names, err := filepath.Glob("testdata/errors/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(names)
	sets := map[string][]string{}
	for _, n := range names {
		base := strings.TrimSuffix(filepath.Base(n), ".yaml")
		if i := strings.LastIndexByte(base, '.'); i > 0 {
			if _, err := strconv.Atoi(base[i+1:]); err == nil {
				base = base[:i]
			}
		}
		sets[base] = append(sets[base], n)
	}
	return sets
}

// TestErrors checks every file of testdata/errors against its inline
// expectations, and that together they exercise every diagnostic code
// rule files can produce.
func TestErrors(t *testing.T) {
	seen := map[syntax.Code]bool{}
	sets := errorFiles(t)
	var keys []string
	for k := range sets {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		paths := sets[k]
		t.Run(k, func(t *testing.T) {
			var files []*syntax.File
			var diags syntax.ErrorList
			var exps []*expectation
			byFile := map[string][]*expectation{}
			for _, p := range paths {
				src, err := os.ReadFile(p)
				if err != nil {
					t.Fatal(err)
				}
				f, errs := syntax.LoadFile(p, src)
				files = append(files, f)
				diags = append(diags, errs...)
				e := expectations(t, p, src)
				byFile[p] = e
				exps = append(exps, e...)
			}
			if len(exps) == 0 {
				t.Fatalf("%v: no expectations", paths)
			}
			_, cdiags := Check(files, Config{})
			diags = append(diags, cdiags...)
			diags.Sort()
			for _, d := range diags {
				seen[d.Code] = true
				found := false
				for _, e := range byFile[d.Pos.File] {
					if !e.met && e.line == d.Pos.Line && e.sev == d.Severity && e.re.MatchString(d.Msg) {
						e.met, found = true, true
						break
					}
				}
				if !found {
					t.Errorf("unexpected %s", d)
				}
			}
			for p, es := range byFile {
				for _, e := range es {
					if !e.met {
						t.Errorf("%s:%d: missing %s", p, e.line, e.src)
					}
				}
			}
		})
	}
	// Every code rule files can produce must be exercised. file-read only
	// comes from reading files (package compiler tests it).
	for _, c := range syntax.Codes() {
		if c == syntax.CodeFileRead {
			continue
		}
		if !seen[c] {
			t.Errorf("no test file produces code %s", c)
		}
	}
}

// TestExpectations checks the parsing of inline expectations.
func TestExpectations(t *testing.T) {
	src := "a: 1 # ERROR \"x\" WARNING \"y\\\"z\"\nb: |\n  text\n  # ERROR \"in block\"\nc: 3\n"
	es := expectations(t, "f", []byte(src))
	var got []string
	for _, e := range es {
		got = append(got, fmt.Sprintf("%d %s %s", e.line, e.sev, e.re))
	}
	want := []string{"1 error x", `1 warning y"z`, "3 error in block"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("expectations = %q, want %q", got, want)
	}
}
