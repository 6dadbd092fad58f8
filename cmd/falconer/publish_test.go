package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/spf13/cobra"

	"github.com/falconer-sec/falconer/registry"
	"github.com/falconer-sec/falconer/registry/registrytest"
)

// gitopsRepo is a rules repository laid out as the CI templates expect,
// built with go-git: rules/ and tests/ copied from the default ruleset.
type gitopsRepo struct {
	t    testing.TB
	dir  string
	repo *git.Repository
	wt   *git.Worktree
	when time.Time
}

// newGitopsRepo makes the repository with its first commit, tagged
// v1.1.0, and an origin remote. extra files (path -> content) are added
// to that commit.
func newGitopsRepo(t testing.TB, extra map[string]string) (*gitopsRepo, plumbing.Hash) {
	t.Helper()
	g := initGitopsRepo(t)
	g.copy("../../rulesets/default/falconer_rules.yaml", "rules/falconer_rules.yaml")
	g.copy("../../rulesets/default/tests", "tests")
	for p, c := range extra {
		g.write(p, c)
	}
	h := g.commit("rules")
	g.tag("v1.1.0", h)
	return g, h
}

// initGitopsRepo makes an empty repository with an origin remote.
func initGitopsRepo(t testing.TB) *gitopsRepo {
	t.Helper()
	dir := t.TempDir()
	r, err := git.PlainInit(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	wt, err := r.Worktree()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.CreateRemote(&config.RemoteConfig{Name: "origin", URLs: []string{"https://example.com/acme/rules.git"}}); err != nil {
		t.Fatal(err)
	}
	return &gitopsRepo{t: t, dir: dir, repo: r, wt: wt, when: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
}

func (g *gitopsRepo) write(name, content string) {
	g.t.Helper()
	p := filepath.Join(g.dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		g.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		g.t.Fatal(err)
	}
}

// copy copies a file or a directory tree from the project into the
// repository.
func (g *gitopsRepo) copy(src, dst string) {
	g.t.Helper()
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		g.write(filepath.ToSlash(filepath.Join(dst, rel)), string(data))
		return nil
	})
	if err != nil {
		g.t.Fatal(err)
	}
}

// commit commits everything, an hour after the previous commit.
func (g *gitopsRepo) commit(msg string) plumbing.Hash {
	g.t.Helper()
	if err := g.wt.AddWithOptions(&git.AddOptions{All: true}); err != nil {
		g.t.Fatal(err)
	}
	g.when = g.when.Add(time.Hour)
	sig := &object.Signature{Name: "CI", Email: "ci@example.com", When: g.when}
	h, err := g.wt.Commit(msg, &git.CommitOptions{Author: sig, Committer: sig})
	if err != nil {
		g.t.Fatal(err)
	}
	return h
}

// tag makes an annotated tag.
func (g *gitopsRepo) tag(name string, h plumbing.Hash) {
	g.t.Helper()
	sig := &object.Signature{Name: "CI", Email: "ci@example.com", When: g.when}
	if _, err := g.repo.CreateTag(name, h, &git.CreateTagOptions{Message: name, Tagger: sig}); err != nil {
		g.t.Fatal(err)
	}
}

// raisePriority changes the priority of "Read sensitive file untrusted"
// from WARNING to ERROR, and its test's expectation with it.
func (g *gitopsRepo) raisePriority() {
	g.t.Helper()
	g.replace("rules/falconer_rules.yaml", "- rule: Read sensitive file untrusted", "priority: WARNING", "priority: ERROR")
	g.replace("tests/read_sensitive_file.yaml", "", "priority: warning", "priority: error")
}

// replace replaces the first old after the first anchor in a file of the
// work tree.
func (g *gitopsRepo) replace(name, anchor, old, new string) {
	g.t.Helper()
	data, err := os.ReadFile(filepath.Join(g.dir, filepath.FromSlash(name)))
	if err != nil {
		g.t.Fatal(err)
	}
	s := string(data)
	i := strings.Index(s, anchor)
	j := -1
	if i >= 0 {
		j = strings.Index(s[i:], old)
	}
	if j < 0 {
		g.t.Fatalf("%s: no %q after %q", name, old, anchor)
	}
	g.write(name, s[:i+j]+new+s[i+j+len(old):])
}

// publishOut is the part of publish --json the tests read.
type publishOut struct {
	Ref, Digest, Version, Commit, Created string
	Tags                                  []string
	Size, CompiledSize                    int64
	Rules                                 int
	Tests                                 *struct{ Passed, Failed int }
	Attestations                          []string
	Stages                                []struct {
		Name    string
		Seconds float64
	}
}

// execStdout runs a command and returns its standard output and error
// apart; the command must succeed.
func execStdout(t *testing.T, c *cobra.Command, args ...string) (stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	c.SetArgs(args)
	c.SetOut(&out)
	c.SetErr(&errb)
	c.SetIn(strings.NewReader(""))
	if err := c.ExecuteContext(context.Background()); err != nil {
		t.Fatalf("%s %s: %v\n%s%s", c.Name(), strings.Join(args, " "), err, out.String(), errb.String())
	}
	return out.String(), errb.String()
}

func TestPublishCmd(t *testing.T) {
	srv := registrytest.New(t)
	keys := registrytest.NewKeys(t)
	g, _ := newGitopsRepo(t, nil)
	g.raisePriority()
	head := g.commit("raise")
	g.tag("v1.2.0", head)
	t.Setenv("COSIGN_PASSWORD", string(keys.Password))
	t.Setenv("GITHUB_REF", "")

	repo := srv.Host + "/acme/falco-rules"
	refFile := filepath.Join(t.TempDir(), "published.ref")
	junit := filepath.Join(t.TempDir(), "junit.xml")
	out, _ := execStdout(t, newPublishCmd(), repo, "--repo", g.dir, "--key", keys.PrivatePath, "--json", "--ref-file", refFile, "--junit", junit)
	var res publishOut
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("publish --json: %v\n%s", err, out)
	}
	if res.Version != "1.2.0" || res.Commit != head.String() || res.Created != "2026-03-01T14:00:00Z" || res.Ref != repo+"@"+res.Digest {
		t.Errorf("publish: %+v", res)
	}
	if strings.Join(res.Tags, ",") != "1.2.0,1.2,1,latest" || len(res.Attestations) != 2 || res.Tests == nil || res.Tests.Failed != 0 || res.Tests.Passed == 0 {
		t.Errorf("publish: tags %v attestations %v tests %+v", res.Tags, res.Attestations, res.Tests)
	}
	var stages []string
	for _, s := range res.Stages {
		stages = append(stages, s.Name)
	}
	if got := strings.Join(stages, ","); got != "load-key,describe,lint+compile,test,encode,push,sign,attest" {
		t.Errorf("stages = %s", got)
	}
	if data, err := os.ReadFile(refFile); err != nil || string(data) != res.Ref+"\n" {
		t.Errorf("--ref-file holds %q, %v; want %s", data, err, res.Ref)
	}
	if data, err := os.ReadFile(junit); err != nil || !strings.Contains(string(data), "<testsuites") {
		t.Errorf("--junit wrote %.100q, %v", data, err)
	}
	v, err := registry.Verify(context.Background(), repo+":latest", registry.VerifyOptions{
		PublicKey: keys.PublicPEM, RequireAttestations: []string{registry.PredicateSLSAProvenance, registry.PredicateTestReport},
	})
	if err != nil || v.Digest != res.Digest {
		t.Fatalf("Verify = %+v, %v", v, err)
	}

	// The text form names the digest and the tags. --rules is relative to
	// the current directory, not to --repo.
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	relRules, err := filepath.Rel(wd, filepath.Join(g.dir, "rules"))
	if err != nil {
		t.Fatal(err)
	}
	out = mustExec(t, newPublishCmd(), repo, "--repo", g.dir, "--rules", relRules, "--key", keys.PrivatePath, "--no-tests", "--tag", "text")
	for _, want := range []string{"version 1.2.0", "pushed " + res.Ref, "tags: text\n", "signed: ", "attested " + registry.PredicateSLSAProvenance, "test: no tests"} {
		if !strings.Contains(out, want) {
			t.Errorf("publish output lacks %q:\n%s", want, out)
		}
	}
}

func TestPublishCmdErrors(t *testing.T) {
	srv := registrytest.New(t)
	keys := registrytest.NewKeys(t)
	t.Setenv("COSIGN_PASSWORD", string(keys.Password))
	repo := srv.Host + "/acme/rules"

	tests := []struct {
		name     string
		setup    func(g *gitopsRepo)
		args     []string
		password string
		want     string // in the error or the output
		findings bool   // exit status 1 with findings printed
	}{
		{name: "no key", args: []string{}, want: "--key is required"},
		{name: "dirty", setup: func(g *gitopsRepo) { g.write("rules/new.yaml", "- list: x\n  items: []\n") }, want: "uncommitted changes"},
		{name: "lint error", setup: func(g *gitopsRepo) {
			g.write("rules/zz.yaml", "- rule: Broken\n  desc: d\n  condition: proc.nope = 1\n  output: o\n  priority: WARNING\n")
			g.commit("broken")
		}, want: "zz.yaml:3:", findings: true},
		{name: "failing test", setup: func(g *gitopsRepo) {
			g.write("tests/zz.yaml", "tests:\n  - name: cat is not netcat\n    process: {name: cat, parent: {name: bash}}\n    event: {type: execve}\n    fires: Netcat remote code execution in container\n")
			g.commit("wrong test")
		}, want: "FAIL tests/zz.yaml:2: cat is not netcat", findings: true},
		{name: "coverage", args: []string{"--min-coverage", "101"}, want: "rule coverage 100.0% is below the minimum 101.0%", findings: true},
		{name: "wrong password", password: "nope", want: "load key"},
		{name: "rules outside", args: []string{"--rules", "/"}, want: "outside the repository"},
		{name: "unreachable", args: []string{"--retries", "0"}, want: "registry unreachable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, _ := newGitopsRepo(t, nil)
			if tt.setup != nil {
				tt.setup(g)
			}
			if tt.password != "" {
				t.Setenv("COSIGN_PASSWORD", tt.password)
			}
			ref := repo
			if tt.name == "unreachable" {
				ref = "127.0.0.1:1/acme/rules"
			}
			args := append([]string{ref, "--repo", g.dir}, tt.args...)
			if tt.name != "no key" {
				args = append(args, "--key", keys.PrivatePath)
			}
			out, err := execCmd(t, context.Background(), newPublishCmd(), args...)
			if err == nil {
				t.Fatalf("publish %v succeeded:\n%s", args, out)
			}
			if tt.findings != (err == errFindings) {
				t.Errorf("publish error = %v, findings %v", err, tt.findings)
			}
			if !strings.Contains(err.Error()+"\n"+out, tt.want) {
				t.Errorf("publish: %v\n%s\nwant %q", err, out, tt.want)
			}
		})
	}

	// --force publishes a dirty tree under a pseudo-version.
	g, _ := newGitopsRepo(t, nil)
	g.write("rules/new.yaml", "- list: extra_list\n  items: []\n")
	out, stderr := execStdout(t, newPublishCmd(), repo, "--repo", g.dir, "--key", keys.PrivatePath, "--force", "--no-tests", "--json")
	if !strings.Contains(stderr, "rules/new.yaml:1:3: warning:") {
		t.Errorf("warnings not printed on stderr:\n%s", stderr)
	}
	var res publishOut
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if !strings.HasPrefix(res.Version, "1.1.1-0.20260301130000-") || !strings.HasSuffix(res.Version, ".dirty") || len(res.Tags) != 1 || res.Tags[0] != res.Version {
		t.Errorf("forced dirty publish: version %q tags %v", res.Version, res.Tags)
	}
}

// BenchmarkPublishUpstream times `falconer publish` end to end, with the
// built binary against the embedded registry (registry.NewServer, a fresh
// one for each run): the three upstream Falco rule files (plus the tuning
// file their tests load last) and their rule tests, from git describe
// through lint, compile, test, push, sign and both attestations. It
// reports the artifact's size and each stage's time. Rerun with
//
//	go test -run '^$' -bench PublishUpstream -benchtime 5x ./cmd/falconer
func BenchmarkPublishUpstream(b *testing.B) {
	bin := filepath.Join(buildFalconer(b), "falconer")
	keys := registrytest.NewKeys(b)
	g := initGitopsRepo(b)
	rules := []string{"falco_rules.yaml", "falco-incubating_rules.yaml", "falco-sandbox_rules.yaml"}
	var order []string
	for _, f := range rules {
		g.copy("../../testdata/upstream-rules/"+f, "rules/"+f)
		order = append(order, "rules/"+f)
	}
	g.copy("../../compiler/ruletest/testdata/upstream/tuning.yaml", "rules/tuning.yaml")
	g.copy("../../compiler/ruletest/testdata/upstream/falco_rules_test.yaml", "tests/falco_rules_test.yaml")
	order = append(order, "rules/tuning.yaml")
	h := g.commit("upstream rules")
	g.tag("v6.0.0", h)

	stages := map[string]float64{}
	var last publishOut
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		srv := registrytest.NewAt(b, b.TempDir())
		cmd := exec.Command(bin, "publish", srv.Host+"/falcosecurity/rules", "--rules", strings.Join(order, ","), "--tests", "tests", "--key", keys.PrivatePath, "--json")
		cmd.Dir = g.dir
		cmd.Env = append(os.Environ(), "COSIGN_PASSWORD="+string(keys.Password))
		cmd.Env = append(cmd.Env, "FALCONER_KEY_PASSWORD="+string(keys.Password))
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		b.StartTimer()
		err := cmd.Run()
		b.StopTimer()
		srv.Close()
		if err != nil {
			b.Fatalf("falconer publish: %v\n%s", err, stderr.String())
		}
		last = publishOut{}
		if err := json.Unmarshal(stdout.Bytes(), &last); err != nil {
			b.Fatalf("publish --json: %v\n%s", err, stdout.String())
		}
		for _, s := range last.Stages {
			stages[s.Name] += s.Seconds
		}
		b.StartTimer()
	}
	b.StopTimer()
	if last.Tests == nil || last.Tests.Failed != 0 || len(last.Attestations) != 2 {
		b.Fatalf("publish result: %+v", last)
	}
	b.ReportMetric(float64(last.Size), "artifact-bytes")
	b.ReportMetric(float64(last.CompiledSize), "compiled-bytes")
	b.ReportMetric(float64(last.Rules), "rules")
	b.ReportMetric(float64(last.Tests.Passed), "cases")
	for name, sec := range stages {
		b.ReportMetric(1000*sec/float64(b.N), name+"-ms")
	}
}
