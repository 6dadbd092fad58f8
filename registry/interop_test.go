package registry_test

// Interoperability with the real peer tools installed by .ci/tools.sh:
// distribution's registry server, cosign, oras and falcoctl v0.11. Without
// the tools these tests skip, unless FALCONER_PRIVILEGED_TESTS=1 or CI=true
// (see registrytest.Tool).

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/falconer-sec/falconer/registry"
	"github.com/falconer-sec/falconer/registry/registrytest"
)

const toolTimeout = 2 * time.Minute

// cosignEnv keeps cosign's caches in the test's directories and gives it
// the key password.
func cosignEnv(t *testing.T, keys *registrytest.Keys) []string {
	home := t.TempDir()
	return []string{
		"HOME=" + home,
		"TUF_ROOT=" + filepath.Join(home, "tuf"),
		"COSIGN_PASSWORD=" + string(keys.Password),
		"DOCKER_CONFIG=" + filepath.Join(home, "docker"),
	}
}

func mustRun(t *testing.T, env []string, tool string, args ...string) string {
	t.Helper()
	out, err := registrytest.Run(t, env, toolTimeout, tool, args...)
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", filepath.Base(tool), strings.Join(args, " "), err, out)
	}
	return out
}

// TestInteropCosignVerifiesFalconer signs and attests with falconer on the
// distribution registry, and checks the result with cosign and oras.
func TestInteropCosignVerifiesFalconer(t *testing.T) {
	cosign := registrytest.Tool(t, "cosign")
	oras := registrytest.Tool(t, "oras")
	host := registrytest.Distribution(t)
	ctx := context.Background()
	keys := registrytest.NewKeys(t)
	rs := testRuleset(t, "1.0.0")
	a := pack(t, rs)
	res, err := registry.Push(ctx, host+"/falco/rules", a, registry.PushOptions{})
	if err != nil {
		t.Fatalf("Push: %v", err)
	}
	ref := res.Ref()
	if _, err := registry.Sign(ctx, ref, keys.Signer, registry.SignOptions{}); err != nil {
		t.Fatalf("Sign: %v", err)
	}
	prov, err := registry.Provenance{
		BuilderID: "https://example.com/ci", SourceRepo: rs.Source, Commit: rs.Revision,
		Materials: registry.RuleFileMaterials(rs.Source, rs.Revision, rs.RuleFiles),
	}.Predicate()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := registry.Attest(ctx, ref, keys.Signer, registry.PredicateSLSAProvenance, prov, registry.AttestOptions{}); err != nil {
		t.Fatalf("Attest: %v", err)
	}
	if _, err := registry.Attest(ctx, ref, keys.Signer, registry.PredicateTestReport, json.RawMessage(`{"passed":3,"failed":0}`), registry.AttestOptions{}); err != nil {
		t.Fatalf("Attest: %v", err)
	}
	env := cosignEnv(t, keys)

	out := mustRun(t, env, cosign, "verify", "--key", keys.PublicPath, "--insecure-ignore-tlog", "--allow-http-registry", ref)
	if !strings.Contains(out, a.Descriptor.Digest.String()) {
		t.Errorf("cosign verify output does not name the digest:\n%s", out)
	}
	// By tag too.
	mustRun(t, env, cosign, "verify", "--key", keys.PublicPath, "--insecure-ignore-tlog", "--allow-http-registry", host+"/falco/rules:latest")
	for _, pt := range []string{registry.PredicateSLSAProvenance, registry.PredicateTestReport} {
		out := mustRun(t, env, cosign, "verify-attestation", "--key", keys.PublicPath, "--insecure-ignore-tlog", "--allow-http-registry", "--type", pt, ref)
		if !strings.Contains(out, `"payloadType":"application/vnd.in-toto+json"`) {
			t.Errorf("cosign verify-attestation --type %s printed no envelope:\n%s", pt, out)
		}
	}
	// cosign rejects another key.
	other := registrytest.NewKeys(t)
	if out, err := registrytest.Run(t, env, toolTimeout, cosign, "verify", "--key", other.PublicPath, "--insecure-ignore-tlog", "--allow-http-registry", ref); err == nil {
		t.Errorf("cosign verify with another key succeeded:\n%s", out)
	}

	// oras pulls the layers by their titles.
	dir := t.TempDir()
	mustRun(t, nil, oras, "pull", "--plain-http", "-o", dir, host+"/falco/rules:1.0.0")
	rulesLayer, _ := a.Blob(a.Manifest.Layers[0].Digest)
	for name, want := range map[string][]byte{"falco-rules.tar.gz": rulesLayer, "falco-rules.fcr": rs.Compiled} {
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("oras pull: %s differs from what was pushed (err %v)", name, err)
		}
	}

	// And falconer reads it back from a registry without the referrers API.
	if _, err := registry.Verify(ctx, ref, registry.VerifyOptions{PublicKey: keys.PublicPEM, RequireAttestations: []string{registry.PredicateSLSAProvenance, registry.PredicateTestReport}}); err != nil {
		t.Errorf("Verify: %v", err)
	}
}

// TestInteropFalconerVerifiesCosign checks that falconer accepts what the
// cosign CLI signed and rejects a wrong key, an unsigned artifact and a
// tampered manifest.
func TestInteropFalconerVerifiesCosign(t *testing.T) {
	cosign := registrytest.Tool(t, "cosign")
	host := registrytest.Distribution(t)
	ctx := context.Background()
	keys, other := registrytest.NewKeys(t), registrytest.NewKeys(t)
	ref := pushed(t, host, "falco/rules", "1.0.0")
	unsigned := pushed(t, host, "falco/unsigned", "1.0.0")
	env := cosignEnv(t, keys)
	mustRun(t, env, cosign, "sign", "--key", keys.PrivatePath, "--tlog-upload=false", "--allow-http-registry", "--yes", ref)
	report := filepath.Join(t.TempDir(), "report.json")
	if err := os.WriteFile(report, []byte(`{"passed":1}`), 0o644); err != nil {
		t.Fatal(err)
	}
	mustRun(t, env, cosign, "attest", "--key", keys.PrivatePath, "--predicate", report, "--type", registry.PredicateTestReport,
		"--tlog-upload=false", "--allow-http-registry", "--yes", ref)

	v, err := registry.Verify(ctx, ref, registry.VerifyOptions{PublicKey: keys.PublicPEM, RequireAttestations: []string{registry.PredicateTestReport}})
	if err != nil || v.Signatures != 1 || len(v.Attestations) != 1 {
		t.Fatalf("Verify(cosign-signed) = %+v, %v", v, err)
	}
	if _, err := registry.Verify(ctx, ref, registry.VerifyOptions{PublicKey: other.PublicPEM}); !errors.Is(err, registry.ErrSignatureInvalid) {
		t.Errorf("Verify with the wrong key = %v, want ErrSignatureInvalid", err)
	}
	if _, err := registry.Verify(ctx, unsigned, registry.VerifyOptions{PublicKey: keys.PublicPEM}); !errors.Is(err, registry.ErrNotSigned) {
		t.Errorf("Verify(unsigned) = %v, want ErrNotSigned", err)
	}

	// Tamper: push another manifest under the tag and give it a copy of the
	// valid signature.
	a := pack(t, testRuleset(t, "1.0.0"))
	var m map[string]any
	if err := json.Unmarshal(a.ManifestBytes, &m); err != nil {
		t.Fatal(err)
	}
	m["annotations"].(map[string]any)["org.opencontainers.image.description"] = "tampered"
	tb, _ := json.Marshal(m)
	putManifest(t, host, "falco/rules", "1.0.0", registry.MediaTypeImageManifest, tb)
	digest := ref[strings.Index(ref, "@")+1:]
	sig := fetchManifest(t, host, "falco/rules", "sha256-"+strings.TrimPrefix(digest, "sha256:")+".sig")
	putManifest(t, host, "falco/rules", "sha256-"+sha256Hex(tb)+".sig", registry.MediaTypeImageManifest, sig)
	if _, err := registry.Verify(ctx, host+"/falco/rules:1.0.0", registry.VerifyOptions{PublicKey: keys.PublicPEM}); !errors.Is(err, registry.ErrSignatureInvalid) {
		t.Errorf("Verify(tampered) = %v, want ErrSignatureInvalid", err)
	}
	// cosign agrees.
	if out, err := registrytest.Run(t, env, toolTimeout, cosign, "verify", "--key", keys.PublicPath, "--insecure-ignore-tlog", "--allow-http-registry", host+"/falco/rules:1.0.0"); err == nil {
		t.Errorf("cosign verify of the tampered manifest succeeded:\n%s", out)
	}
}

// TestInteropFalcoctlInstall installs a falconer artifact with falcoctl
// v0.11, verifying the signature offline (with the CT log key workaround).
func TestInteropFalcoctlInstall(t *testing.T) {
	falcoctl := registrytest.Tool(t, "falcoctl")
	host := registrytest.Distribution(t)
	ctx := context.Background()
	keys, other := registrytest.NewKeys(t), registrytest.NewKeys(t)
	rs := testRuleset(t, "1.0.0")
	res, err := registry.Push(ctx, host+"/falco/rules", pack(t, rs), registry.PushOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := registry.Sign(ctx, res.Ref(), keys.Signer, registry.SignOptions{}); err != nil {
		t.Fatal(err)
	}
	pushed(t, host, "falco/unsigned", "1.0.0")

	dir := t.TempDir()
	index := filepath.Join(dir, "index.yaml")
	entry := func(name, repo, key string) string {
		return fmt.Sprintf(`- name: %s
  type: rulesfile
  registry: %s
  repository: %s
  description: test rules
  home: https://example.com
  keywords: [test]
  license: apache-2.0
  maintainers: [{name: test, email: test@example.com}]
  sources: [https://example.com]
  signature:
    cosign:
      key: %s
      ignore-tlog: true
`, name, host, repo, key)
	}
	idx := entry("falco-rules", "falco/rules", keys.PublicPath) +
		entry("unsigned-rules", "falco/unsigned", keys.PublicPath) +
		entry("wrong-key-rules", "falco/rules", other.PublicPath)
	if err := os.WriteFile(index, []byte(idx), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "falcoctl.yaml")
	if err := os.WriteFile(cfg, []byte(fmt.Sprintf("indexes:\n  - name: local\n    url: file://%s\n    backend: file\n", index)), 0o644); err != nil {
		t.Fatal(err)
	}
	env := []string{"HOME=" + t.TempDir(), "SIGSTORE_CT_LOG_PUBLIC_KEY_FILE=" + keys.PublicPath}
	install := func(ref, into string) (string, error) {
		return registrytest.Run(t, env, toolTimeout, falcoctl, "--config", cfg, "--log-format", "text", "artifact", "install",
			"--plain-http", "--resolve-deps=false", "--rulesfiles-dir", into, ref)
	}

	rulesDir := t.TempDir()
	out, err := install("falco-rules:1.0.0", rulesDir)
	if err != nil {
		t.Fatalf("falcoctl artifact install: %v\n%s", err, out)
	}
	t.Logf("falcoctl artifact install:\n%s", out)
	if !strings.Contains(out, "Signature successfully verified") {
		t.Errorf("falcoctl did not report a verified signature:\n%s", out)
	}
	got, err := os.ReadFile(filepath.Join(rulesDir, "falco_rules.yaml"))
	if err != nil || !bytes.Equal(got, rs.RuleFiles[0].Data) {
		t.Errorf("installed falco_rules.yaml differs from the pushed file (err %v)", err)
	}
	// The floating tag works as well.
	if out, err := install("falco-rules:1", t.TempDir()); err != nil {
		t.Errorf("falcoctl install of the floating tag: %v\n%s", err, out)
	}

	wantFailure := map[string]string{
		"unsigned-rules:1.0.0":  "no signatures found",
		"wrong-key-rules:1.0.0": "no matching signatures",
	}
	for _, ref := range []string{"unsigned-rules:1.0.0", "wrong-key-rules:1.0.0"} {
		d := t.TempDir()
		out, err := install(ref, d)
		if err == nil {
			t.Errorf("falcoctl install %s succeeded:\n%s", ref, out)
		}
		if !strings.Contains(out, wantFailure[ref]) {
			t.Errorf("falcoctl install %s did not fail with %q:\n%s", ref, wantFailure[ref], out)
		}
		if _, err := os.Stat(filepath.Join(d, "falco_rules.yaml")); err == nil {
			t.Errorf("falcoctl install %s wrote the rules", ref)
		}
	}
}

func fetchManifest(t *testing.T, host, repo, ref string) []byte {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, "http://"+host+"/v2/"+repo+"/manifests/"+ref, nil)
	req.Header.Set("Accept", registry.MediaTypeImageManifest)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET manifest %s:%s: %s %v", repo, ref, resp.Status, err)
	}
	return b
}

// TestInteropBundleOnDistribution stores the signature only as a Sigstore
// bundle on a registry without the referrers API: the client keeps the
// referrers fallback tag, and falconer finds and verifies the bundle there.
func TestInteropBundleOnDistribution(t *testing.T) {
	host := registrytest.Distribution(t)
	ctx := context.Background()
	keys, other := registrytest.NewKeys(t), registrytest.NewKeys(t)
	ref := pushed(t, host, "falco/rules", "1.0.0")
	if _, err := registry.Sign(ctx, ref, keys.Signer, registry.SignOptions{Bundle: true}); err != nil {
		t.Fatalf("Sign: %v", err)
	}
	digest := ref[strings.Index(ref, "@")+1:]
	hex := strings.TrimPrefix(digest, "sha256:")
	// The fallback index tag exists; drop the classic signature.
	fetchManifest(t, host, "falco/rules", "sha256-"+hex)
	sig := fetchManifest(t, host, "falco/rules", "sha256-"+hex+".sig")
	deleteManifest(t, host, "falco/rules", "sha256:"+sha256Hex(sig))
	v, err := registry.Verify(ctx, ref, registry.VerifyOptions{PublicKey: keys.PublicPEM})
	if err != nil || !v.Bundle {
		t.Fatalf("Verify(bundle only) = %+v, %v", v, err)
	}
	if _, err := registry.Verify(ctx, ref, registry.VerifyOptions{PublicKey: other.PublicPEM}); !errors.Is(err, registry.ErrSignatureInvalid) {
		t.Errorf("Verify(bundle, wrong key) = %v, want ErrSignatureInvalid", err)
	}
}
