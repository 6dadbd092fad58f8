package registry

// Media types of the artifact's parts. The rulesfile types are falcoctl's;
// the compiled ruleset type is ours.
const (
	// MediaTypeRulesfileConfig is the media type of falcoctl's rulesfile
	// config blob (name, version, dependencies, requirements).
	MediaTypeRulesfileConfig = "application/vnd.cncf.falco.rulesfile.config.v1+json"
	// MediaTypeRulesfileLayer is the media type of the layer holding the YAML
	// rule files as a tar.gz.
	MediaTypeRulesfileLayer = "application/vnd.cncf.falco.rulesfile.layer.v1+tar.gz"
	// MediaTypeCompiledRuleset is the media type of the layer holding the
	// compiled ruleset.
	MediaTypeCompiledRuleset = "application/vnd.falconer.ruleset.v1+json"
	// MediaTypeImageManifest is the OCI image manifest media type.
	MediaTypeImageManifest = "application/vnd.oci.image.manifest.v1+json"
)

// Annotation keys set on the manifest. The org.opencontainers.image keys are
// the OCI pre-defined ones; the dev.falconer keys are ours.
const (
	AnnotationSource      = "org.opencontainers.image.source"
	AnnotationRevision    = "org.opencontainers.image.revision"
	AnnotationVersion     = "org.opencontainers.image.version"
	AnnotationCreated     = "org.opencontainers.image.created"
	AnnotationTitle       = "org.opencontainers.image.title"
	AnnotationDescription = "org.opencontainers.image.description"

	// AnnotationCompilerVersion records the version of the compiler that
	// produced the compiled layer.
	AnnotationCompilerVersion = "dev.falconer.compiler.version"
	// AnnotationRulesetDigest records the compiler's digest of the compiled
	// ruleset.
	AnnotationRulesetDigest = "dev.falconer.ruleset.digest"
	// AnnotationRuleCount records how many rules the compiled ruleset holds.
	AnnotationRuleCount = "dev.falconer.ruleset.rules"
)

// Predicate types of the attestations this package writes.
const (
	// PredicateSLSAProvenance is the SLSA v1 provenance predicate type.
	PredicateSLSAProvenance = "https://slsa.dev/provenance/v1"
	// PredicateTestReport is the predicate type of a `falconer test` report.
	PredicateTestReport = "https://falconer.dev/attestation/test-report/v1"
)

// RequirementEngineVersion is the falcoctl requirement name checked against
// Falco's engine_version_semver.
const RequirementEngineVersion = "engine_version_semver"
