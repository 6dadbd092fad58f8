package registry_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/falconer-sec/falconer/registry"
	"github.com/falconer-sec/falconer/registry/registrytest"
)

// pushed pushes a test ruleset of version to a fresh repository and returns
// its digest reference.
func pushed(t *testing.T, host, repo, version string) string {
	t.Helper()
	res, err := registry.Push(context.Background(), host+"/"+repo, pack(t, testRuleset(t, version)), registry.PushOptions{})
	if err != nil {
		t.Fatalf("Push: %v", err)
	}
	return res.Ref()
}

func TestSignVerify(t *testing.T) {
	ctx := context.Background()
	srv := registrytest.New(t)
	keys, other := registrytest.NewKeys(t), registrytest.NewKeys(t)
	ref := pushed(t, srv.Host, "falco/rules", "1.0.0")
	unsigned := pushed(t, srv.Host, "falco/unsigned", "1.0.0")

	res, err := registry.Sign(ctx, srv.Host+"/falco/rules:1.0.0", keys.Signer, registry.SignOptions{Annotations: map[string]string{"commit": "abc"}})
	if err != nil {
		t.Fatalf("Sign: %v", err)
	}
	if !strings.HasSuffix(ref, res.Digest) || !strings.HasSuffix(res.SignatureTag, ":sha256-"+strings.TrimPrefix(res.Digest, "sha256:")+".sig") {
		t.Errorf("Sign = %+v for %s", res, ref)
	}
	// Signing twice with the same key and claims does not add a second
	// signature.
	if _, err := registry.Sign(ctx, ref, keys.Signer, registry.SignOptions{Annotations: map[string]string{"commit": "abc"}}); err != nil {
		t.Fatal(err)
	}

	v, err := registry.Verify(ctx, srv.Host+"/falco/rules:latest", registry.VerifyOptions{PublicKey: keys.PublicPEM})
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if v.Digest != res.Digest || v.Signatures != 1 || v.Bundle {
		t.Errorf("Verify = %+v, want one classic signature of %s", v, res.Digest)
	}
	if _, err := registry.Verify(ctx, ref, registry.VerifyOptions{KeyRef: keys.PublicPath}); err != nil {
		t.Errorf("Verify with a key file: %v", err)
	}

	// A second signer adds a second signature that the second key verifies.
	if _, err := registry.Sign(ctx, ref, other.Signer, registry.SignOptions{}); err != nil {
		t.Fatal(err)
	}
	if v, err := registry.Verify(ctx, ref, registry.VerifyOptions{PublicKey: other.PublicPEM}); err != nil || v.Signatures != 1 {
		t.Errorf("Verify with the second key = %+v, %v", v, err)
	}

	third := registrytest.NewKeys(t)
	tests := []struct {
		name string
		ref  string
		opts registry.VerifyOptions
		want error
	}{
		{"wrong key", ref, registry.VerifyOptions{PublicKey: third.PublicPEM}, registry.ErrSignatureInvalid},
		{"unsigned", unsigned, registry.VerifyOptions{PublicKey: keys.PublicPEM}, registry.ErrNotSigned},
		{"missing tag", srv.Host + "/falco/rules:9.9.9", registry.VerifyOptions{PublicKey: keys.PublicPEM}, registry.ErrNotFound},
		{"unreachable", "127.0.0.1:1/falco/rules:1.0.0", registry.VerifyOptions{PublicKey: keys.PublicPEM, Remote: registry.Remote{Retries: -1}}, registry.ErrUnreachable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := registry.Verify(ctx, tt.ref, tt.opts)
			if !errors.Is(err, tt.want) || v != nil {
				t.Errorf("Verify(%s) = %+v, %v; want %v", tt.ref, v, err, tt.want)
			}
			for _, other := range []error{registry.ErrSignatureInvalid, registry.ErrNotSigned, registry.ErrNotFound, registry.ErrUnreachable} {
				if other != tt.want && errors.Is(err, other) {
					t.Errorf("Verify(%s) error %v is also %v", tt.ref, err, other)
				}
			}
		})
	}
	if _, err := registry.Verify(ctx, ref, registry.VerifyOptions{}); err == nil {
		t.Errorf("Verify without a key succeeded")
	}
}

// TestVerifyTampered moves a valid signature onto another manifest: the
// signed payload names the original digest, so it must not verify.
func TestVerifyTampered(t *testing.T) {
	ctx := context.Background()
	srv := registrytest.New(t)
	keys := registrytest.NewKeys(t)
	ref := pushed(t, srv.Host, "falco/rules", "1.0.0")
	if _, err := registry.Sign(ctx, ref, keys.Signer, registry.SignOptions{}); err != nil {
		t.Fatal(err)
	}
	digest := ref[strings.Index(ref, "@")+1:]
	sigTag := "sha256-" + strings.TrimPrefix(digest, "sha256:") + ".sig"

	// Tamper with the manifest: same tag, one annotation changed.
	a := pack(t, testRuleset(t, "1.0.0"))
	var m map[string]any
	if err := json.Unmarshal(a.ManifestBytes, &m); err != nil {
		t.Fatal(err)
	}
	m["annotations"].(map[string]any)["org.opencontainers.image.description"] = "tampered"
	tb, _ := json.Marshal(m)
	putManifest(t, srv.Host, "falco/rules", "1.0.0", registry.MediaTypeImageManifest, tb)

	// Without its own signature the tampered manifest is unsigned ...
	if _, err := registry.Verify(ctx, srv.Host+"/falco/rules:1.0.0", registry.VerifyOptions{PublicKey: keys.PublicPEM}); !errors.Is(err, registry.ErrNotSigned) {
		t.Errorf("Verify(tampered) = %v, want ErrNotSigned", err)
	}
	// ... and with the original signature copied over, it is invalid.
	resp, err := http.Get("http://" + srv.Host + "/v2/falco/rules/manifests/" + sigTag)
	if err != nil {
		t.Fatal(err)
	}
	var sigManifest json.RawMessage
	if err := json.NewDecoder(resp.Body).Decode(&sigManifest); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	td := sha256Hex(tb)
	putManifest(t, srv.Host, "falco/rules", "sha256-"+td+".sig", resp.Header.Get("Content-Type"), sigManifest)
	_, err = registry.Verify(ctx, srv.Host+"/falco/rules:1.0.0", registry.VerifyOptions{PublicKey: keys.PublicPEM})
	if !errors.Is(err, registry.ErrSignatureInvalid) {
		t.Errorf("Verify(tampered, copied signature) = %v, want ErrSignatureInvalid", err)
	}
	// The original is still fine by digest.
	if _, err := registry.Verify(ctx, ref, registry.VerifyOptions{PublicKey: keys.PublicPEM}); err != nil {
		t.Errorf("Verify(original) = %v", err)
	}
}

func TestSignBundle(t *testing.T) {
	ctx := context.Background()
	srv := registrytest.New(t)
	keys, other := registrytest.NewKeys(t), registrytest.NewKeys(t)
	ref := pushed(t, srv.Host, "falco/rules", "1.0.0")
	if _, err := registry.Sign(ctx, ref, keys.Signer, registry.SignOptions{Bundle: true}); err != nil {
		t.Fatalf("Sign: %v", err)
	}
	// Remove the classic signature so that only the bundle referrer is left.
	digest := ref[strings.Index(ref, "@")+1:]
	req, _ := http.NewRequest(http.MethodDelete, "http://"+srv.Host+"/v2/falco/rules/manifests/sha256-"+strings.TrimPrefix(digest, "sha256:")+".sig", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusAccepted {
		t.Fatalf("delete .sig: %v %v", resp, err)
	}
	resp.Body.Close()

	v, err := registry.Verify(ctx, ref, registry.VerifyOptions{PublicKey: keys.PublicPEM})
	if err != nil || !v.Bundle || v.Signatures != 1 {
		t.Fatalf("Verify(bundle only) = %+v, %v", v, err)
	}
	if _, err := registry.Verify(ctx, ref, registry.VerifyOptions{PublicKey: other.PublicPEM}); !errors.Is(err, registry.ErrSignatureInvalid) {
		t.Errorf("Verify(bundle, wrong key) = %v, want ErrSignatureInvalid", err)
	}
}

func TestAttest(t *testing.T) {
	ctx := context.Background()
	srv := registrytest.New(t)
	keys, other := registrytest.NewKeys(t), registrytest.NewKeys(t)
	rs := testRuleset(t, "1.0.0")
	ref := pushed(t, srv.Host, "falco/rules", "1.0.0")
	if _, err := registry.Sign(ctx, ref, keys.Signer, registry.SignOptions{}); err != nil {
		t.Fatal(err)
	}
	prov := registry.Provenance{
		BuilderID:  "https://example.com/ci/release",
		SourceRepo: rs.Source,
		Commit:     rs.Revision,
		Ref:        "refs/tags/v1.0.0",
		Materials:  registry.RuleFileMaterials(rs.Source, rs.Revision, rs.RuleFiles),
		Parameters: map[string]string{"name": rs.Name, "version": rs.Version},
	}
	pred, err := prov.Predicate()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := registry.Attest(ctx, ref, keys.Signer, registry.PredicateSLSAProvenance, pred, registry.AttestOptions{}); err != nil {
		t.Fatalf("Attest(provenance): %v", err)
	}

	required := registry.VerifyOptions{PublicKey: keys.PublicPEM, RequireAttestations: []string{registry.PredicateSLSAProvenance, registry.PredicateTestReport}}
	if _, err := registry.Verify(ctx, ref, required); !errors.Is(err, registry.ErrAttestationMissing) {
		t.Errorf("Verify without a test report = %v, want ErrAttestationMissing", err)
	}
	report := json.RawMessage(`{"passed":12,"failed":0,"coverage":{"rules":0.8}}`)
	if _, err := registry.Attest(ctx, ref, keys.Signer, registry.PredicateTestReport, report, registry.AttestOptions{}); err != nil {
		t.Fatalf("Attest(report): %v", err)
	}
	// Attesting the same type again replaces the earlier statement.
	report2 := json.RawMessage(`{"passed":13,"failed":0}`)
	if _, err := registry.Attest(ctx, ref, keys.Signer, registry.PredicateTestReport, report2, registry.AttestOptions{}); err != nil {
		t.Fatal(err)
	}
	v, err := registry.Verify(ctx, ref, required)
	if err != nil {
		t.Fatalf("Verify with attestations: %v", err)
	}
	if len(v.Attestations) != 2 {
		t.Fatalf("got %d attestations, want 2: %+v", len(v.Attestations), v.Attestations)
	}
	var got struct {
		BuildDefinition struct {
			ExternalParameters struct {
				Source struct {
					URI    string            `json:"uri"`
					Digest map[string]string `json:"digest"`
				} `json:"source"`
			} `json:"externalParameters"`
			ResolvedDependencies []registry.ResourceDescriptor `json:"resolvedDependencies"`
		} `json:"buildDefinition"`
	}
	if err := json.Unmarshal(v.Attestations[0].Predicate, &got); err != nil {
		t.Fatal(err)
	}
	if got.BuildDefinition.ExternalParameters.Source.Digest["gitCommit"] != rs.Revision ||
		len(got.BuildDefinition.ResolvedDependencies) != 2 ||
		got.BuildDefinition.ResolvedDependencies[1].Digest["sha256"] != sha256Hex(rs.RuleFiles[0].Data) {
		t.Errorf("provenance predicate = %s", v.Attestations[0].Predicate)
	}
	if string(v.Attestations[1].Predicate) != string(report2) {
		t.Errorf("test report predicate = %s, want %s", v.Attestations[1].Predicate, report2)
	}

	// Another key's attestations do not count.
	if _, err := registry.Sign(ctx, ref, other.Signer, registry.SignOptions{}); err != nil {
		t.Fatal(err)
	}
	_, err = registry.Verify(ctx, ref, registry.VerifyOptions{PublicKey: other.PublicPEM, RequireAttestations: []string{registry.PredicateTestReport}})
	if !errors.Is(err, registry.ErrAttestationMissing) {
		t.Errorf("Verify(other key's attestations) = %v, want ErrAttestationMissing", err)
	}

	if _, err := registry.Attest(ctx, ref, keys.Signer, registry.PredicateTestReport, json.RawMessage(`[1]`), registry.AttestOptions{}); err == nil {
		t.Errorf("Attest with a non-object predicate succeeded")
	}
}

func TestAttestBundle(t *testing.T) {
	ctx := context.Background()
	srv := registrytest.New(t)
	keys := registrytest.NewKeys(t)
	ref := pushed(t, srv.Host, "falco/rules", "1.0.0")
	if _, err := registry.Sign(ctx, ref, keys.Signer, registry.SignOptions{Bundle: true}); err != nil {
		t.Fatal(err)
	}
	report := json.RawMessage(`{"passed":1}`)
	if _, err := registry.Attest(ctx, ref, keys.Signer, registry.PredicateTestReport, report, registry.AttestOptions{Bundle: true}); err != nil {
		t.Fatal(err)
	}
	v, err := registry.Verify(ctx, ref, registry.VerifyOptions{PublicKey: keys.PublicPEM, RequireAttestations: []string{registry.PredicateTestReport}})
	if err != nil || len(v.Attestations) != 1 || string(v.Attestations[0].Predicate) != string(report) {
		t.Errorf("Verify = %+v, %v", v, err)
	}
}

func TestLoadSigningKey(t *testing.T) {
	ctx := context.Background()
	keys := registrytest.NewKeys(t)
	pass := func(p string) func() ([]byte, error) { return func() ([]byte, error) { return []byte(p), nil } }
	k, err := registry.LoadSigningKey(ctx, keys.PrivatePath, pass(string(keys.Password)))
	if err != nil {
		t.Fatalf("LoadSigningKey: %v", err)
	}
	pub, err := k.PublicKeyPEM()
	if err != nil || string(pub) != string(keys.PublicPEM) {
		t.Errorf("PublicKeyPEM = %s, %v; want %s", pub, err, keys.PublicPEM)
	}
	for _, tt := range []struct{ ref, pass string }{
		{keys.PrivatePath, "wrong"},
		{keys.PublicPath, string(keys.Password)},
		{filepath.Join(t.TempDir(), "missing.key"), ""},
		{"awskms:///alias/not-linked", ""},
	} {
		if k, err := registry.LoadSigningKey(ctx, tt.ref, pass(tt.pass)); err == nil || k != nil {
			t.Errorf("LoadSigningKey(%s) = %v, %v; want an error", tt.ref, k, err)
		}
	}
}
