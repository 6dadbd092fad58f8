package check

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/falconer-sec/falconer/compiler/syntax"
)

// FuzzCheck loads arbitrary bytes as a rule file and checks it: Check must
// never panic, must return a result, and every diagnostic it reports must
// point into the file.
func FuzzCheck(f *testing.F) {
	for _, dir := range []string{"testdata/errors", "testdata/golden", conformanceDir + "/rulefiles"} {
		names, _ := filepath.Glob(filepath.Join(dir, "*.yaml"))
		for _, n := range names {
			if data, err := os.ReadFile(n); err == nil {
				f.Add(data)
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		file, _ := syntax.LoadFile("f.yaml", data)
		res, diags := Check([]*syntax.File{file}, Config{})
		if res == nil {
			t.Fatal("Check returned a nil result")
		}
		for _, d := range diags {
			if d.Pos.File != "f.yaml" || !d.Pos.IsValid() {
				t.Fatalf("diagnostic without a position in the file: %v", d)
			}
		}
		for _, r := range res.Rules {
			if r.Condition != nil && r.Info == nil {
				t.Fatalf("rule %q has a condition but no info", r.Name)
			}
		}
	})
}
