package ci_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	yaml "go.yaml.in/yaml/v3"

	"github.com/falconer-sec/falconer/registry/registrytest"
)

const (
	githubTemplate = "templates/github/falconer.yml"
	gitlabTemplate = "templates/gitlab/.gitlab-ci.yml"
)

// TestGitHubWorkflowActionlint checks the GitHub Actions template with the
// real actionlint (installed by .ci/tools.sh actionlint): workflow syntax,
// expressions, permissions, the known actions' inputs and, when shellcheck
// is on PATH, the run: scripts.
func TestGitHubWorkflowActionlint(t *testing.T) {
	bin := registrytest.Tool(t, "actionlint")
	args := []string{"-no-color", "-verbose"}
	if sc, err := exec.LookPath("shellcheck"); err == nil {
		args = append(args, "-shellcheck", sc)
	} else if registrytest.Required() {
		t.Fatalf("shellcheck not found on PATH; install it with .ci/tools.sh actionlint")
	} else {
		t.Logf("shellcheck not found on PATH: the run: scripts are not checked")
		args = append(args, "-shellcheck=")
	}
	// No pyflakes: the workflow has no Python steps.
	args = append(args, "-pyflakes=", githubTemplate)
	out, err := registrytest.Run(t, nil, time.Minute, bin, args...)
	if err != nil {
		t.Fatalf("actionlint %s: %v\n%s", githubTemplate, err, out)
	}
	if !strings.Contains(out, "Found total 0 errors") {
		t.Errorf("actionlint output does not report zero errors:\n%s", out)
	}
}

// TestActionlintRejects makes sure the actionlint check can fail: a broken
// copy of the workflow must be rejected.
func TestActionlintRejects(t *testing.T) {
	bin := registrytest.Tool(t, "actionlint")
	data, err := os.ReadFile(githubTemplate)
	if err != nil {
		t.Fatal(err)
	}
	broken := strings.Replace(string(data), "go-version: stable", "go-versoin: stable", 1)
	broken = strings.Replace(broken, "github.event_name == 'pull_request'", "github.evnt_name == 'pull_request'", 1)
	p := filepath.Join(t.TempDir(), "broken.yml")
	if err := os.WriteFile(p, []byte(broken), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := registrytest.Run(t, nil, time.Minute, bin, "-no-color", "-shellcheck=", "-pyflakes=", p)
	if err == nil {
		t.Fatalf("actionlint accepted a broken workflow:\n%s", out)
	}
	for _, want := range []string{`input "go-versoin" is not defined`, `"evnt_name"`} {
		if !strings.Contains(out, want) {
			t.Errorf("actionlint output lacks %q:\n%s", want, out)
		}
	}
}

// workflow is the part of a GitHub Actions workflow the tests read.
type workflow struct {
	On   map[string]any    `yaml:"on"`
	Env  map[string]string `yaml:"env"`
	Jobs map[string]struct {
		If          string            `yaml:"if"`
		Needs       []string          `yaml:"needs"`
		Permissions map[string]string `yaml:"permissions"`
		Steps       []struct {
			Name string            `yaml:"name"`
			Uses string            `yaml:"uses"`
			Run  string            `yaml:"run"`
			If   string            `yaml:"if"`
			With map[string]string `yaml:"with"`
			Env  map[string]string `yaml:"env"`
		} `yaml:"steps"`
	} `yaml:"jobs"`
}

// TestGitHubWorkflowShape checks what the template promises: lint with a
// SARIF upload, test with JUnit, a diff comment on pull requests, and
// publish with signing on tags only, after lint and test.
func TestGitHubWorkflowShape(t *testing.T) {
	data, err := os.ReadFile(githubTemplate)
	if err != nil {
		t.Fatal(err)
	}
	var wf workflow
	if err := yaml.Unmarshal(data, &wf); err != nil {
		t.Fatalf("%s: %v", githubTemplate, err)
	}
	for _, ev := range []string{"push", "pull_request"} {
		if _, ok := wf.On[ev]; !ok {
			t.Errorf("workflow does not run on %s", ev)
		}
	}
	type want struct {
		job, uses, run, perm string
	}
	for _, w := range []want{
		{job: "lint", run: "falconer lint --format sarif", uses: "github/codeql-action/upload-sarif@", perm: "security-events"},
		{job: "test", run: "--junit junit.xml", uses: "actions/upload-artifact@"},
		{job: "diff", run: "falconer diff", perm: "pull-requests"},
		{job: "diff", run: "gh pr comment"},
		{job: "publish", run: "falconer publish", perm: "packages"},
		{job: "publish", run: "falconer verify"},
	} {
		job, ok := wf.Jobs[w.job]
		if !ok {
			t.Errorf("no %s job", w.job)
			continue
		}
		if w.perm != "" && job.Permissions[w.perm] != "write" {
			t.Errorf("job %s: permission %s = %q, want write", w.job, w.perm, job.Permissions[w.perm])
		}
		foundRun, foundUses := w.run == "", w.uses == ""
		for _, s := range job.Steps {
			foundRun = foundRun || (w.run != "" && strings.Contains(s.Run, w.run))
			foundUses = foundUses || (w.uses != "" && strings.HasPrefix(s.Uses, w.uses))
		}
		if !foundRun || !foundUses {
			t.Errorf("job %s: no step running %q or using %q", w.job, w.run, w.uses)
		}
	}
	if j := wf.Jobs["diff"]; !strings.Contains(j.If, "pull_request") {
		t.Errorf("diff job runs if %q, want pull requests only", j.If)
	}
	if j := wf.Jobs["publish"]; !strings.Contains(j.If, "refs/tags/v") || !slices.Contains(j.Needs, "lint") || !slices.Contains(j.Needs, "test") {
		t.Errorf("publish job runs if %q after %v, want tags only, after lint and test", j.If, j.Needs)
	}
	// Every job installs falconer with go install from this module.
	for name, job := range wf.Jobs {
		found := false
		for _, s := range job.Steps {
			found = found || strings.HasPrefix(s.Run, `go install "github.com/falconer-sec/falconer/cmd/falconer@`)
		}
		if !found {
			t.Errorf("job %s does not install falconer with go install", name)
		}
	}
}

// gitlabJob is the part of a GitLab CI job the test reads.
type gitlabJob struct {
	Stage     string           `yaml:"stage"`
	Script    []string         `yaml:"script"`
	Rules     []map[string]any `yaml:"rules"`
	Artifacts struct {
		Paths   []string          `yaml:"paths"`
		Reports map[string]string `yaml:"reports"`
	} `yaml:"artifacts"`
}

// TestGitLabTemplate checks that the GitLab CI template parses as YAML and
// has the stages and jobs of the GitHub one.
func TestGitLabTemplate(t *testing.T) {
	data, err := os.ReadFile(gitlabTemplate)
	if err != nil {
		t.Fatal(err)
	}
	var top map[string]yaml.Node
	if err := yaml.Unmarshal(data, &top); err != nil {
		t.Fatalf("%s: %v", gitlabTemplate, err)
	}
	var stages []string
	if n, ok := top["stages"]; !ok || n.Decode(&stages) != nil {
		t.Fatalf("%s: no stages list", gitlabTemplate)
	}
	if want := []string{"lint", "test", "diff", "publish"}; !slices.Equal(stages, want) {
		t.Errorf("stages = %v, want %v", stages, want)
	}
	var def struct {
		Image        string   `yaml:"image"`
		BeforeScript []string `yaml:"before_script"`
	}
	if n, ok := top["default"]; !ok || n.Decode(&def) != nil || len(def.BeforeScript) != 1 ||
		!strings.HasPrefix(def.BeforeScript[0], `go install "github.com/falconer-sec/falconer/cmd/falconer@`) {
		t.Errorf("default: %+v, want a before_script installing falconer with go install", def)
	}
	jobs := map[string]gitlabJob{}
	for _, name := range []string{"lint", "test", "diff", "publish"} {
		n, ok := top[name]
		if !ok {
			t.Errorf("no %s job", name)
			continue
		}
		var j gitlabJob
		if err := n.Decode(&j); err != nil {
			t.Errorf("job %s: %v", name, err)
			continue
		}
		if j.Stage != name {
			t.Errorf("job %s in stage %q", name, j.Stage)
		}
		jobs[name] = j
	}
	script := func(job string) string { return strings.Join(jobs[job].Script, "\n") }
	if !strings.Contains(script("lint"), "falconer lint --format sarif") || !slices.Contains(jobs["lint"].Artifacts.Paths, "falconer.sarif") {
		t.Errorf("lint job does not keep a SARIF report: %+v", jobs["lint"])
	}
	if !strings.Contains(script("test"), "--junit junit.xml") || jobs["test"].Artifacts.Reports["junit"] != "junit.xml" {
		t.Errorf("test job does not report JUnit: %+v", jobs["test"])
	}
	if !strings.Contains(script("diff"), "falconer diff") || !strings.Contains(script("diff"), "merge_requests/$CI_MERGE_REQUEST_IID/notes") ||
		len(jobs["diff"].Rules) != 1 || !strings.Contains(jobs["diff"].Rules[0]["if"].(string), "merge_request_event") {
		t.Errorf("diff job does not comment on merge requests only: %+v", jobs["diff"])
	}
	if !strings.Contains(script("publish"), "falconer publish") || !strings.Contains(script("publish"), "falconer verify") ||
		len(jobs["publish"].Rules) != 1 || !strings.Contains(jobs["publish"].Rules[0]["if"].(string), "$CI_COMMIT_TAG") {
		t.Errorf("publish job does not publish and verify on tags only: %+v", jobs["publish"])
	}
}
