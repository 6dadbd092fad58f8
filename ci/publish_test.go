package ci_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/falconer-sec/falconer/agent/replay"
	"github.com/falconer-sec/falconer/ci"
	"github.com/falconer-sec/falconer/registry"
	"github.com/falconer-sec/falconer/registry/registrytest"
)

// slsa is the part of a SLSA v1 provenance predicate the tests read.
type slsa struct {
	BuildDefinition struct {
		BuildType          string `json:"buildType"`
		ExternalParameters struct {
			Source struct {
				URI    string            `json:"uri"`
				Digest map[string]string `json:"digest"`
				Ref    string            `json:"ref"`
			} `json:"source"`
			Version string `json:"version"`
			Rules   string `json:"rules"`
		} `json:"externalParameters"`
		ResolvedDependencies []registry.ResourceDescriptor `json:"resolvedDependencies"`
	} `json:"buildDefinition"`
	RunDetails struct {
		Builder struct {
			ID string `json:"id"`
		} `json:"builder"`
	} `json:"runDetails"`
}

func TestPublish(t *testing.T) {
	srv := registrytest.New(t)
	keys := registrytest.NewKeys(t)
	r, commit := rulesRepo(t)
	rel, err := ci.Build(r.dir, ci.BuildOptions{Capture: replay.TestCapture})
	if err != nil {
		t.Fatal(err)
	}
	ref := srv.Host + "/acme/falco-rules"
	opts := ci.PublishOptions{Key: keys.Signer, BuilderID: "https://example.com/ci/release"}
	pub, err := rel.Publish(context.Background(), ref, opts)
	if err != nil {
		t.Fatalf("Publish: %v", err)
	}
	if got := pub.Tags; len(got) != 4 || got[0] != "1.2.0" || got[3] != "latest" {
		t.Errorf("tags = %v, want 1.2.0 1.2 1 latest", got)
	}
	if len(pub.Attestations) != 2 || pub.Attestations[0] != registry.PredicateSLSAProvenance || pub.Attestations[1] != registry.PredicateTestReport {
		t.Errorf("attestations = %v", pub.Attestations)
	}

	// What an auditor checks: the signature, both attestations, and that
	// the provenance names the commit and the rule file's digest.
	v, err := registry.Verify(context.Background(), ref+":1.2", registry.VerifyOptions{
		PublicKey:           keys.PublicPEM,
		RequireAttestations: []string{registry.PredicateSLSAProvenance, registry.PredicateTestReport},
	})
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if v.Digest != pub.Digest || len(v.Attestations) != 2 {
		t.Fatalf("Verify = %+v, want digest %s and two attestations", v, pub.Digest)
	}
	var prov slsa
	var report ci.TestReport
	for _, a := range v.Attestations {
		switch a.PredicateType {
		case registry.PredicateSLSAProvenance:
			err = json.Unmarshal(a.Predicate, &prov)
		case registry.PredicateTestReport:
			err = json.Unmarshal(a.Predicate, &report)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	src := prov.BuildDefinition.ExternalParameters.Source
	if src.Digest["gitCommit"] != commit || src.URI != "git+https://example.com/acme/rules.git" || src.Ref != "refs/tags/v1.2.0" {
		t.Errorf("provenance source = %+v, want commit %s at refs/tags/v1.2.0", src, commit)
	}
	if prov.RunDetails.Builder.ID != opts.BuilderID || prov.BuildDefinition.ExternalParameters.Version != "1.2.0" {
		t.Errorf("provenance builder %q version %q", prov.RunDetails.Builder.ID, prov.BuildDefinition.ExternalParameters.Version)
	}
	deps := prov.BuildDefinition.ResolvedDependencies
	wantMaterial := registry.RuleFileMaterials("https://example.com/acme/rules.git", commit, []registry.File{{Name: "rules/falconer_rules.yaml", Data: rel.Rules[0].Data}})[0]
	if len(deps) != 2 || deps[1].Name != wantMaterial.Name || deps[1].URI != wantMaterial.URI || deps[1].Digest["sha256"] != wantMaterial.Digest["sha256"] {
		t.Errorf("provenance materials = %+v, want the commit and %+v", deps, wantMaterial)
	}
	if report.Failed != 0 || report.Passed != len(rel.Tests.Results) || report.Coverage.Percent != 100 || report.Coverage.Rules != len(rel.Program.Rules) {
		t.Errorf("test report: %d passed, %d failed, coverage %+v", report.Passed, report.Failed, report.Coverage)
	}

	// The manifest's annotations carry the commit and its time.
	p, err := registry.Pull(context.Background(), pub.Ref(), registry.PullOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ann := p.Manifest.Annotations
	if ann[registry.AnnotationRevision] != commit || ann[registry.AnnotationCreated] != rel.Info.CommitTime.Format("2006-01-02T15:04:05Z") ||
		ann[registry.AnnotationVersion] != "1.2.0" || ann[registry.AnnotationSource] != "https://example.com/acme/rules.git" ||
		ann[registry.AnnotationRulesetDigest] != rel.CompiledDigest {
		t.Errorf("annotations = %v", ann)
	}
	if p.Config.Name != "falco-rules" || len(p.RuleFiles) != 1 || p.RuleFiles[0].Name != "falconer_rules.yaml" || string(p.Compiled) != string(rel.Compiled) {
		t.Errorf("pulled config %+v files %d", p.Config, len(p.RuleFiles))
	}

	// Publishing the same commit again gives the same artifact.
	rel2, err := ci.Build(r.dir, ci.BuildOptions{NoTests: true})
	if err != nil {
		t.Fatal(err)
	}
	opts.Tags = []string{"again"}
	pub2, err := rel2.Publish(context.Background(), ref, opts)
	if err != nil {
		t.Fatal(err)
	}
	if pub2.Digest != pub.Digest || len(pub2.Attestations) != 1 {
		t.Errorf("republish: digest %s attestations %v; want %s and provenance only", pub2.Digest, pub2.Attestations, pub.Digest)
	}
}

func TestPublishErrors(t *testing.T) {
	keys := registrytest.NewKeys(t)
	r, _ := rulesRepo(t)
	rel, err := ci.Build(r.dir, ci.BuildOptions{NoTests: true})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := rel.Publish(ctx, "127.0.0.1:1/acme/rules", ci.PublishOptions{BuilderID: "x"}); err == nil {
		t.Errorf("Publish without a key succeeded")
	}
	if _, err := rel.Publish(ctx, "127.0.0.1:1/acme/rules", ci.PublishOptions{Key: keys.Signer}); err == nil {
		t.Errorf("Publish without a builder id succeeded")
	}
	if _, err := (&ci.Release{}).Publish(ctx, "127.0.0.1:1/acme/rules", ci.PublishOptions{Key: keys.Signer, BuilderID: "x"}); err == nil {
		t.Errorf("Publish of an unbuilt release succeeded")
	}
	_, err = rel.Publish(ctx, "127.0.0.1:1/acme/rules", ci.PublishOptions{Key: keys.Signer, BuilderID: "x", Remote: registry.Remote{Retries: -1}})
	if !errors.Is(err, registry.ErrUnreachable) {
		t.Errorf("Publish to a closed port = %v, want ErrUnreachable", err)
	}
}
