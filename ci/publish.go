package ci

import (
	"context"
	"errors"
	"fmt"
	"path"
	"strings"
	"time"

	"github.com/falconer-sec/falconer/registry"
)

// PublishOptions configures Release.Publish.
type PublishOptions struct {
	// Remote is how to reach the registry.
	Remote registry.Remote
	// Name is the artifact name in falcoctl's config; default: the last
	// element of the repository. Description is the description
	// annotation.
	Name, Description string
	// Tags replaces the computed tags (the exact version, and the floating
	// X.Y, X and latest) when not nil.
	Tags []string
	// Key signs the artifact and its attestations. It is required.
	Key *registry.SigningKey
	// BuilderID names what ran the build in the provenance (a CI workflow
	// URL); InvocationID the CI run. BuilderID is required.
	BuilderID, InvocationID string
	// SourceRef is the git ref that was built, for the provenance; default
	// refs/tags/<tag> when the commit is tagged, else refs/heads/<branch>.
	SourceRef string
	// StartedOn is when the build started, for the provenance; default:
	// when Publish was called.
	StartedOn time.Time
	// Progress reports the push.
	Progress registry.Progress
}

// Published describes a published release.
type Published struct {
	// Repository is registry/repository and Digest the manifest digest.
	Repository string
	Digest     string
	// Tags are the tags set, exact version first.
	Tags []string
	// Size is the total size of manifest, config and layers in bytes.
	Size int64
	// SignatureTag is the tag holding the cosign signature.
	SignatureTag string
	// Attestations are the predicate types attested, provenance first.
	Attestations []string
	// Provenance is the SLSA provenance predicate that was attested.
	Provenance registry.Provenance
	// Stages are the steps taken, with their durations.
	Stages []Stage
}

// Ref returns the digest reference of the published artifact.
func (p *Published) Ref() string { return p.Repository + "@" + p.Digest }

// Ruleset returns what gets packaged for the release: the rule files, the
// compiled ruleset, and the annotations naming the source, commit, version
// and commit time.
func (r *Release) Ruleset(name, description string) registry.Ruleset {
	rs := registry.Ruleset{
		Name:                  name,
		Version:               r.Version,
		Compiled:              r.Compiled,
		CompiledDigest:        r.CompiledDigest,
		RuleCount:             len(r.Program.Rules),
		CompilerVersion:       r.Program.Compiler,
		RequiredEngineVersion: r.Program.RequiredEngineVersion,
		Source:                r.Info.RemoteURL,
		Revision:              r.Info.Commit,
		Description:           description,
		Created:               r.Info.CommitTime,
	}
	for _, f := range r.Rules {
		rs.RuleFiles = append(rs.RuleFiles, registry.File{Name: f.Name, Data: f.Data})
	}
	for _, p := range r.Program.PluginRequirements {
		d := registry.Dependency{Name: p.Name, Version: p.Version}
		for _, a := range p.Alternatives {
			d.Alternatives = append(d.Alternatives, registry.Alternative{Name: a.Name, Version: a.Version})
		}
		rs.Dependencies = append(rs.Dependencies, d)
	}
	return rs
}

// Provenance returns the SLSA provenance of the release: the source
// repository and commit, the builder, and the rule files (by their paths in
// the repository) as materials.
func (r *Release) Provenance(name string, opts PublishOptions) registry.Provenance {
	files := make([]registry.File, len(r.Rules))
	var paths []string
	for i, f := range r.Rules {
		files[i] = registry.File{Name: f.Path, Data: f.Data}
		paths = append(paths, f.Path)
	}
	ref := opts.SourceRef
	if ref == "" {
		switch {
		case len(r.Info.Tags) > 0 && !r.Info.Dirty:
			ref = "refs/tags/" + r.Info.Tags[0]
		case r.Info.Branch != "":
			ref = "refs/heads/" + r.Info.Branch
		}
	}
	params := map[string]string{
		"name":          name,
		"version":       r.Version,
		"rules":         strings.Join(paths, ","),
		"rulesetDigest": r.CompiledDigest,
	}
	if r.Info.Dirty {
		params["dirty"] = "true"
	}
	return registry.Provenance{
		BuilderID:    opts.BuilderID,
		SourceRepo:   r.Info.RemoteURL,
		Commit:       r.Info.Commit,
		Ref:          ref,
		Materials:    registry.RuleFileMaterials(r.Info.RemoteURL, r.Info.Commit, files),
		Parameters:   params,
		InvocationID: opts.InvocationID,
		StartedOn:    opts.StartedOn,
	}
}

// Publish is the second half of the pipeline: it packs the release, pushes
// it to the repository named by ref (registry/repository) with its tags,
// signs it, and attests its SLSA provenance and, when tests ran, the test
// report, all with opts.Key. Registry errors wrap the registry package's
// sentinels (ErrUnreachable, ErrDenied, ...).
func (r *Release) Publish(ctx context.Context, ref string, opts PublishOptions) (*Published, error) {
	if r.Program == nil || len(r.Compiled) == 0 {
		return nil, errors.New("publish: the release was not built")
	}
	if opts.Key == nil {
		return nil, errors.New("publish: no signing key")
	}
	if opts.BuilderID == "" {
		return nil, errors.New("publish: no builder id for the provenance")
	}
	if opts.StartedOn.IsZero() {
		opts.StartedOn = time.Now()
	}
	name := opts.Name
	if name == "" {
		name = repositoryBase(ref)
	}

	start := time.Now()
	a, err := registry.Pack(r.Ruleset(name, opts.Description))
	if err != nil {
		return nil, fmt.Errorf("publish: %w", err)
	}
	res, err := registry.Push(ctx, ref, a, registry.PushOptions{Remote: opts.Remote, Tags: opts.Tags, Progress: opts.Progress})
	if err != nil {
		return nil, fmt.Errorf("publish: %w", err)
	}
	pub := &Published{Repository: res.Repository, Digest: res.Digest, Tags: res.Tags, Size: res.Size}
	pub.stage("push", start)

	start = time.Now()
	sig, err := registry.Sign(ctx, pub.Ref(), opts.Key, registry.SignOptions{Remote: opts.Remote})
	if err != nil {
		return nil, fmt.Errorf("publish: %w", err)
	}
	pub.SignatureTag = sig.SignatureTag
	pub.stage("sign", start)

	start = time.Now()
	prov := r.Provenance(name, opts)
	prov.FinishedOn = time.Now()
	pub.Provenance = prov
	data, err := prov.Predicate()
	if err != nil {
		return nil, fmt.Errorf("publish: %w", err)
	}
	type predicate struct {
		typ  string
		data []byte
	}
	preds := []predicate{{registry.PredicateSLSAProvenance, data}}
	if r.Tests != nil {
		tr, err := NewTestReport(r.Tests).Predicate()
		if err != nil {
			return nil, fmt.Errorf("publish: %w", err)
		}
		preds = append(preds, predicate{registry.PredicateTestReport, tr})
	}
	for _, p := range preds {
		if _, err := registry.Attest(ctx, pub.Ref(), opts.Key, p.typ, p.data, registry.AttestOptions{Remote: opts.Remote}); err != nil {
			return nil, fmt.Errorf("publish: %w", err)
		}
		pub.Attestations = append(pub.Attestations, p.typ)
	}
	pub.stage("attest", start)
	return pub, nil
}

func (p *Published) stage(name string, start time.Time) {
	p.Stages = append(p.Stages, Stage{Name: name, Duration: time.Since(start)})
}

// repositoryBase is the last path element of a reference's repository.
func repositoryBase(ref string) string {
	if i := strings.LastIndex(ref, "@"); i >= 0 {
		ref = ref[:i]
	}
	base := path.Base(ref)
	if i := strings.Index(base, ":"); i >= 0 {
		base = base[:i]
	}
	return base
}
