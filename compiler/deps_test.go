package compiler_test

import (
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/falconer-sec/falconer"

// goPackage is the part of `go list -json` this test reads.
type goPackage struct {
	ImportPath string
	Standard   bool
	Imports    []string
	Deps       []string
}

// listPackages runs go list over the whole module.
func listPackages(t *testing.T) []goPackage {
	t.Helper()
	cmd := exec.Command("go", "list", "-json=ImportPath,Standard,Imports,Deps", module+"/...")
	cmd.Dir = ".."
	out, err := cmd.Output()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			t.Fatalf("go list: %v\n%s", err, ee.Stderr)
		}
		t.Fatalf("go list: %v", err)
	}
	var pkgs []goPackage
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for dec.More() {
		var p goPackage
		if err := dec.Decode(&p); err != nil {
			t.Fatalf("decoding go list output: %v", err)
		}
		pkgs = append(pkgs, p)
	}
	if len(pkgs) == 0 {
		t.Fatal("go list found no packages")
	}
	return pkgs
}

func isStd(path string) bool {
	first, _, _ := strings.Cut(path, "/")
	return !strings.Contains(first, ".")
}

func within(path, prefix string) bool {
	return path == prefix || strings.HasPrefix(path, prefix+"/")
}

// TestDependencyDirection enforces the style guide's one-way dependency
// rules: the compiler builds anywhere from the standard library and the
// YAML library alone, the evaluator carries no parser, every heavy
// dependency has one home, and nothing imports cmd/.
func TestDependencyDirection(t *testing.T) {
	pkgs := listPackages(t)

	// Heavy dependencies and the only module directory that may import them.
	homes := []struct{ dep, home string }{
		{"github.com/cilium/ebpf", module + "/bpf"},
		{"oras.land/oras-go", module + "/registry"},
		{"github.com/sigstore", module + "/registry"},
		{"github.com/google/go-containerregistry", module + "/registry"},
		{"github.com/go-git/go-git", module + "/ci"},
		{"k8s.io/client-go", module + "/agent"},
	}

	for _, p := range pkgs {
		if within(p.ImportPath, module+"/compiler") {
			for _, d := range p.Deps {
				if isStd(d) || within(d, module+"/compiler") || within(d, "go.yaml.in/yaml/v3") {
					continue
				}
				t.Errorf("%s depends on %s: compiler/... may use only the standard library, the YAML library and compiler/...", p.ImportPath, d)
			}
		}
		if within(p.ImportPath, module+"/compiler/ir") || within(p.ImportPath, module+"/compiler/eval") {
			for _, d := range p.Deps {
				if within(d, module+"/compiler/syntax") || within(d, module+"/compiler/check") {
					t.Errorf("%s depends on %s: the compiled ruleset and the evaluator must not carry the parser or checker", p.ImportPath, d)
				}
			}
		}
		for _, imp := range p.Imports {
			if within(imp, module+"/cmd") {
				t.Errorf("%s imports %s: nothing may import cmd/", p.ImportPath, imp)
			}
			for _, h := range homes {
				if strings.HasPrefix(imp, h.dep) && !within(p.ImportPath, h.home) && !strings.HasSuffix(p.ImportPath, ".test") {
					t.Errorf("%s imports %s: %s has one home, %s", p.ImportPath, imp, h.dep, h.home)
				}
			}
		}
	}
}
