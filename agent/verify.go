package agent

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"golang.org/x/mod/semver"

	"github.com/falconer-sec/falconer/compiler/check"
	"github.com/falconer-sec/falconer/compiler/ir"
	"github.com/falconer-sec/falconer/registry"
)

// EngineVersion is the Falco engine version this agent implements. A
// ruleset that requires a newer engine is refused.
const EngineVersion = check.DefaultEngineVersion

// Errors of the checks a pulled ruleset goes through before activation,
// besides the registry package's signature errors; test with errors.Is.
var (
	// ErrRollback refuses a ruleset older than the active one (by
	// version, or by signed creation time for equal versions).
	ErrRollback = errors.New("rollback refused")
	// ErrEngineVersion refuses a ruleset that requires a newer engine.
	ErrEngineVersion = errors.New("engine version not supported")
	// ErrNoCompiled refuses an artifact without a compiled ruleset layer.
	ErrNoCompiled = errors.New("no compiled ruleset in the artifact")
	// ErrDecode refuses a compiled ruleset that does not decode or does
	// not match the digest the manifest records.
	ErrDecode = errors.New("compiled ruleset invalid")
	// ErrActivate reports a ruleset the agent could not load; the
	// previous one stays active.
	ErrActivate = errors.New("activation failed")
)

// TrustPolicy says which rulesets a Follower may activate: those signed by
// one of the keys, or by the keyless identity, and carrying the required
// attestations. Verification is mandatory: a policy with neither a key nor
// an identity is an error unless InsecureSkipVerify says so explicitly.
type TrustPolicy struct {
	// Keys name cosign public keys: PEM files, or URIs cosign resolves
	// (KMS, k8s://). PublicKeys are PEM public keys given inline. A
	// signature by any of them is enough.
	Keys       []string
	PublicKeys [][]byte

	// CertIdentity and CertOIDCIssuer (or their regexp forms) are the
	// keyless identity a signing certificate must carry; CARoots or
	// TrustedRoot say what issues the certificates (see
	// registry.VerifyOptions).
	CertIdentity, CertIdentityRegexp     string
	CertOIDCIssuer, CertOIDCIssuerRegexp string
	CARoots, TrustedRoot                 string

	// RequireAttestations are predicate types that must be attested by the
	// same key or identity that signed.
	RequireAttestations []string

	// InsecureSkipVerify activates rulesets without checking any
	// signature. It exists for development; never set it silently.
	InsecureSkipVerify bool
}

func (p TrustPolicy) keyless() bool { return p.CertIdentity != "" || p.CertIdentityRegexp != "" }

// check reports a policy that cannot verify anything.
func (p TrustPolicy) check() error {
	if p.InsecureSkipVerify {
		return nil
	}
	if len(p.Keys) == 0 && len(p.PublicKeys) == 0 && !p.keyless() {
		return errors.New("no trust policy: give a public key or a keyless identity (verification can only be disabled explicitly)")
	}
	if p.keyless() && p.CertOIDCIssuer == "" && p.CertOIDCIssuerRegexp == "" {
		return errors.New("keyless trust needs an OIDC issuer (or issuer regexp) with the identity")
	}
	return nil
}

// String describes the policy for logs and status.
func (p TrustPolicy) String() string {
	if p.InsecureSkipVerify {
		return "none (verification disabled)"
	}
	var parts []string
	for _, k := range p.Keys {
		parts = append(parts, "key "+k)
	}
	for i := range p.PublicKeys {
		parts = append(parts, fmt.Sprintf("inline key %d", i+1))
	}
	if p.keyless() {
		id := p.CertIdentity
		if id == "" {
			id = "~" + p.CertIdentityRegexp
		}
		iss := p.CertOIDCIssuer
		if iss == "" {
			iss = "~" + p.CertOIDCIssuerRegexp
		}
		parts = append(parts, "identity "+id+" from "+iss)
	}
	s := strings.Join(parts, " or ")
	if len(p.RequireAttestations) > 0 {
		s += ", attested " + strings.Join(p.RequireAttestations, ", ")
	}
	return s
}

// verify checks the signatures of ref (a digest reference) and returns
// which trust anchor accepted it. When several anchors are given, the first
// that verifies wins; when none does, the errors of all are returned, and a
// transient one (registry unreachable) takes precedence so that it is not
// mistaken for a rejection.
func (p TrustPolicy) verify(ctx context.Context, ref string, remote registry.Remote) (string, error) {
	if p.InsecureSkipVerify {
		return "not verified (verification disabled)", nil
	}
	type anchor struct {
		name string
		opts registry.VerifyOptions
	}
	var anchors []anchor
	for _, k := range p.Keys {
		anchors = append(anchors, anchor{"key " + k, registry.VerifyOptions{KeyRef: k}})
	}
	for i, k := range p.PublicKeys {
		anchors = append(anchors, anchor{fmt.Sprintf("inline key %d", i+1), registry.VerifyOptions{PublicKey: k}})
	}
	if p.keyless() {
		anchors = append(anchors, anchor{"identity", registry.VerifyOptions{
			CertIdentity: p.CertIdentity, CertIdentityRegexp: p.CertIdentityRegexp,
			CertOIDCIssuer: p.CertOIDCIssuer, CertOIDCIssuerRegexp: p.CertOIDCIssuerRegexp,
			CARoots: p.CARoots, TrustedRoot: p.TrustedRoot,
		}})
	}
	var errs []error
	for _, a := range anchors {
		a.opts.Remote = remote
		a.opts.RequireAttestations = p.RequireAttestations
		v, err := registry.Verify(ctx, ref, a.opts)
		if err == nil {
			by := a.name
			switch n := len(v.Attestations); n {
			case 0:
			case 1:
				by += " (1 attestation)"
			default:
				by += fmt.Sprintf(" (%d attestations)", n)
			}
			return by, nil
		}
		if transient(err) {
			return "", err
		}
		errs = append(errs, err)
	}
	if len(errs) == 1 {
		return "", errs[0]
	}
	return "", errors.Join(errs...)
}

// transient reports an error that says nothing about the ruleset: the
// registry could not be reached, or the context ended.
func transient(err error) bool {
	return errors.Is(err, registry.ErrUnreachable) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// Reasons a ruleset update is rejected, as Rejection.Reason gives them.
const (
	ReasonNotSigned          = "not-signed"
	ReasonSignatureInvalid   = "signature-invalid"
	ReasonAttestationMissing = "attestation-missing"
	ReasonInvalidArtifact    = "invalid-artifact"
	ReasonNoCompiled         = "no-compiled-ruleset"
	ReasonDecode             = "decode"
	ReasonEngineVersion      = "engine-version"
	ReasonRollback           = "rollback"
	ReasonActivate           = "activate"
	ReasonCompile            = "compile"
	ReasonFetch              = "fetch"
)

// reasonOf classifies a rejection error. Signature problems come first:
// with several keys, one saying "invalid" outweighs another saying "not
// signed".
func reasonOf(err error) string {
	for _, c := range []struct {
		err    error
		reason string
	}{
		{registry.ErrSignatureInvalid, ReasonSignatureInvalid},
		{registry.ErrNotSigned, ReasonNotSigned},
		{registry.ErrAttestationMissing, ReasonAttestationMissing},
		{registry.ErrInvalidArtifact, ReasonInvalidArtifact},
		{ErrNoCompiled, ReasonNoCompiled},
		{ErrDecode, ReasonDecode},
		{ErrEngineVersion, ReasonEngineVersion},
		{ErrRollback, ReasonRollback},
		{ErrActivate, ReasonActivate},
		{ErrCompile, ReasonCompile},
	} {
		if errors.Is(err, c.err) {
			return c.reason
		}
	}
	return ReasonFetch
}

// final reports whether a rejection holds for good for the same digest:
// its content cannot change, so it is not fetched again. Signature
// problems are not final: a valid signature may be added after the push.
func final(reason string) bool {
	switch reason {
	case ReasonInvalidArtifact, ReasonNoCompiled, ReasonDecode, ReasonEngineVersion, ReasonRollback:
		return true
	}
	return false
}

// candidate is a ruleset pulled, verified and decoded, not yet active.
type candidate struct {
	digest     string
	version    string
	created    time.Time
	program    *ir.Program
	verifiedBy string
}

// fetch verifies and pulls the artifact ref names (a digest reference) and
// runs the checks that do not depend on the active ruleset: the compiled
// layer decodes, matches the manifest's record, and needs no newer engine.
func fetch(ctx context.Context, ref string, trust TrustPolicy, remote registry.Remote, limits registry.Limits, engine string) (*candidate, error) {
	by, err := trust.verify(ctx, ref, remote)
	if err != nil {
		return nil, err
	}
	p, err := registry.Pull(ctx, ref, registry.PullOptions{Remote: remote, Limits: limits})
	if err != nil {
		return nil, err
	}
	if _, d, _ := strings.Cut(ref, "@"); d != p.Digest {
		return nil, fmt.Errorf("%w: pulled digest %s, asked for %s", registry.ErrInvalidArtifact, p.Digest, d)
	}
	if p.Compiled == nil {
		return nil, fmt.Errorf("%s: %w (publish with falconer push, which adds it)", ref, ErrNoCompiled)
	}
	if want := p.Manifest.Annotations[registry.AnnotationRulesetDigest]; want != "" && want != ir.Digest(p.Compiled) {
		return nil, fmt.Errorf("%s: %w: compiled layer digest %s, manifest records %s", ref, ErrDecode, ir.Digest(p.Compiled), want)
	}
	prog, err := ir.Decode(p.Compiled)
	if err != nil {
		return nil, fmt.Errorf("%s: %w: %v", ref, ErrDecode, err)
	}
	if err := checkEngine(engine, p.Config, prog); err != nil {
		return nil, fmt.Errorf("%s: %w", ref, err)
	}
	c := &candidate{digest: p.Digest, version: p.Config.Version, program: prog, verifiedBy: by}
	if s := p.Manifest.Annotations[registry.AnnotationCreated]; s != "" {
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			return nil, fmt.Errorf("%s: %w: created annotation %q: %v", ref, registry.ErrInvalidArtifact, s, err)
		}
		c.created = t
	}
	return c, nil
}

// checkEngine refuses a ruleset whose engine requirement, in falcoctl's
// config or in the compiled ruleset, is newer than engine.
func checkEngine(engine string, cfg registry.Config, prog *ir.Program) error {
	ours := "v" + engine
	need := func(v, where string) error {
		s, err := registry.EngineVersionSemver(v)
		if err != nil {
			return fmt.Errorf("%w: %s: %v", ErrEngineVersion, where, err)
		}
		if semver.Compare("v"+s, ours) > 0 {
			return fmt.Errorf("%w: %s requires engine %s, this agent implements %s", ErrEngineVersion, where, s, engine)
		}
		return nil
	}
	for _, r := range cfg.Requirements {
		if r.Name == registry.RequirementEngineVersion {
			if err := need(r.Version, "the artifact"); err != nil {
				return err
			}
		}
	}
	if prog.RequiredEngineVersion != "" {
		return need(prog.RequiredEngineVersion, "the ruleset")
	}
	return nil
}

// checkRollback refuses next when it is older than cur: a lower version,
// or, for equal (or unordered) versions, an earlier signed creation time.
func checkRollback(curVersion string, curCreated time.Time, next *candidate) error {
	a, b := "v"+curVersion, "v"+next.version
	if semver.IsValid(a) && semver.IsValid(b) {
		switch semver.Compare(b, a) {
		case -1:
			return fmt.Errorf("%w: version %s is older than the active %s", ErrRollback, next.version, curVersion)
		case 1:
			return nil
		}
	}
	if !curCreated.IsZero() && !next.created.IsZero() && next.created.Before(curCreated) {
		return fmt.Errorf("%w: created %s, before the active ruleset (%s)", ErrRollback,
			next.created.UTC().Format(time.RFC3339), curCreated.UTC().Format(time.RFC3339))
	}
	return nil
}
