package registry

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"github.com/sigstore/cosign/v2/pkg/oci"
	"github.com/sigstore/cosign/v2/pkg/oci/mutate"
	ociremote "github.com/sigstore/cosign/v2/pkg/oci/remote"
	"github.com/sigstore/cosign/v2/pkg/oci/static"
	ctypes "github.com/sigstore/cosign/v2/pkg/types"
)

// BuildTypeRuleset is the SLSA build type of a falconer ruleset build.
const BuildTypeRuleset = "https://falconer.dev/build/ruleset/v1"

// ResourceDescriptor is an in-toto resource descriptor: something a build
// read, named by URI and pinned by digest.
type ResourceDescriptor struct {
	Name   string            `json:"name,omitempty"`
	URI    string            `json:"uri,omitempty"`
	Digest map[string]string `json:"digest"`
}

// Provenance describes how an artifact was built, for a SLSA v1 provenance
// attestation.
type Provenance struct {
	// BuilderID identifies what ran the build (a CI workflow URL, or a
	// falconer version when run by hand).
	BuilderID string
	// BuildType defaults to BuildTypeRuleset.
	BuildType string
	// SourceRepo is the source repository URL, Commit the full commit
	// hash and Ref the branch or tag built.
	SourceRepo, Commit, Ref string
	// Materials are the inputs read: the rule files with their digests.
	// See RuleFileMaterials.
	Materials []ResourceDescriptor
	// Parameters are the build's external parameters besides the source
	// (for example the artifact name and version).
	Parameters map[string]string
	// InvocationID identifies the CI run, if any.
	InvocationID string
	// StartedOn and FinishedOn bound the build; zero times are left out.
	StartedOn, FinishedOn time.Time
}

// RuleFileMaterials describes rule files as materials: each named by its
// path, with a URI pinning it to the source commit (when known) and its
// sha256.
func RuleFileMaterials(sourceRepo, commit string, files []File) []ResourceDescriptor {
	out := make([]ResourceDescriptor, 0, len(files))
	for _, f := range files {
		sum := sha256.Sum256(f.Data)
		rd := ResourceDescriptor{Name: f.Name, Digest: map[string]string{"sha256": hex.EncodeToString(sum[:])}}
		if sourceRepo != "" && commit != "" {
			rd.URI = "git+" + sourceRepo + "@" + commit + "#" + f.Name
		}
		out = append(out, rd)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

type slsaPredicate struct {
	BuildDefinition struct {
		BuildType            string               `json:"buildType"`
		ExternalParameters   map[string]any       `json:"externalParameters"`
		ResolvedDependencies []ResourceDescriptor `json:"resolvedDependencies,omitempty"`
	} `json:"buildDefinition"`
	RunDetails struct {
		Builder struct {
			ID string `json:"id"`
		} `json:"builder"`
		Metadata *slsaMetadata `json:"metadata,omitempty"`
	} `json:"runDetails"`
}

type slsaMetadata struct {
	InvocationID string `json:"invocationId,omitempty"`
	StartedOn    string `json:"startedOn,omitempty"`
	FinishedOn   string `json:"finishedOn,omitempty"`
}

// Predicate encodes p as a SLSA v1 provenance predicate
// (PredicateSLSAProvenance). The source is an external parameter and, when
// the commit is known, the first resolved dependency, followed by the
// materials.
func (p Provenance) Predicate() (json.RawMessage, error) {
	if p.BuilderID == "" {
		return nil, fmt.Errorf("provenance: no builder id")
	}
	var sp slsaPredicate
	sp.BuildDefinition.BuildType = p.BuildType
	if sp.BuildDefinition.BuildType == "" {
		sp.BuildDefinition.BuildType = BuildTypeRuleset
	}
	ext := map[string]any{}
	for k, v := range p.Parameters {
		ext[k] = v
	}
	if p.SourceRepo != "" {
		src := map[string]any{"uri": "git+" + p.SourceRepo}
		if p.Commit != "" {
			src["digest"] = map[string]string{"gitCommit": p.Commit}
		}
		if p.Ref != "" {
			src["ref"] = p.Ref
		}
		ext["source"] = src
		if p.Commit != "" {
			sp.BuildDefinition.ResolvedDependencies = append(sp.BuildDefinition.ResolvedDependencies, ResourceDescriptor{
				URI:    "git+" + p.SourceRepo + "@" + p.Commit,
				Digest: map[string]string{"gitCommit": p.Commit},
			})
		}
	}
	sp.BuildDefinition.ExternalParameters = ext
	sp.BuildDefinition.ResolvedDependencies = append(sp.BuildDefinition.ResolvedDependencies, p.Materials...)
	sp.RunDetails.Builder.ID = p.BuilderID
	md := slsaMetadata{InvocationID: p.InvocationID}
	if !p.StartedOn.IsZero() {
		md.StartedOn = p.StartedOn.UTC().Format(time.RFC3339)
	}
	if !p.FinishedOn.IsZero() {
		md.FinishedOn = p.FinishedOn.UTC().Format(time.RFC3339)
	}
	if md != (slsaMetadata{}) {
		sp.RunDetails.Metadata = &md
	}
	return json.Marshal(sp)
}

// AttestOptions configures Attest.
type AttestOptions struct {
	Remote
	// Bundle stores the attestation as a Sigstore bundle referrer instead of
	// the classic sha256-<hex>.att tag.
	Bundle bool
}

// AttestResult describes what Attest wrote.
type AttestResult struct {
	// Digest is the attested manifest digest.
	Digest string
	// Statement is the in-toto statement that was signed.
	Statement json.RawMessage
}

// Attest signs an in-toto statement about the manifest ref resolves to,
// carrying predicate (a JSON object) under predicateType, and stores it as
// cosign does: a DSSE envelope in the tag sha256-<hex>.att, readable by
// `cosign verify-attestation`. An earlier attestation of the same predicate
// type is replaced. Nothing is sent to a transparency log.
func Attest(ctx context.Context, ref string, key *SigningKey, predicateType string, predicate json.RawMessage, opts AttestOptions) (*AttestResult, error) {
	if predicateType == "" {
		return nil, fmt.Errorf("attest %s: no predicate type", ref)
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(predicate, &obj); err != nil {
		return nil, fmt.Errorf("attest %s: predicate is not a JSON object: %w", ref, err)
	}
	d, ociOpts, err := resolveForCosign(ctx, ref, opts.Remote)
	if err != nil {
		return nil, fmt.Errorf("attest %s: %w", ref, err)
	}
	st, err := statementFor(d, predicateType, predicate)
	if err != nil {
		return nil, fmt.Errorf("attest %s: %w", ref, err)
	}
	res := &AttestResult{Digest: d.DigestStr(), Statement: st}
	if opts.Bundle {
		if err := writeBundle(ctx, d, key, st, predicateType, ociOpts); err != nil {
			return nil, fmt.Errorf("attest %s: %w", ref, classify(err))
		}
		return res, nil
	}
	env, err := dsseSign(ctx, key, st)
	if err != nil {
		return nil, fmt.Errorf("attest %s: %w", ref, err)
	}
	att, err := static.NewAttestation(env,
		static.WithLayerMediaType(ctypes.DssePayloadType),
		static.WithAnnotations(map[string]string{"predicateType": predicateType}))
	if err != nil {
		return nil, fmt.Errorf("attest %s: %w", ref, err)
	}
	se, err := ociremote.SignedEntity(d, ociOpts...)
	if err != nil {
		return nil, fmt.Errorf("attest %s: %w", ref, classify(err))
	}
	se, err = mutate.AttachAttestationToEntity(se, att, mutate.WithReplaceOp(replaceOp{predicateType: predicateType}))
	if err != nil {
		return nil, fmt.Errorf("attest %s: %w", ref, err)
	}
	if err := ociremote.WriteAttestations(d.Repository, se, ociOpts...); err != nil {
		return nil, fmt.Errorf("attest %s: %w", ref, classify(err))
	}
	return res, nil
}

// replaceOp keeps the existing attestations except those of predicateType,
// then adds the new one (cosign's own prints to stderr).
type replaceOp struct {
	predicateType string
}

// Replace implements mutate.ReplaceOp.
func (r replaceOp) Replace(existing oci.Signatures, att oci.Signature) (oci.Signatures, error) {
	list, err := existing.Get()
	if err != nil {
		return nil, err
	}
	kept := []oci.Signature{att}
	for _, s := range list {
		ann, err := s.Annotations()
		if err != nil {
			return nil, err
		}
		pt, ok := ann["predicateType"]
		if !ok {
			// Written by a tool that does not annotate: read the statement.
			if pt, err = statementPredicateType(s); err != nil {
				return nil, err
			}
		}
		if pt != r.predicateType {
			kept = append(kept, s)
		}
	}
	return &replacedSignatures{Signatures: existing, list: kept}, nil
}

type replacedSignatures struct {
	oci.Signatures
	list []oci.Signature
}

// Get implements oci.Signatures.
func (r *replacedSignatures) Get() ([]oci.Signature, error) { return r.list, nil }

// statementPredicateType reads the predicate type of the in-toto statement
// inside an attestation's DSSE envelope.
func statementPredicateType(s oci.Signature) (string, error) {
	pl, err := s.Payload()
	if err != nil {
		return "", err
	}
	st, err := decodeEnvelope(pl)
	if err != nil {
		return "", err
	}
	var v struct {
		PredicateType string `json:"predicateType"`
	}
	if err := json.Unmarshal(st, &v); err != nil {
		return "", fmt.Errorf("attestation statement: %w", err)
	}
	return v.PredicateType, nil
}
