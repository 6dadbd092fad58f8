package registry_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/falconer-sec/falconer/compiler/ir"
	"github.com/falconer-sec/falconer/registry"
)

func TestPackGolden(t *testing.T) {
	rs := testRuleset(t, "1.2.3")
	rs.RuleFiles = []registry.File{
		{Name: "rules/b.yaml", Data: []byte("- list: b\n  items: []\n")},
		{Name: "a.yaml", Data: []byte("- required_engine_version: 12\n")},
	}
	rs.RequiredEngineVersion = "12"
	rs.Dependencies = []registry.Dependency{{Name: "k8saudit", Version: "0.7.0"}, {Name: "container", Version: "0.4.0"}}
	a := pack(t, rs)
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, a.ManifestBytes, "", "  "); err != nil {
		t.Fatal(err)
	}
	pretty.WriteString("\n")
	golden(t, "manifest.golden.json", pretty.Bytes())

	cfg, ok := a.Blob(a.Manifest.Config.Digest)
	if !ok {
		t.Fatal("config blob missing")
	}
	golden(t, "config.golden.json", append(cfg, '\n'))
}

func TestPackDeterministic(t *testing.T) {
	rs := testRuleset(t, "1.0.0")
	a1, a2 := pack(t, rs), pack(t, rs)
	if a1.Descriptor.Digest != a2.Descriptor.Digest {
		t.Fatalf("Pack twice: digests %s and %s differ", a1.Descriptor.Digest, a2.Descriptor.Digest)
	}
	// Reordered rule files are the same ruleset.
	rs2 := rs
	rs2.RuleFiles = append(readRuleFiles(t, "falco-sandbox_rules.yaml"), rs.RuleFiles...)
	rs3 := rs
	rs3.RuleFiles = append(append([]registry.File(nil), rs.RuleFiles...), readRuleFiles(t, "falco-sandbox_rules.yaml")...)
	if d2, d3 := pack(t, rs2).Descriptor.Digest, pack(t, rs3).Descriptor.Digest; d2 != d3 {
		t.Errorf("rule file order changed the digest: %s vs %s", d2, d3)
	}

	// Each input that matters changes the digest.
	changes := map[string]func(*registry.Ruleset){
		"created":  func(r *registry.Ruleset) { r.Created = r.Created.Add(time.Second) },
		"revision": func(r *registry.Ruleset) { r.Revision = "ffff" },
		"compiled": func(r *registry.Ruleset) { r.Compiled = []byte("other") },
		"rules":    func(r *registry.Ruleset) { r.RuleFiles = readRuleFiles(t, "falco-incubating_rules.yaml") },
		"version":  func(r *registry.Ruleset) { r.Version = "1.0.1" },
	}
	for name, change := range changes {
		t.Run(name, func(t *testing.T) {
			r := rs
			change(&r)
			if got := pack(t, r).Descriptor.Digest; got == a1.Descriptor.Digest {
				t.Errorf("changing %s kept digest %s", name, got)
			}
		})
	}
}

func TestPackManifest(t *testing.T) {
	rs := testRuleset(t, "2.0.0")
	a := pack(t, rs)
	m := a.Manifest
	if m.Config.MediaType != registry.MediaTypeRulesfileConfig {
		t.Errorf("config media type = %q", m.Config.MediaType)
	}
	if len(m.Layers) != 2 || m.Layers[0].MediaType != registry.MediaTypeRulesfileLayer || m.Layers[1].MediaType != registry.MediaTypeCompiledRuleset {
		t.Fatalf("layers = %+v", m.Layers)
	}
	if got := m.Layers[0].Annotations["org.opencontainers.image.title"]; got != "falco-rules.tar.gz" {
		t.Errorf("rules layer title = %q", got)
	}
	want := map[string]string{
		registry.AnnotationTitle:           "falco-rules",
		registry.AnnotationVersion:         "2.0.0",
		registry.AnnotationSource:          rs.Source,
		registry.AnnotationRevision:        rs.Revision,
		registry.AnnotationDescription:     rs.Description,
		registry.AnnotationCreated:         "2026-02-19T10:00:00Z",
		registry.AnnotationCompilerVersion: "0.1.0",
		registry.AnnotationRulesetDigest:   m.Layers[1].Digest.String(),
		registry.AnnotationRuleCount:       "25",
	}
	if diff := cmp.Diff(want, m.Annotations); diff != "" {
		t.Errorf("annotations (-want +got):\n%s", diff)
	}
	wantCfg := registry.Config{Name: "falco-rules", Version: "2.0.0", Requirements: []registry.Requirement{{Name: "engine_version_semver", Version: "0.57.0"}}}
	if diff := cmp.Diff(wantCfg, a.Config); diff != "" {
		t.Errorf("config (-want +got):\n%s", diff)
	}
	if a.Size() <= int64(len(a.ManifestBytes)) {
		t.Errorf("Size() = %d, not more than the manifest", a.Size())
	}

	// Without compiled bytes there is only the rules layer, as falcoctl
	// pushes it.
	rs.Compiled = nil
	if got := pack(t, rs).Manifest.Layers; len(got) != 1 {
		t.Errorf("without compiled ruleset: %d layers, want 1", len(got))
	}
}

func TestPackErrors(t *testing.T) {
	tests := []struct {
		name   string
		change func(*registry.Ruleset)
	}{
		{"empty name", func(r *registry.Ruleset) { r.Name = "" }},
		{"upper-case name", func(r *registry.Ruleset) { r.Name = "Rules" }},
		{"name with slash", func(r *registry.Ruleset) { r.Name = "a/b" }},
		{"version not semver", func(r *registry.Ruleset) { r.Version = "one" }},
		{"version with two numbers", func(r *registry.Ruleset) { r.Version = "1.2" }},
		{"version with build metadata", func(r *registry.Ruleset) { r.Version = "1.2.3+abc" }},
		{"no rule files", func(r *registry.Ruleset) { r.RuleFiles = nil }},
		{"absolute file name", func(r *registry.Ruleset) { r.RuleFiles = []registry.File{{Name: "/etc/passwd"}} }},
		{"escaping file name", func(r *registry.Ruleset) { r.RuleFiles = []registry.File{{Name: "../x.yaml"}} }},
		{"unclean file name", func(r *registry.Ruleset) { r.RuleFiles = []registry.File{{Name: "a//x.yaml"}} }},
		{"duplicate file", func(r *registry.Ruleset) {
			r.RuleFiles = []registry.File{{Name: "x.yaml"}, {Name: "x.yaml"}}
		}},
		{"bad engine version", func(r *registry.Ruleset) { r.RequiredEngineVersion = "latest" }},
		{"bad compiled digest", func(r *registry.Ruleset) { r.CompiledDigest = "md5:abc" }},
		{"negative rule count", func(r *registry.Ruleset) { r.RuleCount = -1 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rs := testRuleset(t, "1.0.0")
			tt.change(&rs)
			a, err := registry.Pack(rs)
			if !errors.Is(err, registry.ErrInvalidRuleset) || a != nil {
				t.Errorf("Pack = %v, %v; want nil, ErrInvalidRuleset", a, err)
			}
		})
	}
}

func TestEngineVersionSemver(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"12", "0.12.0", true},
		{" 35 ", "0.35.0", true},
		{"0.57.0", "0.57.0", true},
		{"1.2.3-rc1", "1.2.3-rc1", true},
		{"1.2", "", false},
		{"v1.2.3", "", false},
		{"-1", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		got, err := registry.EngineVersionSemver(tt.in)
		if got != tt.want || (err == nil) != tt.ok {
			t.Errorf("EngineVersionSemver(%q) = %q, %v; want %q, ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func TestTags(t *testing.T) {
	tests := []struct {
		version  string
		existing []string
		want     []string
	}{
		{"1.2.3", nil, []string{"1.2.3", "1.2", "1", "latest"}},
		{"1.2.3", []string{"1.2.2", "1.2", "1", "latest", "sha256-abc.sig"}, []string{"1.2.3", "1.2", "1", "latest"}},
		// An older minor's patch moves only its X.Y.
		{"1.1.5", []string{"1.2.0", "1.1.4"}, []string{"1.1.5", "1.1"}},
		// An older major's release moves X.Y and X but not latest.
		{"1.3.0", []string{"2.0.0", "1.2.0"}, []string{"1.3.0", "1.3", "1"}},
		// Pre-releases get only their exact tag.
		{"2.0.0-rc.1", []string{"1.0.0"}, []string{"2.0.0-rc.1"}},
		// Existing pre-releases do not hold back a release.
		{"2.0.0", []string{"2.0.1-rc.1"}, []string{"2.0.0", "2.0", "2", "latest"}},
		// Re-pushing the highest version keeps its floating tags.
		{"1.0.0", []string{"1.0.0"}, []string{"1.0.0", "1.0", "1", "latest"}},
	}
	for _, tt := range tests {
		got, err := registry.Tags(tt.version, tt.existing)
		if err != nil {
			t.Errorf("Tags(%q, %q): %v", tt.version, tt.existing, err)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("Tags(%q, %q) (-want +got):\n%s", tt.version, tt.existing, diff)
		}
	}
	for _, bad := range []string{"", "1", "1.2", "v1.2.3", "1.2.3+meta"} {
		if got, err := registry.Tags(bad, nil); err == nil {
			t.Errorf("Tags(%q) = %q, want an error", bad, got)
		}
	}
}

func TestCompiledMediaTypeMatchesIR(t *testing.T) {
	if registry.MediaTypeCompiledRuleset != ir.MediaType {
		t.Errorf("MediaTypeCompiledRuleset = %q, ir.MediaType = %q", registry.MediaTypeCompiledRuleset, ir.MediaType)
	}
}
