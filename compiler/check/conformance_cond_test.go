package check

import (
	"bufio"
	"os"
	"strings"
	"testing"

	"github.com/falconer-sec/falconer/compiler/syntax"
)

const conformanceDir = "../../testdata/conformance"

// tsvRow is one data line of a conformance table.
type tsvRow struct {
	line int
	cols []string
}

func readTSV(t *testing.T, path string) []tsvRow {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rows []tsvRow
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	n := 0
	for sc.Scan() {
		n++
		l := sc.Text()
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		rows = append(rows, tsvRow{line: n, cols: strings.Split(l, "\t")})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return rows
}

func col(r tsvRow, i int) string {
	if i < len(r.cols) {
		return r.cols[i]
	}
	return ""
}

// TestConditionCompileConformance checks every row of
// conditions-compile.tsv: conditions compiled against the real syscall
// catalog, and the warning resolver rows.
func TestConditionCompileConformance(t *testing.T) {
	skip := deviationSkips(t, "conditions-compile.tsv")
	for _, r := range readTSV(t, conformanceDir+"/conditions-compile.tsv") {
		expect, cond, msg := col(r, 0), col(r, 1), col(r, 2)
		t.Run(cond, func(t *testing.T) {
			if reason, ok := skip[cond]; ok {
				t.Skipf("deviation: %s", reason)
			}
			switch expect {
			case "ok", "error":
				tree, _, diags := CheckCondition(cond, Config{})
				errs := diags.Errors()
				if expect == "ok" {
					if len(errs) > 0 || tree == nil {
						t.Fatalf("line %d: CheckCondition(%q) = %v, want no error", r.line, cond, errs)
					}
					return
				}
				if len(errs) == 0 {
					t.Fatalf("line %d: CheckCondition(%q) succeeded, want error %q", r.line, cond, msg)
				}
				if msg != "" && !strings.Contains(errs[0].Msg, msg) {
					t.Fatalf("line %d: CheckCondition(%q) error = %q, want it to contain %q", r.line, cond, errs[0].Msg, msg)
				}
			case "warning-unsafe-na", "warning-deprecated-field", "no-warning":
				x, err := syntax.ParseCondition(cond, syntax.ConditionOptions{})
				if err != nil {
					t.Fatalf("line %d: ParseCondition(%q): %v", r.line, cond, err)
				}
				ws := resolveWarnings(x)
				var codes []syntax.Code
				for _, w := range ws {
					codes = append(codes, w.Code)
				}
				want := map[string]syntax.Code{
					"warning-unsafe-na":        syntax.CodeUnsafeNACheck,
					"warning-deprecated-field": syntax.CodeDeprecated,
				}[expect]
				if expect == "no-warning" {
					if len(ws) != 0 {
						t.Fatalf("line %d: warnings for %q = %v, want none", r.line, cond, codes)
					}
					return
				}
				if len(ws) != 1 || ws[0].Code != want {
					t.Fatalf("line %d: warnings for %q = %v, want one %s", r.line, cond, codes, want)
				}
			default:
				t.Fatalf("line %d: unknown expectation %q", r.line, expect)
			}
		})
	}
}

// deviationSkips returns the cases of a conformance table that
// docs/deviations.md lists as deliberate deviations, with the reason.
// A row of the deviations table names the table file in its first column
// and the case in its second, in backquotes.
func deviationSkips(t *testing.T, table string) map[string]string {
	t.Helper()
	data, err := os.ReadFile("../../docs/deviations.md")
	if err != nil {
		if os.IsNotExist(err) {
			return nil
		}
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, l := range strings.Split(string(data), "\n") {
		cells := strings.Split(l, "|")
		if len(cells) < 5 {
			continue
		}
		file := strings.Trim(strings.TrimSpace(cells[1]), "`")
		if file != table {
			continue
		}
		c := strings.TrimSpace(cells[2])
		c = strings.TrimPrefix(strings.TrimSuffix(c, "`"), "`")
		out[c] = strings.TrimSpace(cells[3])
	}
	return out
}
