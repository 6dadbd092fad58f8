package fields

import (
	"bytes"
	"flag"
	"os"
	"testing"

	"github.com/falconer-sec/falconer/compiler/fields/internal/gen"
)

var update = flag.Bool("update", false, "rewrite the generated tables from data/")

// TestGeneratedCurrent re-runs the generator over data/ and fails if the
// committed tables differ. With -update it rewrites them instead.
func TestGeneratedCurrent(t *testing.T) {
	files, err := gen.Generate(os.DirFS("data"))
	if err != nil {
		t.Fatalf("Generate(data) = %v", err)
	}
	for _, name := range gen.Outputs() {
		want := files[name]
		if *update {
			if err := os.WriteFile(name, want, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(name)
		if err != nil {
			t.Fatalf("reading committed %s: %v", name, err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s is stale: run go generate ./compiler/fields (or go test -run TestGeneratedCurrent -update)", name)
		}
	}
}
