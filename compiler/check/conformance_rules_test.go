package check

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/falconer-sec/falconer/compiler/syntax"
)

// loadFiles loads rule files with the loader and checks them as one rule
// set, returning every diagnostic (loader and checker).
func loadFiles(t *testing.T, dir string, names []string) (*Result, syntax.ErrorList) {
	t.Helper()
	var files []*syntax.File
	var diags syntax.ErrorList
	for _, n := range names {
		src, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil {
			t.Fatal(err)
		}
		f, errs := syntax.LoadFile(n, src)
		diags = append(diags, errs...)
		files = append(files, f)
	}
	res, cdiags := Check(files, Config{})
	diags = append(diags, cdiags...)
	diags.Sort()
	return res, diags
}

// matching returns the diagnostics of severity sev whose message contains
// frag and, when code is set, whose Falco code is code.
func matching(l syntax.ErrorList, sev syntax.Severity, frag, code string) syntax.ErrorList {
	var out syntax.ErrorList
	for _, d := range l {
		if d.Severity != sev || !strings.Contains(d.Msg, frag) {
			continue
		}
		if code != "" && d.Code.Falco() != code {
			continue
		}
		out = append(out, d)
	}
	return out
}

// TestRuleLoaderConformance runs Falco's rule-loader cases: every row of
// cases.tsv and expectations.tsv in testdata/conformance/rulefiles.
func TestRuleLoaderConformance(t *testing.T) {
	dir := conformanceDir + "/rulefiles"
	skip := deviationSkips(t, "cases.tsv")
	for _, r := range readTSV(t, dir+"/cases.tsv") {
		fileList, expect, frag, code := col(r, 0), col(r, 1), col(r, 2), col(r, 3)
		name := fileList + "/" + expect
		if frag != "" {
			name += "/" + frag
		}
		t.Run(name, func(t *testing.T) {
			if reason, ok := skip[fileList+" "+expect]; ok {
				t.Skipf("deviation: %s", reason)
			}
			names := strings.Split(fileList, ",")
			_, diags := loadFiles(t, dir, names)
			errs, warns := diags.Errors(), diags.Warnings()
			switch expect {
			case "ok":
				if len(errs) > 0 {
					t.Fatalf("line %d: load %s: errors %v, want none", r.line, fileList, errs)
				}
			case "ok-nowarn":
				if len(errs) > 0 || len(warns) > 0 {
					t.Fatalf("line %d: load %s: diagnostics\n%s want none", r.line, fileList, diags)
				}
			case "warning":
				if len(matching(diags, syntax.SeverityWarning, frag, code)) == 0 {
					t.Fatalf("line %d: load %s: no warning containing %q (code %q) in\n%s", r.line, fileList, frag, code, diags)
				}
			case "no-warning":
				if m := matching(diags, syntax.SeverityWarning, frag, code); len(m) > 0 {
					t.Fatalf("line %d: load %s: unexpected warnings\n%s", r.line, fileList, m)
				}
			case "error":
				if len(matching(diags, syntax.SeverityError, frag, code)) == 0 {
					t.Fatalf("line %d: load %s: no error containing %q (code %q) in\n%s", r.line, fileList, frag, code, diags)
				}
			case "no-warnings-at-all":
				if len(warns) > 0 {
					t.Fatalf("line %d: load %s: warnings\n%s want none", r.line, fileList, warns)
				}
			case "error-count", "warning-count":
				want, err := strconv.Atoi(frag)
				if err != nil {
					t.Fatalf("line %d: bad count %q", r.line, frag)
				}
				got := len(errs)
				if expect == "warning-count" {
					got = len(warns)
				}
				if got != want {
					t.Fatalf("line %d: load %s: %s = %d, want %d\n%s", r.line, fileList, expect, got, want, diags)
				}
			case "schema-ok", "schema-warning":
				// The loader's own tests cover the schema check; here
				// the files only go through Check.
			default:
				if n, ok := strings.CutPrefix(expect, "file-"); ok {
					k, err := strconv.Atoi(strings.TrimSuffix(n, "-loads-ok"))
					if err != nil || k < 1 || k > len(names) {
						t.Fatalf("line %d: bad expectation %q", r.line, expect)
					}
					_, d := loadFiles(t, dir, names[:k])
					if e := d.Errors(); len(e) > 0 {
						t.Fatalf("line %d: load %v: errors %v, want none", r.line, names[:k], e)
					}
					return
				}
				t.Fatalf("line %d: unknown expectation %q", r.line, expect)
			}
		})
	}

	for _, r := range readTSV(t, dir+"/expectations.tsv") {
		file, rule, kind, want := col(r, 0), col(r, 1), col(r, 2), col(r, 3)
		t.Run(file+"/"+rule+"/"+kind, func(t *testing.T) {
			if reason, ok := skip[file+" "+kind]; ok {
				t.Skipf("deviation: %s", reason)
			}
			res, diags := loadFiles(t, dir, strings.Split(file, ","))
			if errs := diags.Errors(); len(errs) > 0 {
				t.Fatalf("line %d: load %s: errors %v", r.line, file, errs)
			}
			if kind == "enabled_rules_count" {
				n := 0
				for _, x := range res.Rules {
					if x.Enabled && x.Skipped == "" {
						n++
					}
				}
				if got := strconv.Itoa(n); got != want {
					t.Fatalf("line %d: %s: enabled rules = %s, want %s", r.line, file, got, want)
				}
				return
			}
			x := res.Rule(rule)
			if x == nil {
				t.Fatalf("line %d: %s: no rule %q", r.line, file, rule)
			}
			var got string
			switch kind {
			case "condition_compiled":
				got = syntax.FormatCondition(x.Condition)
			case "output_compiled", "info.output":
				got = x.Output
			case "info.condition":
				got = x.ConditionText
			case "info.description":
				got = x.Desc
			case "info.priority":
				got = x.Priority.String()
			case "info.capture":
				got = strconv.FormatBool(x.Capture)
			case "info.capture_duration":
				got = strconv.FormatUint(uint64(x.CaptureDuration), 10)
			case "info.enabled":
				got = strconv.FormatBool(x.Enabled)
			default:
				t.Fatalf("line %d: unknown kind %q", r.line, kind)
			}
			if got != want {
				t.Fatalf("line %d: %s rule %q %s:\n got %q\nwant %q", r.line, file, rule, kind, got, want)
			}
		})
	}
}
