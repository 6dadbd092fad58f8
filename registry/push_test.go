package registry_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/falconer-sec/falconer/registry"
	"github.com/falconer-sec/falconer/registry/registrytest"
)

func TestPushPull(t *testing.T) {
	ctx := context.Background()
	srv := registrytest.New(t)
	rs := testRuleset(t, "1.2.3")
	a := pack(t, rs)
	repo := srv.Host + "/falco/rules"

	var out bytes.Buffer
	res, err := registry.Push(ctx, repo+":ignored", a, registry.PushOptions{Progress: registry.Progress{W: &out}})
	if err != nil {
		t.Fatalf("Push: %v", err)
	}
	if res.Digest != a.Descriptor.Digest.String() || res.Repository != repo || res.Size != a.Size() {
		t.Errorf("Push = %+v, want digest %s in %s", res, a.Descriptor.Digest, repo)
	}
	if diff := cmp.Diff([]string{"1.2.3", "1.2", "1", "latest"}, res.Tags); diff != "" {
		t.Errorf("tags (-want +got):\n%s", diff)
	}
	// One line per blob and the manifest.
	if got := strings.Count(out.String(), "pushed "); got != 4 {
		t.Errorf("progress has %d lines, want 4:\n%s", got, out.String())
	}

	for _, ref := range []string{repo, repo + ":1", repo + ":1.2", repo + ":1.2.3", res.Ref()} {
		p, err := registry.Pull(ctx, ref, registry.PullOptions{})
		if err != nil {
			t.Fatalf("Pull(%s): %v", ref, err)
		}
		if p.Digest != res.Digest {
			t.Errorf("Pull(%s).Digest = %s, want %s", ref, p.Digest, res.Digest)
		}
		if diff := cmp.Diff(rs.RuleFiles, p.RuleFiles); diff != "" {
			t.Errorf("Pull(%s) rule files differ (-want +got):\n%s", ref, diff)
		}
		if !bytes.Equal(p.Compiled, rs.Compiled) {
			t.Errorf("Pull(%s).Compiled = %q, want %q", ref, p.Compiled, rs.Compiled)
		}
		if diff := cmp.Diff(a.Config, p.Config); diff != "" {
			t.Errorf("Pull(%s) config (-want +got):\n%s", ref, diff)
		}
	}

	dir := t.TempDir()
	p, err := registry.Pull(ctx, repo+":1.2.3", registry.PullOptions{})
	if err != nil {
		t.Fatal(err)
	}
	written, err := p.Extract(dir)
	if err != nil {
		t.Fatalf("Extract: %v", err)
	}
	sort.Strings(written)
	if diff := cmp.Diff([]string{"falco_rules.yaml", registry.CompiledFileName}, written); diff != "" {
		t.Errorf("Extract wrote (-want +got):\n%s", diff)
	}
	got, err := os.ReadFile(filepath.Join(dir, "falco_rules.yaml"))
	if err != nil || !bytes.Equal(got, rs.RuleFiles[0].Data) {
		t.Errorf("extracted rules differ (err %v)", err)
	}

	// Pushing the same artifact again uploads nothing new.
	out.Reset()
	if _, err := registry.Push(ctx, repo, a, registry.PushOptions{Progress: registry.Progress{W: &out}}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "(exists)") {
		t.Errorf("second push did not skip existing content:\n%s", out.String())
	}
}

func TestPushFloatingTags(t *testing.T) {
	ctx := context.Background()
	srv := registrytest.New(t)
	repo := srv.Host + "/falco/rules"
	digests := map[string]string{}
	for _, v := range []string{"1.2.0", "1.1.5", "2.0.0-rc.1", "1.2.1"} {
		res, err := registry.Push(ctx, repo, pack(t, testRuleset(t, v)), registry.PushOptions{})
		if err != nil {
			t.Fatalf("Push %s: %v", v, err)
		}
		digests[v] = res.Digest
	}
	want := map[string]string{
		"latest": "1.2.1", "1": "1.2.1", "1.2": "1.2.1", "1.1": "1.1.5",
		"1.2.0": "1.2.0", "1.1.5": "1.1.5", "2.0.0-rc.1": "2.0.0-rc.1", "1.2.1": "1.2.1",
	}
	for tag, v := range want {
		p, err := registry.Pull(ctx, repo+":"+tag, registry.PullOptions{})
		if err != nil {
			t.Fatalf("Pull %s: %v", tag, err)
		}
		if p.Digest != digests[v] {
			t.Errorf("tag %s points at %s, want version %s (%s)", tag, p.Digest, v, digests[v])
		}
	}
	if _, err := registry.Pull(ctx, repo+":2", registry.PullOptions{}); !errors.Is(err, registry.ErrNotFound) {
		t.Errorf("Pull of tag 2 (only a pre-release exists) = %v, want ErrNotFound", err)
	}

	// Explicit tags replace the computed ones.
	res, err := registry.Push(ctx, repo, pack(t, testRuleset(t, "3.0.0")), registry.PushOptions{Tags: []string{"edge"}})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"edge"}, res.Tags); diff != "" {
		t.Errorf("tags (-want +got):\n%s", diff)
	}
}

func TestPullErrors(t *testing.T) {
	ctx := context.Background()
	srv := registrytest.New(t)
	repo := srv.Host + "/falco/rules"
	if _, err := registry.Push(ctx, repo, pack(t, testRuleset(t, "1.0.0")), registry.PushOptions{}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		ref  string
		opts registry.PullOptions
		want error
	}{
		{"missing tag", repo + ":9.9.9", registry.PullOptions{}, registry.ErrNotFound},
		{"missing repository", srv.Host + "/nope:1", registry.PullOptions{}, registry.ErrNotFound},
		{"manifest over limit", repo + ":1.0.0", registry.PullOptions{Limits: registry.Limits{ManifestSize: 100}}, registry.ErrInvalidArtifact},
		{"layer over limit", repo + ":1.0.0", registry.PullOptions{Limits: registry.Limits{LayerSize: 1000}}, registry.ErrInvalidArtifact},
		{"unpacked over limit", repo + ":1.0.0", registry.PullOptions{Limits: registry.Limits{UnpackedSize: 1000}}, registry.ErrInvalidArtifact},
		{"unreachable", "127.0.0.1:1/falco/rules:1.0.0", registry.PullOptions{Remote: registry.Remote{Retries: -1}}, registry.ErrUnreachable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := registry.Pull(ctx, tt.ref, tt.opts)
			if !errors.Is(err, tt.want) || p != nil {
				t.Errorf("Pull(%s) = %v, %v; want %v", tt.ref, p, err, tt.want)
			}
		})
	}
}
