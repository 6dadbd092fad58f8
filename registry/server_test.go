package registry_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/falconer-sec/falconer/registry"
	"github.com/falconer-sec/falconer/registry/registrytest"
)

func TestServerSurvivesRestart(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	keys := registrytest.NewKeys(t)
	srv := registrytest.NewAt(t, root)
	a := pack(t, testRuleset(t, "1.4.0"))
	res, err := registry.Push(ctx, srv.Host+"/falco/rules", a, registry.PushOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := registry.Push(ctx, srv.Host+"/other/nested/repo", pack(t, testRuleset(t, "0.1.0")), registry.PushOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := registry.Sign(ctx, res.Ref(), keys.Signer, registry.SignOptions{Bundle: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := registry.Attest(ctx, res.Ref(), keys.Signer, registry.PredicateTestReport, json.RawMessage(`{"ok":true}`), registry.AttestOptions{}); err != nil {
		t.Fatal(err)
	}
	// A deleted tag stays deleted.
	deleteManifest(t, srv.Host, "falco/rules", "1")
	tagsBefore := listTags(t, srv.Host, "falco/rules")
	referrersBefore := referrers(t, srv.Host, "falco/rules", res.Digest)
	srv.Close()

	srv2 := registrytest.NewAt(t, root)
	p, err := registry.Pull(ctx, srv2.Host+"/falco/rules:1.4.0", registry.PullOptions{})
	if err != nil {
		t.Fatalf("Pull after restart: %v", err)
	}
	if p.Digest != res.Digest || !bytes.Equal(p.Compiled, []byte("compiled ruleset 1.4.0")) {
		t.Errorf("Pull after restart = %s, want %s", p.Digest, res.Digest)
	}
	if _, err := registry.Pull(ctx, srv2.Host+"/other/nested/repo:0.1.0", registry.PullOptions{}); err != nil {
		t.Errorf("Pull of the nested repository after restart: %v", err)
	}
	v, err := registry.Verify(ctx, srv2.Host+"/falco/rules:latest", registry.VerifyOptions{PublicKey: keys.PublicPEM, RequireAttestations: []string{registry.PredicateTestReport}})
	if err != nil || v.Digest != res.Digest {
		t.Errorf("Verify after restart = %+v, %v", v, err)
	}
	if diff := cmp.Diff(tagsBefore, listTags(t, srv2.Host, "falco/rules")); diff != "" {
		t.Errorf("tags after restart (-before +after):\n%s", diff)
	}
	if slices.Contains(tagsBefore, "1") {
		t.Errorf("deleted tag 1 still listed: %v", tagsBefore)
	}
	after := referrers(t, srv2.Host, "falco/rules", res.Digest)
	if len(referrersBefore.Manifests) != 1 || len(after.Manifests) != 1 || after.Manifests[0].Digest != referrersBefore.Manifests[0].Digest {
		t.Errorf("referrers before %+v, after restart %+v", referrersBefore.Manifests, after.Manifests)
	}
}

func TestServerRejects(t *testing.T) {
	srv := registrytest.New(t)
	body := []byte(`{"schemaVersion":2}`)
	tests := []struct {
		name, path string
		want       int
	}{
		{"digest mismatch", "/v2/falco/rules/manifests/sha256:" + strings.Repeat("0", 64), http.StatusBadRequest},
		{"bad repository", "/v2/Falco/rules/manifests/1.0.0", http.StatusBadRequest},
		{"bad tag", "/v2/falco/rules/manifests/.hidden", http.StatusBadRequest},
		{"good", "/v2/falco/rules/manifests/1.0.0", http.StatusCreated},
	}
	for _, tt := range tests {
		req, _ := http.NewRequest(http.MethodPut, "http://"+srv.Host+tt.path, bytes.NewReader(body))
		req.Header.Set("Content-Type", ocispec.MediaTypeImageManifest)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tt.want {
			t.Errorf("%s: PUT %s = %d, want %d", tt.name, tt.path, resp.StatusCode, tt.want)
		}
	}
}

func deleteManifest(t *testing.T, host, repo, ref string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodDelete, "http://"+host+"/v2/"+repo+"/manifests/"+ref, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("DELETE %s:%s = %s", repo, ref, resp.Status)
	}
}

func listTags(t *testing.T, host, repo string) []string {
	t.Helper()
	resp, err := http.Get("http://" + host + "/v2/" + repo + "/tags/list")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var v struct {
		Tags []string `json:"tags"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
		t.Fatal(err)
	}
	return v.Tags
}

func referrers(t *testing.T, host, repo, digest string) ocispec.Index {
	t.Helper()
	resp, err := http.Get("http://" + host + "/v2/" + repo + "/referrers/" + digest)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var idx ocispec.Index
	if err := json.NewDecoder(resp.Body).Decode(&idx); err != nil {
		t.Fatal(err)
	}
	return idx
}
