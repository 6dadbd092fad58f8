package registry

import (
	"context"
	"crypto"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/sigstore/cosign/v2/pkg/cosign"
	"github.com/sigstore/cosign/v2/pkg/oci"
	ociremote "github.com/sigstore/cosign/v2/pkg/oci/remote"
	ctypes "github.com/sigstore/cosign/v2/pkg/types"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/signature"
)

// VerifyOptions configures Verify. Give either a key (KeyRef or PublicKey)
// or a keyless identity (CertIdentity or CertIdentityRegexp, with
// CertOIDCIssuer or CertOIDCIssuerRegexp).
type VerifyOptions struct {
	Remote
	// KeyRef names the public key: a PEM file, or a URI that Keys
	// resolves (KMS, k8s://). PublicKey is the PEM itself; it wins over
	// KeyRef.
	KeyRef    string
	PublicKey []byte
	// Keys resolves key URIs; nil allows key files only.
	Keys KeyResolver

	// CertIdentity and CertOIDCIssuer (or their regexp forms) are the
	// identity a keyless signing certificate must carry.
	CertIdentity, CertIdentityRegexp     string
	CertOIDCIssuer, CertOIDCIssuerRegexp string
	// CARoots is a PEM file of the roots (and intermediates) that issued
	// the signing certificates of a private PKI. With it no transparency
	// log or SCT is required and nothing is fetched.
	CARoots string
	// TrustedRoot is a Sigstore trusted_root.json for keyless verification
	// against a Sigstore instance; when neither it nor CARoots is given,
	// the public-good instance's root is fetched with TUF (online).
	TrustedRoot string

	// RequireAttestations are predicate types that must be attested by the
	// same key or identity.
	RequireAttestations []string
}

// Verification is the outcome of a successful Verify.
type Verification struct {
	// Digest is the verified manifest digest.
	Digest string
	// Signatures is how many signatures verified; Bundle says whether the
	// signature was found in Sigstore bundle form rather than the .sig tag.
	Signatures int
	Bundle     bool
	// Attestations are the verified attestations of the required types.
	Attestations []VerifiedAttestation
}

// VerifiedAttestation is one verified in-toto statement.
type VerifiedAttestation struct {
	PredicateType string
	// Statement is the whole in-toto statement; Predicate its predicate.
	Statement json.RawMessage
	Predicate json.RawMessage
}

// Verify checks the signatures of the manifest ref resolves to, and the
// required attestations. Its errors wrap ErrNotSigned when there is no
// signature at all, ErrSignatureInvalid when there are signatures but none
// verifies (signed by someone else, or tampered with), ErrAttestationMissing,
// ErrNotFound when ref does not exist, and ErrUnreachable when the registry
// cannot be talked to.
func Verify(ctx context.Context, ref string, opts VerifyOptions) (*Verification, error) {
	co, err := checkOpts(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("verify %s: %w", ref, err)
	}
	d, ociOpts, err := resolveForCosign(ctx, ref, opts.Remote)
	if err != nil {
		return nil, fmt.Errorf("verify %s: %w", ref, err)
	}
	co.RegistryClientOpts = ociOpts
	v := &Verification{Digest: d.DigestStr()}

	checked, _, err := cosign.VerifyImageSignatures(ctx, d, co)
	switch {
	case err == nil:
		v.Signatures = len(checked)
	case isNoSignatures(err):
		n, berr := verifyBundles(ctx, d, co, ctypes.CosignSignPredicateType)
		if berr != nil {
			return nil, fmt.Errorf("verify %s: %w", ref, berr)
		}
		v.Signatures, v.Bundle = len(n), true
	default:
		return nil, fmt.Errorf("verify %s: %w", ref, cosignError(err))
	}

	for _, pt := range opts.RequireAttestations {
		atts, err := verifyAttestations(ctx, d, co, pt)
		if err != nil {
			return nil, fmt.Errorf("verify %s: %w", ref, err)
		}
		v.Attestations = append(v.Attestations, atts...)
	}
	return v, nil
}

// checkOpts builds cosign's options for an offline check with a key, or a
// keyless check against the given roots.
func checkOpts(ctx context.Context, opts VerifyOptions) (*cosign.CheckOpts, error) {
	co := &cosign.CheckOpts{ClaimVerifier: cosign.SimpleClaimVerifier}
	keyless := opts.CertIdentity != "" || opts.CertIdentityRegexp != ""
	switch {
	case len(opts.PublicKey) > 0 || opts.KeyRef != "":
		if keyless {
			return nil, errors.New("give a key or a certificate identity, not both")
		}
		var err error
		if len(opts.PublicKey) > 0 {
			co.SigVerifier, err = verifierFromPEM(opts.PublicKey)
		} else if strings.Contains(opts.KeyRef, "://") {
			if opts.Keys == nil {
				return nil, fmt.Errorf("key URI %s is not supported here (use a key file)", opts.KeyRef)
			}
			co.SigVerifier, err = opts.Keys.Verifier(ctx, opts.KeyRef)
		} else {
			var pem []byte
			if pem, err = os.ReadFile(opts.KeyRef); err == nil {
				co.SigVerifier, err = verifierFromPEM(pem)
			}
		}
		if err != nil {
			return nil, fmt.Errorf("public key: %w", err)
		}
		co.IgnoreTlog, co.IgnoreSCT, co.Offline = true, true, true
	case keyless:
		if opts.CertOIDCIssuer == "" && opts.CertOIDCIssuerRegexp == "" {
			return nil, errors.New("keyless verification needs an OIDC issuer (or issuer regexp)")
		}
		co.Identities = []cosign.Identity{{
			Issuer: opts.CertOIDCIssuer, IssuerRegExp: opts.CertOIDCIssuerRegexp,
			Subject: opts.CertIdentity, SubjectRegExp: opts.CertIdentityRegexp,
		}}
		switch {
		case opts.CARoots != "":
			pem, err := os.ReadFile(opts.CARoots)
			if err != nil {
				return nil, fmt.Errorf("ca roots: %w", err)
			}
			certs, err := cryptoutils.UnmarshalCertificatesFromPEM(pem)
			if err != nil || len(certs) == 0 {
				return nil, fmt.Errorf("ca roots %s: no PEM certificates", opts.CARoots)
			}
			co.RootCerts, co.IntermediateCerts = x509.NewCertPool(), x509.NewCertPool()
			for _, c := range certs {
				if isSelfSigned(c) {
					co.RootCerts.AddCert(c)
				} else {
					co.IntermediateCerts.AddCert(c)
				}
			}
			co.IgnoreTlog, co.IgnoreSCT, co.Offline = true, true, true
		case opts.TrustedRoot != "":
			tr, err := root.NewTrustedRootFromPath(opts.TrustedRoot)
			if err != nil {
				return nil, fmt.Errorf("trusted root: %w", err)
			}
			co.TrustedMaterial = tr
		default:
			tr, err := cosign.TrustedRoot()
			if err != nil {
				return nil, fmt.Errorf("%w: sigstore trusted root: %v", ErrUnreachable, err)
			}
			co.TrustedMaterial = tr
		}
	default:
		return nil, errors.New("no public key or certificate identity to verify against")
	}
	return co, nil
}

func isSelfSigned(c *x509.Certificate) bool {
	return c.CheckSignatureFrom(c) == nil
}

func verifierFromPEM(pem []byte) (signature.Verifier, error) {
	pub, err := cryptoutils.UnmarshalPEMToPublicKey(pem)
	if err != nil {
		return nil, err
	}
	return signature.LoadVerifier(pub, crypto.SHA256)
}

// isNoSignatures reports whether err says there is no classic signature.
func isNoSignatures(err error) bool {
	var nf *cosign.ErrNoSignaturesFound
	return errors.As(err, &nf)
}

// cosignError maps cosign's verification errors to this package's
// sentinels.
func cosignError(err error) error {
	var nf *cosign.ErrNoSignaturesFound
	var nm *cosign.ErrNoMatchingSignatures
	var tnf *cosign.ErrImageTagNotFound
	var na *cosign.ErrNoMatchingAttestations
	switch {
	case errors.As(err, &nf):
		return &classified{kind: ErrNotSigned, err: err}
	case errors.As(err, &nm):
		if k := kindOf(err); k == ErrUnreachable {
			return &classified{kind: k, err: err}
		}
		return &classified{kind: ErrSignatureInvalid, err: err}
	case errors.As(err, &tnf):
		return &classified{kind: ErrNotFound, err: err}
	case errors.As(err, &na):
		return &classified{kind: ErrAttestationMissing, err: err}
	}
	return classify(err)
}

// minimalTrustedRoot is a Sigstore trusted root with no authorities: enough
// for cosign to check a bundle with a public key and nothing else.
const minimalTrustedRoot = `{"mediaType":"application/vnd.dev.sigstore.trustedroot+json;version=0.1"}`

// bundleCheckOpts adapts co to verifying Sigstore bundles.
func bundleCheckOpts(co *cosign.CheckOpts) (*cosign.CheckOpts, error) {
	bco := *co
	bco.NewBundleFormat = true
	if bco.TrustedMaterial == nil {
		tr, err := root.NewTrustedRootFromJSON([]byte(minimalTrustedRoot))
		if err != nil {
			return nil, err
		}
		bco.TrustedMaterial = tr
	}
	return &bco, nil
}

// verifyBundles returns the statements of predicateType among the verified
// Sigstore bundles referring to d.
func verifyBundles(ctx context.Context, d name.Digest, co *cosign.CheckOpts, predicateType string) ([]VerifiedAttestation, error) {
	bco, err := bundleCheckOpts(co)
	if err != nil {
		return nil, err
	}
	bundles, _, err := cosign.GetBundles(ctx, d, bco)
	if err != nil {
		var na *cosign.ErrNoMatchingAttestations
		if errors.As(err, &na) {
			return nil, &classified{kind: ErrNotSigned, err: errors.New("no signatures found")}
		}
		if k := kindOf(err); k == ErrNotFound {
			// A registry without the referrers API and no fallback tag.
			return nil, &classified{kind: ErrNotSigned, err: errors.New("no signatures found")}
		}
		return nil, classify(err)
	}
	if len(bundles) == 0 {
		return nil, &classified{kind: ErrNotSigned, err: errors.New("no signatures found")}
	}
	atts, _, err := cosign.VerifyImageAttestations(ctx, d, bco)
	if err != nil {
		return nil, &classified{kind: ErrSignatureInvalid, err: err}
	}
	out, err := statementsOf(atts, predicateType)
	if err != nil {
		return nil, err
	}
	if len(out) == 0 {
		kind := ErrNotSigned
		if predicateType != ctypes.CosignSignPredicateType {
			kind = ErrAttestationMissing
		}
		return nil, &classified{kind: kind, err: fmt.Errorf("no verified bundle with predicate type %s", predicateType)}
	}
	return out, nil
}

// verifyAttestations returns the verified attestations of predicateType,
// from the .att tag or else from Sigstore bundles.
func verifyAttestations(ctx context.Context, d name.Digest, co *cosign.CheckOpts, predicateType string) ([]VerifiedAttestation, error) {
	st, err := ociremote.AttestationTag(d, co.RegistryClientOpts...)
	if err != nil {
		return nil, err
	}
	sigs, err := ociremote.Signatures(st, co.RegistryClientOpts...)
	if err != nil {
		return nil, classify(err)
	}
	list, err := sigs.Get()
	if err != nil {
		return nil, classify(err)
	}
	if len(list) > 0 {
		h, err := ggcrHash(d)
		if err != nil {
			return nil, err
		}
		aco := *co
		aco.ClaimVerifier = cosign.IntotoSubjectClaimVerifier
		atts, _, err := cosign.VerifyImageAttestation(ctx, sigs, h, &aco)
		if err == nil {
			out, err := statementsOf(atts, predicateType)
			if err != nil {
				return nil, err
			}
			if len(out) > 0 {
				return out, nil
			}
		} else if k := kindOf(err); k == ErrUnreachable {
			return nil, &classified{kind: k, err: err}
		}
	}
	out, err := verifyBundles(ctx, d, co, predicateType)
	if err != nil {
		if errors.Is(err, ErrNotSigned) || errors.Is(err, ErrSignatureInvalid) {
			return nil, &classified{kind: ErrAttestationMissing, err: fmt.Errorf("no verified attestation of type %s", predicateType)}
		}
		return nil, err
	}
	return out, nil
}

// statementsOf decodes the DSSE envelopes of verified attestations and keeps
// the statements of predicateType.
func statementsOf(atts []oci.Signature, predicateType string) ([]VerifiedAttestation, error) {
	var out []VerifiedAttestation
	for _, a := range atts {
		pl, err := a.Payload()
		if err != nil {
			return nil, err
		}
		st, err := decodeEnvelope(pl)
		if err != nil {
			return nil, err
		}
		var s struct {
			PredicateType string          `json:"predicateType"`
			Predicate     json.RawMessage `json:"predicate"`
		}
		if err := json.Unmarshal(st, &s); err != nil {
			return nil, fmt.Errorf("attestation statement: %w", err)
		}
		if s.PredicateType == predicateType {
			out = append(out, VerifiedAttestation{PredicateType: s.PredicateType, Statement: st, Predicate: s.Predicate})
		}
	}
	return out, nil
}

func ggcrHash(d name.Digest) (v1.Hash, error) {
	return v1.NewHash(d.DigestStr())
}

// decodeEnvelope returns the payload of a DSSE envelope.
func decodeEnvelope(env []byte) ([]byte, error) {
	var e struct {
		PayloadType string `json:"payloadType"`
		Payload     string `json:"payload"`
	}
	if err := json.Unmarshal(env, &e); err != nil {
		return nil, fmt.Errorf("attestation envelope: %w", err)
	}
	st, err := base64.StdEncoding.DecodeString(e.Payload)
	if err != nil {
		return nil, fmt.Errorf("attestation payload: %w", err)
	}
	return st, nil
}
