package ci_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/falconer-sec/falconer/ci"
	"github.com/falconer-sec/falconer/compiler"
	"github.com/falconer-sec/falconer/compiler/ruletest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// TestTestReportGolden pins the JSON of the test-report predicate: what
// cosign verify-attestation shows an auditor.
func TestTestReportGolden(t *testing.T) {
	dir := filepath.Join("testdata", "report")
	prog, diags, err := compiler.Compile(os.DirFS(dir), []string{"rules.yaml"}, compiler.Options{})
	if err != nil {
		t.Fatalf("compile: %v\n%s", err, diags)
	}
	data, err := os.ReadFile(filepath.Join(dir, "tests.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	f, err := ruletest.Parse("tests/tests.yaml", data)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := ruletest.Run(prog, []*ruletest.File{f}, ruletest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	tr := ci.NewTestReport(rep)
	if tr.Passed != 2 || tr.Failed != 1 || tr.Coverage.Covered != 1 || tr.Coverage.Rules != 2 || tr.Coverage.Percent != 50 {
		t.Errorf("report: %d passed, %d failed, coverage %+v; want 2, 1, 1 of 2 rules (50%%)", tr.Passed, tr.Failed, tr.Coverage)
	}
	pred, err := tr.Predicate()
	if err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	if err := json.Indent(&got, pred, "", "  "); err != nil {
		t.Fatal(err)
	}
	got.WriteByte('\n')
	golden := filepath.Join("testdata", "report.golden.json")
	if *update {
		if err := os.WriteFile(golden, got.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), got.String()); diff != "" {
		t.Errorf("test report predicate (-want +got):\n%s", diff)
	}
	var back ci.TestReport
	if err := json.Unmarshal(pred, &back); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(*tr, back); diff != "" {
		t.Errorf("predicate does not round-trip (-want +got):\n%s", diff)
	}
}
