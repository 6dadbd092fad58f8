package main

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	yaml "go.yaml.in/yaml/v3"

	"github.com/falconer-sec/falconer/registry"
	"github.com/falconer-sec/falconer/registry/registrytest"
)

const (
	githubWorkflow = "../../ci/templates/github/falconer.yml"
	gitlabPipeline = "../../ci/templates/gitlab/.gitlab-ci.yml"
)

// ghWorkflow is the part of a GitHub Actions workflow the tests read.
type ghWorkflow struct {
	Env  map[string]string `yaml:"env"`
	Jobs map[string]struct {
		If    string            `yaml:"if"`
		Env   map[string]string `yaml:"env"`
		Steps []ghStep          `yaml:"steps"`
	} `yaml:"jobs"`
}

type ghStep struct {
	Name string            `yaml:"name"`
	Uses string            `yaml:"uses"`
	Run  string            `yaml:"run"`
	If   string            `yaml:"if"`
	Env  map[string]string `yaml:"env"`
}

func readWorkflow(t *testing.T) *ghWorkflow {
	t.Helper()
	data, err := os.ReadFile(githubWorkflow)
	if err != nil {
		t.Fatal(err)
	}
	var wf ghWorkflow
	if err := yaml.Unmarshal(data, &wf); err != nil {
		t.Fatalf("%s: %v", githubWorkflow, err)
	}
	return &wf
}

// buildFalconer builds this command into a temporary directory and returns
// the directory.
func buildFalconer(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	cmd := exec.Command("go", "build", "-ldflags", "-X main.version=v0.0.0-test", "-o", filepath.Join(dir, "falconer"), ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return dir
}

// module is this module's path, from go.mod.
func module(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile("../../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	first, _, _ := strings.Cut(string(data), "\n")
	return strings.TrimPrefix(first, "module ")
}

var exprRE = regexp.MustCompile(`\$\{\{\s*(.*?)\s*\}\}`)

// runner runs the run: steps of the workflow's jobs the way a GitHub
// runner does (bash -eo pipefail, the workflow, job and step env, the
// runner's variables), with the ${{ }} expressions replaced by the values
// an event would give them.
type runner struct {
	t     *testing.T
	wf    *ghWorkflow
	path  string            // PATH, the built falconer first
	exprs map[string]string // expression -> value
	vars  map[string]string // runner variables (GITHUB_*, RUNNER_TEMP)
	// summary is the job summary file of the last job, temp its
	// RUNNER_TEMP.
	summary, temp string
}

func (r *runner) subst(s string) string {
	r.t.Helper()
	return exprRE.ReplaceAllStringFunc(s, func(m string) string {
		e := exprRE.FindStringSubmatch(m)[1]
		v, ok := r.exprs[e]
		if !ok {
			r.t.Fatalf("workflow expression %q has no value in this test: add it", e)
		}
		return v
	})
}

// job runs the steps of one job in workspace dir.
func (r *runner) job(name, dir string) {
	r.t.Helper()
	job, ok := r.wf.Jobs[name]
	if !ok {
		r.t.Fatalf("workflow has no job %s", name)
	}
	tmp := r.t.TempDir()
	r.temp = tmp
	r.summary = filepath.Join(tmp, "summary.md")
	// A runner's environment has no key passwords but the step's.
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "COSIGN_PASSWORD=") && !strings.HasPrefix(kv, "FALCONER_KEY_PASSWORD=") {
			env = append(env, kv)
		}
	}
	env = append(env, "PATH="+r.path, "GITHUB_WORKSPACE="+dir,
		"RUNNER_TEMP="+tmp, "GITHUB_STEP_SUMMARY="+r.summary, "GITHUB_OUTPUT="+filepath.Join(tmp, "output"),
		"GITHUB_ENV="+filepath.Join(tmp, "env"), "CI=true", "GITHUB_ACTIONS=true")
	for k, v := range r.vars {
		env = append(env, k+"="+v)
	}
	for k, v := range r.wf.Env {
		env = append(env, k+"="+r.subst(v))
	}
	for k, v := range job.Env {
		env = append(env, k+"="+r.subst(v))
	}
	installs := 0
	for _, s := range job.Steps {
		switch {
		case s.Uses != "":
			// Actions run on GitHub's runners: checkout is done by the
			// test, the others upload what the steps wrote.
			continue
		case strings.HasPrefix(s.Run, "go install "):
			// The built binary stands in for the installed one; the
			// install names this module's command.
			want := `go install "` + module(r.t) + `/cmd/falconer@${FALCONER_VERSION}"`
			if strings.TrimSpace(s.Run) != want {
				r.t.Errorf("job %s installs with %q, want %q", name, s.Run, want)
			}
			installs++
			continue
		case strings.Contains(s.Run, "gh pr comment"):
			// Needs the GitHub API; the test checks the body file.
			continue
		case s.If != "" && s.If != "always()":
			r.t.Fatalf("job %s step %q: condition %q not handled by this test", name, s.Name, s.If)
		}
		stepEnv := env
		for k, v := range s.Env {
			stepEnv = append(stepEnv, k+"="+r.subst(v))
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		cmd := exec.CommandContext(ctx, "bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", r.subst(s.Run))
		cmd.Dir, cmd.Env = dir, stepEnv
		out, err := cmd.CombinedOutput()
		cancel()
		if err != nil {
			r.t.Fatalf("job %s step %q failed: %v\n%s\n%s", name, s.Name, err, s.Run, out)
		}
		r.t.Logf("job %s step %q:\n%s", name, s.Name, out)
	}
	if installs != 1 {
		r.t.Errorf("job %s installs falconer %d times, want once", name, installs)
	}
}

// checkout clones the origin repository into a fresh workspace at rev, as
// actions/checkout with fetch-depth 0 does, origin pointing at the GitHub
// repository.
func checkout(t *testing.T, origin, rev, url string) string {
	t.Helper()
	dir := t.TempDir()
	r, err := git.PlainClone(dir, false, &git.CloneOptions{URL: origin, Tags: git.AllTags})
	if err != nil {
		t.Fatalf("clone: %v", err)
	}
	h, err := r.ResolveRevision(plumbing.Revision(rev))
	if err != nil {
		t.Fatalf("resolve %s: %v", rev, err)
	}
	wt, err := r.Worktree()
	if err != nil {
		t.Fatal(err)
	}
	if err := wt.Checkout(&git.CheckoutOptions{Hash: *h, Force: true}); err != nil {
		t.Fatal(err)
	}
	if err := r.DeleteRemote("origin"); err != nil {
		t.Fatal(err)
	}
	if _, err := r.CreateRemote(&config.RemoteConfig{Name: "origin", URLs: []string{url}}); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestGitHubWorkflowSteps runs the falconer steps of the GitHub Actions
// template, with the built binary, on a rules repository made with go-git:
// lint and test on a push, the diff on a pull request, and the publish
// job on the tag v1.2.0 against an in-process registry. The published
// artifact must verify with the key, and its provenance and annotations
// must name the tagged commit.
func TestGitHubWorkflowSteps(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the falconer binary")
	}
	bin := buildFalconer(t)
	srv := registrytest.New(t)
	keys := registrytest.NewKeys(t)

	g, base := newGitopsRepo(t, map[string]string{"cosign.pub": string(keys.PublicPEM)})
	g.raisePriority()
	head := g.commit("Raise the priority of reading sensitive files")
	g.tag("v1.2.0", head)
	headCommit, err := g.repo.CommitObject(head)
	if err != nil {
		t.Fatal(err)
	}
	const url = "https://github.com/Acme/Falco-Rules"

	r := &runner{
		t:    t,
		wf:   readWorkflow(t),
		path: bin + string(os.PathListSeparator) + os.Getenv("PATH"),
		exprs: map[string]string{
			"github.event.pull_request.base.sha": base.String(),
			"github.event.pull_request.number":   "7",
			"github.token":                       "test-token",
			"github.actor":                       "ci-bot",
			"secrets.COSIGN_PRIVATE_KEY":         string(keys.PrivatePEM),
			"secrets.COSIGN_PASSWORD":            string(keys.Password),
		},
	}
	// The registry is the in-process one instead of ghcr.io; the rest of
	// the workflow env is used as written.
	if r.wf.Env["REGISTRY"] != "ghcr.io" {
		t.Fatalf("workflow REGISTRY = %q, want ghcr.io", r.wf.Env["REGISTRY"])
	}
	r.wf.Env["REGISTRY"] = srv.Host
	ghVars := func(event, ref string) map[string]string {
		return map[string]string{
			"GITHUB_EVENT_NAME": event, "GITHUB_REF": ref, "GITHUB_REF_NAME": ref[strings.LastIndex(ref, "/")+1:],
			"GITHUB_REPOSITORY": "Acme/Falco-Rules", "GITHUB_SERVER_URL": "https://github.com",
			"GITHUB_WORKFLOW_REF": "Acme/Falco-Rules/.github/workflows/falconer.yml@" + ref,
			"GITHUB_RUN_ID":       "4242", "GITHUB_RUN_ATTEMPT": "1",
		}
	}

	// A push to the branch: lint and test.
	r.vars = ghVars("push", "refs/heads/master")
	ws := checkout(t, g.dir, head.String(), url)
	r.job("lint", ws)
	var sarif struct {
		Version string `json:"version"`
		Runs    []struct {
			Tool struct {
				Driver struct{ Name string } `json:"driver"`
			} `json:"tool"`
		} `json:"runs"`
	}
	if data, err := os.ReadFile(filepath.Join(ws, "falconer.sarif")); err != nil || json.Unmarshal(data, &sarif) != nil || sarif.Version != "2.1.0" || len(sarif.Runs) != 1 {
		t.Errorf("lint wrote no SARIF 2.1.0 log: %v %+v", err, sarif)
	}
	ws = checkout(t, g.dir, head.String(), url)
	r.job("test", ws)
	var junit struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
	}
	if data, err := os.ReadFile(filepath.Join(ws, "junit.xml")); err != nil || xml.Unmarshal(data, &junit) != nil || junit.Tests == 0 || junit.Failures != 0 {
		t.Errorf("test wrote no passing JUnit report: %v %+v", err, junit)
	}

	// A pull request from the first commit to the second: the comment.
	r.vars = ghVars("pull_request", "refs/pull/7/merge")
	if j := r.wf.Jobs["diff"]; j.If != "github.event_name == 'pull_request'" {
		t.Fatalf("diff job condition %q changed: update this test", j.If)
	}
	ws = checkout(t, g.dir, head.String(), url)
	r.job("diff", ws)
	comment, err := os.ReadFile(filepath.Join(ws, "ruleset-diff.md"))
	if err != nil || !strings.Contains(string(comment), "priority changed: `Read sensitive file untrusted`") || !strings.Contains(string(comment), "- Warning\n+ Error") {
		t.Errorf("pull-request comment body: %v\n%s", err, comment)
	}
	if summary, _ := os.ReadFile(r.summary); string(summary) != string(comment) {
		t.Errorf("job summary %q, want the comment", summary)
	}

	// The tag v1.2.0: publish, sign, attest, verify.
	r.vars = ghVars("push", "refs/tags/v1.2.0")
	if j := r.wf.Jobs["publish"]; j.If != "startsWith(github.ref, 'refs/tags/v')" {
		t.Fatalf("publish job condition %q changed: update this test", j.If)
	}
	ws = checkout(t, g.dir, "v1.2.0", url)
	r.job("publish", ws)
	summary, err := os.ReadFile(r.summary)
	m := regexp.MustCompile(`pushed (\S+@(sha256:[0-9a-f]{64}))`).FindSubmatch(summary)
	if err != nil || m == nil {
		t.Fatalf("publish summary has no digest: %v\n%s", err, summary)
	}
	ref, digest := string(m[1]), string(m[2])
	if want := srv.Host + "/acme/falco-rules@"; !strings.HasPrefix(ref, want) {
		t.Errorf("published %s, want it under %s (the repository name lowercased)", ref, want)
	}
	if !strings.Contains(string(summary), "tags: 1.2.0, 1.2, 1, latest") {
		t.Errorf("publish summary:\n%s", summary)
	}

	// The auditor's view: verify with the public key, decode the
	// attestations.
	v, err := registry.Verify(context.Background(), srv.Host+"/acme/falco-rules:1.2.0", registry.VerifyOptions{
		PublicKey: keys.PublicPEM, RequireAttestations: []string{registry.PredicateSLSAProvenance, registry.PredicateTestReport},
	})
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if v.Digest != digest {
		t.Errorf("tag 1.2.0 is %s, published %s", v.Digest, digest)
	}
	var prov struct {
		BuildDefinition struct {
			ExternalParameters struct {
				Source struct {
					URI    string            `json:"uri"`
					Digest map[string]string `json:"digest"`
					Ref    string            `json:"ref"`
				} `json:"source"`
			} `json:"externalParameters"`
			ResolvedDependencies []registry.ResourceDescriptor `json:"resolvedDependencies"`
		} `json:"buildDefinition"`
		RunDetails struct {
			Builder struct {
				ID string `json:"id"`
			} `json:"builder"`
			Metadata struct {
				InvocationID string `json:"invocationId"`
			} `json:"metadata"`
		} `json:"runDetails"`
	}
	var report struct{ Passed, Failed int }
	for _, a := range v.Attestations {
		if a.PredicateType == registry.PredicateSLSAProvenance {
			err = json.Unmarshal(a.Predicate, &prov)
		} else {
			err = json.Unmarshal(a.Predicate, &report)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	src := prov.BuildDefinition.ExternalParameters.Source
	if src.Digest["gitCommit"] != head.String() || src.URI != "git+"+url || src.Ref != "refs/tags/v1.2.0" {
		t.Errorf("provenance source = %+v, want %s at refs/tags/v1.2.0 of %s", src, head, url)
	}
	if want := "https://github.com/Acme/Falco-Rules/.github/workflows/falconer.yml@refs/tags/v1.2.0"; prov.RunDetails.Builder.ID != want {
		t.Errorf("builder = %q, want %q", prov.RunDetails.Builder.ID, want)
	}
	if want := "https://github.com/Acme/Falco-Rules/actions/runs/4242/attempts/1"; prov.RunDetails.Metadata.InvocationID != want {
		t.Errorf("invocation = %q, want %q", prov.RunDetails.Metadata.InvocationID, want)
	}
	rules, err := os.ReadFile(filepath.Join(ws, "rules", "falconer_rules.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	material := registry.RuleFileMaterials(url, head.String(), []registry.File{{Name: "rules/falconer_rules.yaml", Data: rules}})[0]
	deps := prov.BuildDefinition.ResolvedDependencies
	if len(deps) != 2 || fmt.Sprint(deps[1]) != fmt.Sprint(material) {
		t.Errorf("provenance materials = %+v, want the commit and %+v", deps, material)
	}
	if report.Passed == 0 || report.Failed != 0 {
		t.Errorf("test report: %+v", report)
	}
	p, err := registry.Pull(context.Background(), ref, registry.PullOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ann := p.Manifest.Annotations
	if ann[registry.AnnotationRevision] != head.String() || ann[registry.AnnotationCreated] != headCommit.Committer.When.UTC().Format(time.RFC3339) || ann[registry.AnnotationVersion] != "1.2.0" {
		t.Errorf("annotations = %v, want revision %s created %s", ann, head, headCommit.Committer.When.UTC().Format(time.RFC3339))
	}
	if _, err := os.Stat(filepath.Join(r.temp, "cosign.key")); err == nil {
		t.Errorf("the signing key was left in RUNNER_TEMP")
	}
	if data, err := os.ReadFile(filepath.Join(r.temp, "published.ref")); err != nil || strings.TrimSpace(string(data)) != ref {
		t.Errorf("published.ref = %q, %v; want %s", data, err, ref)
	}

	// The same artifact, checked by an auditor with cosign itself.
	t.Run("cosign", func(t *testing.T) {
		cosign := registrytest.Tool(t, "cosign")
		base := []string{"--key", keys.PublicPath, "--insecure-ignore-tlog", "--allow-http-registry"}
		if out, err := registrytest.Run(t, nil, time.Minute, cosign, append(append([]string{"verify"}, base...), ref)...); err != nil {
			t.Fatalf("cosign verify: %v\n%s", err, out)
		}
		out, err := registrytest.Run(t, nil, time.Minute, cosign, append(append([]string{"verify-attestation", "--type", "slsaprovenance1"}, base...), ref)...)
		if err != nil || !strings.Contains(out, `"payloadType":"application/vnd.in-toto+json"`) {
			t.Fatalf("cosign verify-attestation: %v\n%s", err, out)
		}
	})
}

// TestTemplateCommands checks every falconer command line in the CI
// templates against the real command tree: the subcommand exists, every
// flag is defined, and the arguments are accepted.
func TestTemplateCommands(t *testing.T) {
	var scripts []string
	wf := readWorkflow(t)
	for _, j := range wf.Jobs {
		for _, s := range j.Steps {
			scripts = append(scripts, s.Run)
		}
	}
	data, err := os.ReadFile(gitlabPipeline)
	if err != nil {
		t.Fatal(err)
	}
	var gl map[string]yaml.Node
	if err := yaml.Unmarshal(data, &gl); err != nil {
		t.Fatal(err)
	}
	for name, n := range gl {
		var job struct {
			Script       []string `yaml:"script"`
			BeforeScript []string `yaml:"before_script"`
		}
		if n.Kind != yaml.MappingNode || n.Decode(&job) != nil {
			continue
		}
		if name == "variables" || name == "workflow" {
			continue
		}
		scripts = append(scripts, job.Script...)
		scripts = append(scripts, job.BeforeScript...)
	}

	seen := map[string]bool{}
	for _, script := range scripts {
		for _, line := range strings.Split(strings.ReplaceAll(script, "\\\n", " "), "\n") {
			words := shellWords(strings.TrimSpace(line))
			if len(words) == 0 || words[0] != "falconer" {
				continue
			}
			root := newRootCmd()
			c, rest, err := root.Find(words[1:])
			if err != nil || c == root {
				t.Errorf("%s: no such command: %v", line, err)
				continue
			}
			seen[c.Name()] = true
			if err := c.ParseFlags(rest); err != nil {
				t.Errorf("%s: %v", line, err)
				continue
			}
			if c.Args != nil {
				if err := c.Args(c, c.Flags().Args()); err != nil {
					t.Errorf("%s: %v", line, err)
				}
			}
		}
	}
	for _, want := range []string{"lint", "test", "diff", "publish", "verify"} {
		if !seen[want] {
			t.Errorf("the templates never run falconer %s", want)
		}
	}
}

// shellWords splits a command line into words as a shell would for the
// simple lines of the templates: quotes are removed (their content kept
// as one word, expansions included), and the words end at the first
// unquoted redirection, pipe or list operator.
func shellWords(line string) []string {
	var words []string
	var cur strings.Builder
	inWord := false
	var quote rune
	depth := 0 // inside $( ... )
	for i, c := range line {
		switch {
		case quote != 0:
			if c == quote && depth == 0 {
				quote = 0
				continue
			}
			if c == '(' && i > 0 && line[i-1] == '$' {
				depth++
			} else if c == ')' && depth > 0 {
				depth--
			}
			cur.WriteRune(c)
		case c == '"' || c == '\'':
			quote, inWord = c, true
		case c == ' ' || c == '\t':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		case c == '>' || c == '|' || c == ';' || c == '&' || c == '<':
			if inWord {
				words = append(words, cur.String())
			}
			return words
		default:
			cur.WriteRune(c)
			inWord = true
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words
}
