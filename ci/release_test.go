package ci_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5/config"

	"github.com/falconer-sec/falconer/agent/replay"
	"github.com/falconer-sec/falconer/ci"
)

// defaultRuleset is the project's default ruleset with its tests, copied
// into rules repositories by the tests.
const defaultRuleset = "../rulesets/default"

// copyDir copies the regular files under src to dst.
func copyDir(t testing.TB, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// rulesRepo makes a repository laid out as the templates expect: the
// default ruleset in rules/, its tests in tests/, committed, tagged
// v1.2.0, with an origin remote.
func rulesRepo(t testing.TB) (*testRepo, string) {
	t.Helper()
	r := newRepo(t)
	if err := os.MkdirAll(filepath.Join(r.dir, "rules"), 0o755); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(defaultRuleset, "falconer_rules.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	r.write("rules/falconer_rules.yaml", string(data))
	copyDir(t, filepath.Join(defaultRuleset, "tests"), filepath.Join(r.dir, "tests"))
	r.write(".gitignore", "rules/local*.yaml\n")
	h := r.commit("rules")
	r.tag("v1.2.0", h, true)
	if _, err := r.repo.CreateRemote(&config.RemoteConfig{Name: "origin", URLs: []string{"https://example.com/acme/rules.git"}}); err != nil {
		t.Fatal(err)
	}
	return r, h.String()
}

func TestBuild(t *testing.T) {
	r, commit := rulesRepo(t)
	// An ignored file in rules/ is in the work tree but not the commit: a
	// clean build must not pick it up.
	r.write("rules/local.yaml", "- list: local_only\n  items: []\n")

	rel, err := ci.Build(r.dir, ci.BuildOptions{Capture: replay.TestCapture})
	if err != nil {
		t.Fatalf("Build: %v\n%s", err, rel.Diagnostics)
	}
	if rel.Version != "1.2.0" || rel.Info.Commit != commit || rel.Info.Dirty {
		t.Errorf("Build: version %q commit %s dirty %v; want 1.2.0 %s clean", rel.Version, rel.Info.Commit, rel.Info.Dirty, commit)
	}
	if len(rel.Rules) != 1 || rel.Rules[0].Path != "rules/falconer_rules.yaml" || rel.Rules[0].Name != "falconer_rules.yaml" {
		t.Errorf("Build: rule files %+v, want rules/falconer_rules.yaml only", ruleNames(rel))
	}
	if len(rel.Program.Sources) != 1 || rel.Program.Sources[0].Name != "rules/falconer_rules.yaml" {
		t.Errorf("Build: compiled sources %+v", rel.Program.Sources)
	}
	if rel.Tests == nil || rel.Tests.Failed() != 0 || len(rel.Tests.Results) == 0 {
		t.Fatalf("Build: tests %+v", rel.Tests)
	}
	if got := ci.CoveragePercent(rel.Tests); got != 100 {
		t.Errorf("coverage = %.1f%%, want 100%%", got)
	}
	captured := false
	for _, res := range rel.Tests.Results {
		if res.Case.Capture != "" && res.Events > 0 {
			captured = true
		}
		if !strings.HasPrefix(res.Case.File, "tests/") {
			t.Errorf("case file %q: want a path in the repository", res.Case.File)
		}
	}
	if !captured {
		t.Errorf("no capture case ran")
	}
	var stages []string
	for _, s := range rel.Stages {
		stages = append(stages, s.Name)
	}
	if got := strings.Join(stages, ","); got != "describe,lint+compile,test,encode" {
		t.Errorf("stages = %s", got)
	}

	// The same commit builds to the same bytes, from any directory.
	again, err := ci.Build(filepath.Join(r.dir, "tests"), ci.BuildOptions{Rules: []string{"../rules"}, NoTests: true})
	if err != nil {
		t.Fatal(err)
	}
	if again.CompiledDigest != rel.CompiledDigest || again.Tests != nil {
		t.Errorf("rebuild from tests/: digest %s tests %v, want %s and no tests", again.CompiledDigest, again.Tests, rel.CompiledDigest)
	}
}

func ruleNames(rel *ci.Release) []string {
	var out []string
	for _, f := range rel.Rules {
		out = append(out, f.Path+"="+f.Name)
	}
	return out
}

func TestBuildDirty(t *testing.T) {
	r, _ := rulesRepo(t)
	r.write("rules/extra.yaml", "- list: extra_binaries\n  items: [x]\n")
	if _, err := ci.Build(r.dir, ci.BuildOptions{NoTests: true}); !errors.Is(err, ci.ErrDirty) {
		t.Fatalf("Build(dirty) = %v, want ErrDirty", err)
	}
	rel, err := ci.Build(r.dir, ci.BuildOptions{NoTests: true, AllowDirty: true})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(rel.Version, ".dirty") || !strings.HasPrefix(rel.Version, "1.2.1-0.") {
		t.Errorf("dirty version = %q", rel.Version)
	}
	// A forced build reads the work tree, uncommitted file included.
	if got := ruleNames(rel); len(got) != 2 || got[0] != "rules/extra.yaml=extra.yaml" {
		t.Errorf("dirty rule files = %v", got)
	}
}

func TestBuildFailures(t *testing.T) {
	tests := []struct {
		name    string
		edit    func(r *testRepo)
		opts    ci.BuildOptions
		wantErr error
		check   func(t *testing.T, rel *ci.Release)
	}{
		{
			name: "lint error",
			edit: func(r *testRepo) {
				r.write("rules/zz_broken.yaml", "- rule: Broken\n  desc: d\n  condition: proc.nope = 1\n  output: o\n  priority: WARNING\n")
			},
			wantErr: ci.ErrLint,
			check: func(t *testing.T, rel *ci.Release) {
				if errs := rel.Diagnostics.Errors(); len(errs) == 0 || !strings.Contains(errs[0].Error(), "rules/zz_broken.yaml:3:") {
					t.Errorf("diagnostics = %v, want an error at rules/zz_broken.yaml:3", errs)
				}
			},
		},
		{
			name: "strict warning",
			edit: func(r *testRepo) {
				r.write("rules/zz_unused.yaml", "- macro: never_used_macro\n  condition: proc.name = x\n")
			},
			opts:    ci.BuildOptions{Strict: true, NoTests: true},
			wantErr: ci.ErrLint,
			check: func(t *testing.T, rel *ci.Release) {
				if len(rel.Diagnostics.Warnings()) == 0 || rel.Diagnostics.HasErrors() {
					t.Errorf("diagnostics = %v, want warnings only", rel.Diagnostics)
				}
			},
		},
		{
			name: "failing test",
			edit: func(r *testRepo) {
				r.write("tests/zz_wrong.yaml", "tests:\n  - name: cat is not netcat\n    process: {name: cat, parent: {name: bash}}\n    event: {type: execve}\n    fires: Netcat remote code execution in container\n")
			},
			wantErr: ci.ErrTests,
			check: func(t *testing.T, rel *ci.Release) {
				if rel.Tests == nil || rel.Tests.Failed() != 1 {
					t.Errorf("tests = %+v, want one failure", rel.Tests)
				}
			},
		},
		{
			name:    "bad test file",
			edit:    func(r *testRepo) { r.write("tests/zz_bad.yaml", "tests:\n  - name: x\n    bogus: 1\n") },
			wantErr: ci.ErrTests,
		},
		{
			name: "coverage below minimum",
			edit: func(r *testRepo) {
				r.write("rules/zz_more.yaml", "- rule: Untested rule\n  desc: d\n  condition: evt.type = execve and proc.name = untested\n  output: o\n  priority: NOTICE\n")
			},
			opts:    ci.BuildOptions{MinCoverage: 100, Capture: replay.TestCapture},
			wantErr: ci.ErrTests,
			check: func(t *testing.T, rel *ci.Release) {
				if rel.Tests == nil || rel.Tests.Failed() != 0 || ci.CoveragePercent(rel.Tests) >= 100 {
					t.Errorf("tests = %+v, want no failure and coverage below 100%%", rel.Tests)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, _ := rulesRepo(t)
			tt.edit(r)
			r.commit(tt.name)
			opts := tt.opts
			if opts.Capture == nil && !opts.NoTests {
				opts.Capture = replay.TestCapture
			}
			rel, err := ci.Build(r.dir, opts)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Build = %v, want %v", err, tt.wantErr)
			}
			if rel == nil {
				t.Fatalf("Build returned no release with %v", err)
			}
			if tt.check != nil {
				tt.check(t, rel)
			}
		})
	}
}

func TestBuildPaths(t *testing.T) {
	r, _ := rulesRepo(t)
	// Rule files at the repository root: hidden files such as a CI
	// definition are not rule files.
	data, err := os.ReadFile(filepath.Join(defaultRuleset, "falconer_rules.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	r.write("top_rules.yaml", string(data))
	r.write(".gitlab-ci.yml", "stages: [lint]\n")
	r.commit("top level")
	rel, err := ci.Build(r.dir, ci.BuildOptions{Rules: []string{"."}, NoTests: true})
	if err != nil {
		t.Fatalf("Build(.): %v\n%s", err, rel.Diagnostics)
	}
	if got := ruleNames(rel); len(got) != 1 || got[0] != "top_rules.yaml=top_rules.yaml" {
		t.Errorf("root rule files = %v", got)
	}
	if _, err := ci.Build(r.dir, ci.BuildOptions{Rules: []string{"../elsewhere"}}); err == nil || !strings.Contains(err.Error(), "outside the repository") {
		t.Errorf("Build(rules outside) = %v", err)
	}
	if _, err := ci.Build(r.dir, ci.BuildOptions{Rules: []string{"rules", "rules/falconer_rules.yaml"}, NoTests: true}); err == nil || !strings.Contains(err.Error(), "both be packaged") {
		t.Errorf("Build(same file twice) = %v", err)
	}
	if _, err := ci.Build(r.dir, ci.BuildOptions{Tests: []string{"nope"}}); !errors.Is(err, ci.ErrTests) {
		t.Errorf("Build(missing tests) = %v, want ErrTests", err)
	}
	if _, err := ci.Build(t.TempDir(), ci.BuildOptions{}); !errors.Is(err, ci.ErrNotRepository) {
		t.Errorf("Build(not a repository) = %v", err)
	}
}
