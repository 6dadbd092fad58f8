package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/falconer-sec/falconer/registry"
	"github.com/falconer-sec/falconer/registry/registrytest"
)

func TestDiffGit(t *testing.T) {
	g, first := newGitopsRepo(t, nil)
	g.raisePriority()
	second := g.commit("raise")
	g.tag("v1.2.0", second)
	// An uncommitted change is not part of any revision.
	g.write("rules/falconer_rules.yaml", "- list: scratch\n  items: []\n")

	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"tags", []string{"git:v1.1.0", "git:v1.2.0"}, []string{"priority changed: Read sensitive file untrusted\n  - Warning\n  + Error\n"}},
		{"relative", []string{"git:HEAD~1", "git:HEAD"}, []string{"priority changed: Read sensitive file untrusted"}},
		{"hashes", []string{"git:" + first.String()[:8], "git:" + second.String()}, []string{"priority changed"}},
		{"markdown", []string{"git:HEAD^", "git:master", "--format", "markdown"}, []string{"### Falconer ruleset diff", "1 priority changed", "priority changed: `Read sensitive file untrusted`", "```diff\n- Warning\n+ Error\n```"}},
		{"same", []string{"git:v1.2.0", "git:HEAD"}, []string{"no changes\n"}},
		{"rules file", []string{"git:HEAD~1", "git:HEAD", "--rules", "rules/falconer_rules.yaml"}, []string{"priority changed"}},
		// Against the work tree (a local directory): the scratch file
		// replaced every rule.
		{"work tree", []string{"git:HEAD", filepath.Join(g.dir, "rules")}, []string{"rule removed: Read sensitive file untrusted"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append(append([]string{}, tt.args...), "--repo", g.dir)
			out := mustExec(t, newDiffCmd(), args...)
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("diff %v lacks %q:\n%s", tt.args, w, out)
				}
			}
		})
	}

	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"git:nope", "git:HEAD"}, `unknown revision "nope"`},
		{[]string{"git:HEAD~9", "git:HEAD"}, `unknown revision "HEAD~9"`},
		{[]string{"git:HEAD", "git:HEAD", "--rules", "nope"}, "could not read rules file"},
		{[]string{"git:HEAD", "git:HEAD", "--rules", "../outside"}, "want a path relative to the repository root"},
		{[]string{"git:HEAD", "git:HEAD", "--repo", t.TempDir()}, "not a git repository"},
	} {
		args := tt.args
		if !strings.Contains(strings.Join(args, " "), "--repo") {
			args = append(args, "--repo", g.dir)
		}
		if out, err := execCmd(t, context.Background(), newDiffCmd(), args...); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("diff %v = %v, want an error with %q\n%s", tt.args, err, tt.want, out)
		}
	}
}

func TestDiffOCI(t *testing.T) {
	srv := registrytest.New(t)
	keys, other := registrytest.NewKeys(t), registrytest.NewKeys(t)
	t.Setenv("COSIGN_PASSWORD", string(keys.Password))
	g, _ := newGitopsRepo(t, nil)
	repo := srv.Host + "/acme/rules"
	out := mustExec(t, newPublishCmd(), repo, "--repo", g.dir, "--key", keys.PrivatePath, "--no-tests")
	if !strings.Contains(out, "tags: 1.1.0, 1.1, 1, latest") {
		t.Fatalf("publish:\n%s", out)
	}
	g.raisePriority()
	g.commit("raise")

	mustContain := func(out string, want ...string) {
		t.Helper()
		for _, w := range want {
			if !strings.Contains(out, w) {
				t.Errorf("diff output lacks %q:\n%s", w, out)
			}
		}
	}
	// The published ruleset against the next commit, verified first.
	out = mustExec(t, newDiffCmd(), "oci:"+repo+":1.1.0", "git:HEAD", "--repo", g.dir, "--key", keys.PublicPath, "--format", "markdown")
	mustContain(out, "priority changed: `Read sensitive file untrusted`")
	out = mustExec(t, newDiffCmd(), "oci:"+repo+":latest", "git:HEAD~1", "--repo", g.dir)
	mustContain(out, "no changes")
	if out, err := execCmd(t, context.Background(), newDiffCmd(), "oci:"+repo+":1", "git:HEAD", "--repo", g.dir, "--key", other.PublicPath); err == nil || !strings.HasPrefix(err.Error(), "signature invalid") {
		t.Errorf("diff with someone else's key = %v\n%s", err, out)
	}
	if _, err := execCmd(t, context.Background(), newDiffCmd(), "oci:"+repo+":9.9.9", "git:HEAD", "--repo", g.dir); err == nil || !strings.HasPrefix(err.Error(), "not found") {
		t.Errorf("diff of a missing tag = %v", err)
	}

	// Artifacts without a usable compiled layer (pushed by another tool,
	// or by a falconer whose format this one cannot read) are compiled
	// from their rule files.
	rules, err := os.ReadFile(filepath.Join(g.dir, "rules", "falconer_rules.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		tag      string
		compiled []byte
		warn     string
	}{
		{"plain", nil, ""},
		{"garbled", []byte("not a compiled ruleset"), "compiling its rule files instead"},
	} {
		a, err := registry.Pack(registry.Ruleset{Name: "rules", Version: "2.0.0", RuleFiles: []registry.File{{Name: "falconer_rules.yaml", Data: rules}}, Compiled: tc.compiled})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := registry.Push(context.Background(), repo, a, registry.PushOptions{Tags: []string{tc.tag}}); err != nil {
			t.Fatal(err)
		}
		out := mustExec(t, newDiffCmd(), "oci:"+repo+":"+tc.tag, "git:HEAD", "--repo", g.dir)
		mustContain(out, "no changes", tc.warn)
	}
}
