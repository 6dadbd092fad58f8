package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/spf13/cobra"

	"github.com/falconer-sec/falconer/registry"
	"github.com/falconer-sec/falconer/registry/registrytest"
)

// execCmd runs a command built by one of the constructors and returns its
// combined output.
func execCmd(t *testing.T, ctx context.Context, c *cobra.Command, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	c.SetArgs(args)
	c.SetOut(&out)
	c.SetErr(&out)
	c.SetIn(strings.NewReader(""))
	err := c.ExecuteContext(ctx)
	return out.String(), err
}

func mustExec(t *testing.T, c *cobra.Command, args ...string) string {
	t.Helper()
	out, err := execCmd(t, context.Background(), c, args...)
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", c.Name(), strings.Join(args, " "), err, out)
	}
	return out
}

// rulesRepo makes a git repository holding the upstream falco_rules.yaml,
// committed at a fixed time, tagged v1.2.0, with an origin remote.
func rulesRepo(t *testing.T) (dir, commit string) {
	t.Helper()
	dir = t.TempDir()
	r, err := git.PlainInit(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile("../../testdata/upstream-rules/falco_rules.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "rules"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "rules", "falco_rules.yaml"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	wt, err := r.Worktree()
	if err != nil {
		t.Fatal(err)
	}
	if err := wt.AddWithOptions(&git.AddOptions{All: true}); err != nil {
		t.Fatal(err)
	}
	sig := &object.Signature{Name: "CI", Email: "ci@example.com", When: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	h, err := wt.Commit("rules", &git.CommitOptions{Author: sig, Committer: sig})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.CreateTag("v1.2.0", h, &git.CreateTagOptions{Message: "release", Tagger: sig}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.CreateRemote(&config.RemoteConfig{Name: "origin", URLs: []string{"https://example.com/acme/rules.git"}}); err != nil {
		t.Fatal(err)
	}
	return dir, h.String()
}

var pushedRE = regexp.MustCompile(`pushed (\S+@sha256:[0-9a-f]{64})`)

// TestReleaseFlow runs the commands a release pipeline runs on a tagged
// rules repository: keygen, push, sign with provenance and a test report,
// verify, pull. The provenance must name the tagged commit.
func TestReleaseFlow(t *testing.T) {
	srv := registrytest.New(t)
	dir, commit := rulesRepo(t)
	t.Setenv("COSIGN_PASSWORD", "s3cret")
	keyPrefix := filepath.Join(t.TempDir(), "release")
	mustExec(t, newKeygenCmd(), "--output-prefix", keyPrefix)
	if _, err := execCmd(t, context.Background(), newKeygenCmd(), "--output-prefix", keyPrefix); err == nil {
		t.Errorf("keygen over existing keys succeeded")
	}

	repo := srv.Host + "/acme/falco-rules"
	out := mustExec(t, newPushCmd(), repo, filepath.Join(dir, "rules"))
	m := pushedRE.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("push output has no digest reference:\n%s", out)
	}
	ref := m[1]
	if !strings.Contains(out, "tags: 1.2.0, 1.2, 1, latest") || !strings.Contains(out, "25 rules") {
		t.Errorf("push output:\n%s", out)
	}
	// The same commit gives the same digest.
	if again := pushedRE.FindStringSubmatch(mustExec(t, newPushCmd(), repo, filepath.Join(dir, "rules"))); again == nil || again[1] != ref {
		t.Errorf("second push of the same commit gave %v, want %s", again, ref)
	}

	report := filepath.Join(t.TempDir(), "report.json")
	if err := os.WriteFile(report, []byte(`{"passed":25,"failed":0}`), 0o644); err != nil {
		t.Fatal(err)
	}
	out = mustExec(t, newSignCmd(), repo+":1.2.0", "--key", keyPrefix+".key", "--provenance", "--builder-id", "https://example.com/ci", "--test-report", report)
	if !strings.Contains(out, "attested "+registry.PredicateSLSAProvenance) || !strings.Contains(out, "attested "+registry.PredicateTestReport) {
		t.Errorf("sign output:\n%s", out)
	}

	out = mustExec(t, newVerifyCmd(), repo+":latest", "--key", keyPrefix+".pub", "--require-attestation", "provenance", "--require-attestation", "test-report", "--json")
	var v registry.Verification
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("verify --json: %v\n%s", err, out)
	}
	if !strings.HasSuffix(ref, v.Digest) || len(v.Attestations) != 2 {
		t.Fatalf("verify = %+v", v)
	}
	var prov struct {
		BuildDefinition struct {
			ExternalParameters struct {
				Source struct {
					URI    string            `json:"uri"`
					Digest map[string]string `json:"digest"`
				} `json:"source"`
			} `json:"externalParameters"`
			ResolvedDependencies []registry.ResourceDescriptor `json:"resolvedDependencies"`
		} `json:"buildDefinition"`
		RunDetails struct {
			Builder struct {
				ID string `json:"id"`
			} `json:"builder"`
		} `json:"runDetails"`
	}
	if err := json.Unmarshal(v.Attestations[0].Predicate, &prov); err != nil {
		t.Fatal(err)
	}
	src := prov.BuildDefinition.ExternalParameters.Source
	if src.Digest["gitCommit"] != commit || src.URI != "git+https://example.com/acme/rules.git" || prov.RunDetails.Builder.ID != "https://example.com/ci" {
		t.Errorf("provenance source %+v builder %q, want commit %s", src, prov.RunDetails.Builder.ID, commit)
	}
	deps := prov.BuildDefinition.ResolvedDependencies
	if len(deps) != 2 || deps[1].Name != "falco_rules.yaml" || deps[1].URI != "git+https://example.com/acme/rules.git@"+commit+"#falco_rules.yaml" {
		t.Errorf("provenance materials = %+v", deps)
	}

	// The artifact's own annotations name the commit too.
	p, err := registry.Pull(context.Background(), ref, registry.PullOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Manifest.Annotations[registry.AnnotationRevision]; got != commit {
		t.Errorf("revision annotation = %q, want %s", got, commit)
	}
	if got := p.Manifest.Annotations[registry.AnnotationCreated]; got != "2026-03-01T12:00:00Z" {
		t.Errorf("created annotation = %q, want the commit time", got)
	}

	into := filepath.Join(t.TempDir(), "rules.d")
	out = mustExec(t, newPullCmd(), repo+":1", "--key", keyPrefix+".pub", "-o", into)
	if !strings.Contains(out, "falco_rules.yaml") || !strings.Contains(out, "ruleset.fcr") {
		t.Errorf("pull output:\n%s", out)
	}
	for _, f := range []string{"falco_rules.yaml", "ruleset.fcr"} {
		if _, err := os.Stat(filepath.Join(into, f)); err != nil {
			t.Errorf("pull did not write %s: %v", f, err)
		}
	}
}

func TestVerifyCmdErrors(t *testing.T) {
	srv := registrytest.New(t)
	keys, other := registrytest.NewKeys(t), registrytest.NewKeys(t)
	dir, _ := rulesRepo(t)
	signed := pushedRE.FindStringSubmatch(mustExec(t, newPushCmd(), srv.Host+"/acme/signed", filepath.Join(dir, "rules")))[1]
	unsigned := pushedRE.FindStringSubmatch(mustExec(t, newPushCmd(), srv.Host+"/acme/unsigned", filepath.Join(dir, "rules")))[1]
	t.Setenv("COSIGN_PASSWORD", string(keys.Password))
	mustExec(t, newSignCmd(), signed, "--key", keys.PrivatePath)

	tests := []struct {
		name string
		args []string
		want string
	}{
		{"signed", []string{signed, "--key", keys.PublicPath}, ""},
		{"not signed", []string{unsigned, "--key", keys.PublicPath}, "not signed"},
		{"someone else", []string{signed, "--key", other.PublicPath}, "signature invalid (signed by someone else, or tampered with)"},
		{"missing attestation", []string{signed, "--key", keys.PublicPath, "--require-attestation", "provenance"}, "required attestation missing"},
		{"unreachable", []string{"127.0.0.1:1/acme/signed:1.2.0", "--key", keys.PublicPath, "--retries", "0"}, "registry unreachable"},
		{"no key", []string{signed}, "give --key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := execCmd(t, context.Background(), newVerifyCmd(), tt.args...)
			if tt.want == "" {
				if err != nil {
					t.Errorf("verify: %v\n%s", err, out)
				}
				return
			}
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("verify error = %v, want it to start with %q", err, tt.want)
			}
		})
	}
}

func TestPushCmdDirtyAndFlags(t *testing.T) {
	srv := registrytest.New(t)
	dir, _ := rulesRepo(t)
	rules := filepath.Join(dir, "rules")
	if err := os.WriteFile(filepath.Join(rules, "extra.yaml"), []byte("- list: extra\n  items: []\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	repo := srv.Host + "/acme/rules"
	if out, err := execCmd(t, context.Background(), newPushCmd(), repo, rules); err == nil || !strings.Contains(err.Error(), "uncommitted changes") {
		t.Errorf("push from a dirty tree = %v\n%s", err, out)
	}
	out := mustExec(t, newPushCmd(), repo, rules, "--allow-dirty")
	if !regexp.MustCompile(`tags: 1\.2\.1-0\.20260301120000-[0-9a-f]{12}\.dirty\n`).MatchString(out) {
		t.Errorf("dirty push should get a pseudo-version tag:\n%s", out)
	}
	// Outside git: version and time from flags, explicit tags.
	plain := t.TempDir()
	data, _ := os.ReadFile(filepath.Join(rules, "falco_rules.yaml"))
	if err := os.WriteFile(filepath.Join(plain, "my_rules.yaml"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := execCmd(t, context.Background(), newPushCmd(), repo, plain); err == nil {
		t.Errorf("push without a version outside git succeeded")
	}
	out = mustExec(t, newPushCmd(), repo, filepath.Join(plain, "my_rules.yaml"), "--version", "3.0.0", "--created", "2026-01-01T00:00:00Z", "--tag", "edge", "--name", "mine")
	if !strings.Contains(out, "tags: edge\n") {
		t.Errorf("push --tag output:\n%s", out)
	}
	p, err := registry.Pull(context.Background(), repo+":edge", registry.PullOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if p.Config.Name != "mine" || p.Config.Version != "3.0.0" || p.RuleFiles[0].Name != "my_rules.yaml" || p.Manifest.Annotations[registry.AnnotationCreated] != "2026-01-01T00:00:00Z" {
		t.Errorf("pushed config %+v annotations %v", p.Config, p.Manifest.Annotations)
	}
	// falcoctl's dependency and requirement come from the rules.
	if len(p.Config.Dependencies) != 1 || p.Config.Dependencies[0].Name != "container" || p.Config.Requirements[0].Version != "0.57.0" {
		t.Errorf("config = %+v", p.Config)
	}
}

func TestRegistryServeCmd(t *testing.T) {
	root := t.TempDir()
	serve := func() (host string, stop func()) {
		ctx, cancel := context.WithCancel(context.Background())
		pr, pw := io.Pipe()
		c := newRegistryCmd()
		c.SetArgs([]string{"serve", "--addr", "127.0.0.1:0", "--root", root})
		c.SetOut(pw)
		c.SetErr(io.Discard)
		done := make(chan error, 1)
		go func() { done <- c.ExecuteContext(ctx); pw.Close() }()
		line, err := bufio.NewReader(pr).ReadString('\n')
		if err != nil {
			cancel()
			t.Fatalf("registry serve: %v (%v)", err, <-done)
		}
		go io.Copy(io.Discard, pr) //nolint:errcheck // drain
		host = strings.TrimPrefix(strings.Fields(line)[4], "http://")
		return host, func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("registry serve: %v", err)
			}
		}
	}
	host, stop := serve()
	dir, _ := rulesRepo(t)
	ref := pushedRE.FindStringSubmatch(mustExec(t, newPushCmd(), host+"/acme/rules", filepath.Join(dir, "rules")))[1]
	stop()

	host2, stop2 := serve()
	defer stop2()
	ref2 := host2 + ref[strings.Index(ref, "/"):]
	if out := mustExec(t, newPullCmd(), ref2, "-o", t.TempDir()); !strings.Contains(out, "falco_rules.yaml") {
		t.Errorf("pull after restart:\n%s", out)
	}
	if _, err := execCmd(t, context.Background(), newRegistryCmd(), "serve", "--addr", "127.0.0.1:0"); err == nil {
		t.Errorf("serve without --root succeeded")
	}
}

func TestDigestRef(t *testing.T) {
	const d = "sha256:abc"
	for in, want := range map[string]string{
		"127.0.0.1:5000/a/b":            "127.0.0.1:5000/a/b@" + d,
		"127.0.0.1:5000/a/b:1.2":        "127.0.0.1:5000/a/b@" + d,
		"127.0.0.1:5000/a/b@sha256:def": "127.0.0.1:5000/a/b@" + d,
		"ghcr.io/a:latest":              "ghcr.io/a@" + d,
	} {
		if got := digestRef(in, d); got != want {
			t.Errorf("digestRef(%q) = %q, want %q", in, got, want)
		}
	}
}
