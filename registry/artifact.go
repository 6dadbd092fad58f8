package registry

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/opencontainers/go-digest"
	specs "github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"golang.org/x/mod/semver"

	"github.com/falconer-sec/falconer/registry/rulesfile"
)

// File is one file of a ruleset: a slash-separated relative path and its
// content.
type File = rulesfile.File

// Requirement is a falcoctl requirement: a key of Falco's /versions answer
// and the lowest acceptable version.
type Requirement struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// Alternative is another artifact that can satisfy a Dependency.
type Alternative struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// Dependency is a falcoctl dependency: another artifact (usually a plugin)
// that must be installed with this one.
type Dependency struct {
	Name         string        `json:"name"`
	Version      string        `json:"version"`
	Alternatives []Alternative `json:"alternatives,omitempty"`
}

// Config is falcoctl's rulesfile config blob.
type Config struct {
	Name         string        `json:"name"`
	Version      string        `json:"version"`
	Dependencies []Dependency  `json:"dependencies,omitempty"`
	Requirements []Requirement `json:"requirements,omitempty"`
}

// Ruleset is what gets packaged: the rule files, the compiled ruleset and
// the metadata describing where they came from.
type Ruleset struct {
	// Name is the artifact name (falcoctl's index name); Version its semver.
	Name, Version string
	// RuleFiles are the YAML rule files, stored in the rulesfile layer.
	RuleFiles []File
	// Compiled is the compiled ruleset, stored as is in its own layer. It
	// may be empty, in which case the artifact has only the rulesfile layer.
	Compiled []byte
	// CompiledDigest is the compiler's digest of Compiled; when empty the
	// sha256 of Compiled is recorded.
	CompiledDigest string
	// RuleCount is the number of rules in the compiled ruleset.
	RuleCount int
	// CompilerVersion is the version of the compiler that made Compiled.
	CompilerVersion string
	// RequiredEngineVersion is the rules' required_engine_version: an
	// integer N (meaning 0.N.0) or a semver. It becomes the
	// engine_version_semver requirement.
	RequiredEngineVersion string
	// Dependencies and Requirements go into falcoctl's config blob as they
	// are (sorted by name).
	Dependencies []Dependency
	Requirements []Requirement
	// Source is the source repository URL, Revision the commit.
	Source, Revision string
	// Description is a human-readable summary.
	Description string
	// Created is the creation time, taken from the commit so that the same
	// commit gives the same digest. The zero time leaves it out.
	Created time.Time
}

// Artifact is a packed ruleset: the manifest and every blob it refers to,
// held in memory. Build one with Pack.
type Artifact struct {
	// Manifest is the decoded manifest; ManifestBytes its exact encoding,
	// whose digest is Descriptor.Digest.
	Manifest      ocispec.Manifest
	ManifestBytes []byte
	Descriptor    ocispec.Descriptor
	// Config is the falcoctl config blob's content.
	Config Config

	blobs map[digest.Digest][]byte
}

// Blob returns the content of one of the artifact's blobs (config or layer).
func (a *Artifact) Blob(d digest.Digest) ([]byte, bool) {
	b, ok := a.blobs[d]
	return b, ok
}

// Size returns the total size of the manifest and its blobs in bytes.
func (a *Artifact) Size() int64 {
	n := int64(len(a.ManifestBytes))
	for _, b := range a.blobs {
		n += int64(len(b))
	}
	return n
}

// ErrInvalidRuleset reports a Ruleset that cannot be packed.
var ErrInvalidRuleset = errors.New("invalid ruleset")

// Pack builds the artifact for rs. It is a pure function: the same Ruleset
// gives byte-identical output with the same Go toolchain.
func Pack(rs Ruleset) (*Artifact, error) {
	if err := validateRuleset(rs); err != nil {
		return nil, err
	}
	cfg, err := rulesetConfig(rs)
	if err != nil {
		return nil, err
	}
	cfgBytes, err := json.Marshal(cfg)
	if err != nil {
		return nil, fmt.Errorf("pack %s: %w", rs.Name, err)
	}
	tgz, err := rulesfile.Write(rs.RuleFiles)
	if err != nil {
		return nil, fmt.Errorf("pack %s: %w", rs.Name, err)
	}

	a := &Artifact{Config: cfg, blobs: map[digest.Digest][]byte{}}
	cfgDesc := a.add(MediaTypeRulesfileConfig, cfgBytes, nil)
	layers := []ocispec.Descriptor{
		a.add(MediaTypeRulesfileLayer, tgz, map[string]string{
			ocispec.AnnotationTitle: rs.Name + ".tar.gz",
		}),
	}
	if len(rs.Compiled) > 0 {
		layers = append(layers, a.add(MediaTypeCompiledRuleset, rs.Compiled, map[string]string{
			ocispec.AnnotationTitle: rs.Name + ".fcr",
		}))
	}

	ann := map[string]string{
		AnnotationTitle:   rs.Name,
		AnnotationVersion: rs.Version,
	}
	set := func(k, v string) {
		if v != "" {
			ann[k] = v
		}
	}
	set(AnnotationSource, rs.Source)
	set(AnnotationRevision, rs.Revision)
	set(AnnotationDescription, rs.Description)
	if !rs.Created.IsZero() {
		ann[AnnotationCreated] = rs.Created.UTC().Format(time.RFC3339)
	}
	if len(rs.Compiled) > 0 {
		set(AnnotationCompilerVersion, rs.CompilerVersion)
		d := rs.CompiledDigest
		if d == "" {
			d = digest.FromBytes(rs.Compiled).String()
		}
		ann[AnnotationRulesetDigest] = d
		ann[AnnotationRuleCount] = strconv.Itoa(rs.RuleCount)
	}

	a.Manifest = ocispec.Manifest{
		Versioned:   specs.Versioned{SchemaVersion: 2},
		MediaType:   ocispec.MediaTypeImageManifest,
		Config:      cfgDesc,
		Layers:      layers,
		Annotations: ann,
	}
	// encoding/json writes map keys sorted, so the encoding is stable.
	a.ManifestBytes, err = json.Marshal(a.Manifest)
	if err != nil {
		return nil, fmt.Errorf("pack %s: %w", rs.Name, err)
	}
	a.Descriptor = ocispec.Descriptor{
		MediaType: ocispec.MediaTypeImageManifest,
		Digest:    digest.FromBytes(a.ManifestBytes),
		Size:      int64(len(a.ManifestBytes)),
	}
	return a, nil
}

func (a *Artifact) add(mediaType string, data []byte, ann map[string]string) ocispec.Descriptor {
	d := digest.FromBytes(data)
	a.blobs[d] = data
	return ocispec.Descriptor{MediaType: mediaType, Digest: d, Size: int64(len(data)), Annotations: ann}
}

// validateRuleset checks what Pack needs.
func validateRuleset(rs Ruleset) error {
	if !validName(rs.Name) {
		return fmt.Errorf("%w: name %q: want lowercase letters, digits, '.', '_' or '-'", ErrInvalidRuleset, rs.Name)
	}
	if !validVersion(rs.Version) {
		return fmt.Errorf("%w: version %q is not a semantic version MAJOR.MINOR.PATCH[-PRERELEASE]", ErrInvalidRuleset, rs.Version)
	}
	if len(rs.RuleFiles) == 0 {
		return fmt.Errorf("%w: no rule files", ErrInvalidRuleset)
	}
	seen := map[string]bool{}
	for _, f := range rs.RuleFiles {
		if err := rulesfile.CheckName(f.Name); err != nil {
			return fmt.Errorf("%w: rule file %q: %v", ErrInvalidRuleset, f.Name, err)
		}
		if seen[f.Name] {
			return fmt.Errorf("%w: rule file %q given twice", ErrInvalidRuleset, f.Name)
		}
		seen[f.Name] = true
	}
	if rs.RuleCount < 0 {
		return fmt.Errorf("%w: negative rule count", ErrInvalidRuleset)
	}
	if rs.CompiledDigest != "" {
		if _, err := digest.Parse(rs.CompiledDigest); err != nil {
			return fmt.Errorf("%w: compiled digest %q: %v", ErrInvalidRuleset, rs.CompiledDigest, err)
		}
	}
	return nil
}

// validName reports whether s can name an artifact: the characters of an OCI
// repository path component.
func validName(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for i, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
		case (r == '.' || r == '_' || r == '-') && i > 0:
		default:
			return false
		}
	}
	return true
}

// rulesetConfig builds falcoctl's config for rs.
func rulesetConfig(rs Ruleset) (Config, error) {
	cfg := Config{
		Name:         rs.Name,
		Version:      rs.Version,
		Dependencies: append([]Dependency(nil), rs.Dependencies...),
		Requirements: append([]Requirement(nil), rs.Requirements...),
	}
	if rs.RequiredEngineVersion != "" {
		v, err := EngineVersionSemver(rs.RequiredEngineVersion)
		if err != nil {
			return Config{}, fmt.Errorf("%w: %v", ErrInvalidRuleset, err)
		}
		found := false
		for i, r := range cfg.Requirements {
			if r.Name == RequirementEngineVersion {
				cfg.Requirements[i].Version = v
				found = true
			}
		}
		if !found {
			cfg.Requirements = append(cfg.Requirements, Requirement{Name: RequirementEngineVersion, Version: v})
		}
	}
	sort.SliceStable(cfg.Dependencies, func(i, j int) bool { return cfg.Dependencies[i].Name < cfg.Dependencies[j].Name })
	sort.SliceStable(cfg.Requirements, func(i, j int) bool { return cfg.Requirements[i].Name < cfg.Requirements[j].Name })
	return cfg, nil
}

// EngineVersionSemver converts a rules file's required_engine_version to the
// semver falcoctl checks against engine_version_semver: an integer N becomes
// 0.N.0, a semver is kept.
func EngineVersionSemver(v string) (string, error) {
	v = strings.TrimSpace(v)
	if n, err := strconv.ParseUint(v, 10, 32); err == nil {
		return fmt.Sprintf("0.%d.0", n), nil
	}
	if semver.IsValid("v"+v) && isFullVersion(v) {
		return v, nil
	}
	return "", fmt.Errorf("required engine version %q is neither an integer nor a semantic version", v)
}
