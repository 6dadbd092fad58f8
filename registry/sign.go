package registry

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/sigstore/cosign/v2/pkg/cosign"
	cbundle "github.com/sigstore/cosign/v2/pkg/cosign/bundle"
	cremote "github.com/sigstore/cosign/v2/pkg/cosign/remote"
	"github.com/sigstore/cosign/v2/pkg/oci/mutate"
	ociremote "github.com/sigstore/cosign/v2/pkg/oci/remote"
	"github.com/sigstore/cosign/v2/pkg/oci/static"
	ctypes "github.com/sigstore/cosign/v2/pkg/types"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/sigstore/sigstore/pkg/signature/dsse"
	sigopts "github.com/sigstore/sigstore/pkg/signature/options"
	"github.com/sigstore/sigstore/pkg/signature/payload"
)

// KeyPair is a cosign key pair: the private key encrypted with a password,
// and the public key, both PEM.
type KeyPair struct {
	PrivatePEM []byte
	PublicPEM  []byte
}

// GenerateKeyPair makes a new ECDSA P-256 key pair in cosign's format; the
// private key is encrypted with password (which may be empty).
func GenerateKeyPair(password []byte) (*KeyPair, error) {
	kb, err := cosign.GenerateKeyPair(func(bool) ([]byte, error) { return password, nil })
	if err != nil {
		return nil, fmt.Errorf("generate key pair: %w", err)
	}
	return &KeyPair{PrivatePEM: kb.PrivateBytes, PublicPEM: kb.PublicBytes}, nil
}

// SigningKey signs artifacts and attestations.
type SigningKey struct {
	sv signature.SignerVerifier
}

// NewSigningKey decrypts a cosign private key (PEM) with password.
func NewSigningKey(privatePEM, password []byte) (*SigningKey, error) {
	sv, err := cosign.LoadPrivateKey(privatePEM, password, nil)
	if err != nil {
		return nil, fmt.Errorf("load private key: %w", err)
	}
	return &SigningKey{sv: sv}, nil
}

// KeyResolver loads keys named by URIs (KMS keys, k8s://namespace/secret).
// Package registry/kms implements it with cosign's providers; it is kept
// out of this package so that binaries using key files alone stay small.
type KeyResolver interface {
	SignerVerifier(ctx context.Context, ref string, password func() ([]byte, error)) (signature.SignerVerifier, error)
	Verifier(ctx context.Context, ref string) (signature.Verifier, error)
}

// LoadSigningKey loads the cosign private key file ref. password is called
// only when a password is needed. Keys named by URIs need
// LoadSigningKeyFrom with a KeyResolver.
func LoadSigningKey(ctx context.Context, ref string, password func() ([]byte, error)) (*SigningKey, error) {
	return LoadSigningKeyFrom(ctx, ref, password, nil)
}

// LoadSigningKeyFrom loads the key named by ref: a cosign private key file,
// or a URI that keys resolves (a KMS key such as awskms://, gcpkms://,
// azurekms:// or hashivault:// when that provider is linked into the
// binary, or k8s://namespace/secret).
func LoadSigningKeyFrom(ctx context.Context, ref string, password func() ([]byte, error), keys KeyResolver) (*SigningKey, error) {
	if strings.Contains(ref, "://") {
		if keys == nil {
			return nil, fmt.Errorf("load key %s: key URIs are not supported here (use a key file)", ref)
		}
		sv, err := keys.SignerVerifier(ctx, ref, password)
		if err != nil {
			return nil, fmt.Errorf("load key %s: %w", ref, err)
		}
		return &SigningKey{sv: sv}, nil
	}
	pem, err := os.ReadFile(ref)
	if err != nil {
		return nil, fmt.Errorf("load key: %w", err)
	}
	pass, err := password()
	if err != nil {
		return nil, fmt.Errorf("load key %s: password: %w", ref, err)
	}
	k, err := NewSigningKey(pem, pass)
	if err != nil {
		return nil, fmt.Errorf("load key %s: %w", ref, err)
	}
	return k, nil
}

// PublicKeyPEM returns the public half of k, PEM-encoded.
func (k *SigningKey) PublicKeyPEM() ([]byte, error) {
	pub, err := k.sv.PublicKey()
	if err != nil {
		return nil, err
	}
	return cryptoutils.MarshalPublicKeyToPEM(pub)
}

// SignOptions configures Sign.
type SignOptions struct {
	Remote
	// Annotations are signed claims added to the simple-signing payload's
	// "optional" section.
	Annotations map[string]string
	// Bundle also stores the signature as a Sigstore bundle referrer (the
	// form cosign v3 writes by default), besides the classic .sig tag.
	// Note that cosign v2 then verifies only the bundle, and only when given
	// a trusted root.
	Bundle bool
	// Certificate (PEM) binds the key to an identity, for keyless-style
	// verification against a private CA; CertificateChain holds the
	// intermediates and root that issued it. Both are stored with the
	// classic signature.
	Certificate, CertificateChain []byte
}

// SignResult describes what Sign wrote.
type SignResult struct {
	// Digest is the signed manifest digest.
	Digest string
	// SignatureTag is the classic signature tag, registry/repo:sha256-<hex>.sig.
	SignatureTag string
	// Bundle reports whether a bundle referrer was written too.
	Bundle bool
}

// Sign signs the manifest ref resolves to with key and stores the signature
// in the repository, in cosign's classic form: a simple-signing payload in
// the tag sha256-<hex>.sig, readable by `cosign verify --key` and falcoctl.
// A signature by the same key already there is not duplicated. Nothing is
// sent to a transparency log.
func Sign(ctx context.Context, ref string, key *SigningKey, opts SignOptions) (*SignResult, error) {
	d, ociOpts, err := resolveForCosign(ctx, ref, opts.Remote)
	if err != nil {
		return nil, fmt.Errorf("sign %s: %w", ref, err)
	}
	var ann map[string]any
	if len(opts.Annotations) > 0 {
		ann = map[string]any{}
		for k, v := range opts.Annotations {
			ann[k] = v
		}
	}
	pl, err := (&payload.Cosign{Image: d, Annotations: ann}).MarshalJSON()
	if err != nil {
		return nil, fmt.Errorf("sign %s: %w", ref, err)
	}
	raw, err := key.sv.SignMessage(bytes.NewReader(pl), sigopts.WithContext(ctx))
	if err != nil {
		return nil, fmt.Errorf("sign %s: %w", ref, err)
	}
	var sopts []static.Option
	if len(opts.Certificate) > 0 {
		if err := checkCertificate(opts.Certificate, key); err != nil {
			return nil, fmt.Errorf("sign %s: %w", ref, err)
		}
		sopts = append(sopts, static.WithCertChain(opts.Certificate, opts.CertificateChain))
	}
	sig, err := static.NewSignature(pl, base64.StdEncoding.EncodeToString(raw), sopts...)
	if err != nil {
		return nil, fmt.Errorf("sign %s: %w", ref, err)
	}
	se, err := ociremote.SignedEntity(d, ociOpts...)
	if err != nil {
		return nil, fmt.Errorf("sign %s: %w", ref, classify(err))
	}
	se, err = mutate.AttachSignatureToEntity(se, sig, mutate.WithDupeDetector(cremote.NewDupeDetector(key.sv)))
	if err != nil {
		return nil, fmt.Errorf("sign %s: %w", ref, err)
	}
	if err := ociremote.WriteSignatures(d.Repository, se, ociOpts...); err != nil {
		return nil, fmt.Errorf("sign %s: %w", ref, classify(err))
	}
	st, err := ociremote.SignatureTag(d, ociOpts...)
	if err != nil {
		return nil, fmt.Errorf("sign %s: %w", ref, err)
	}
	res := &SignResult{Digest: d.DigestStr(), SignatureTag: st.String()}
	if opts.Bundle {
		if err := writeSignBundle(ctx, d, key, ociOpts); err != nil {
			return nil, fmt.Errorf("sign %s: bundle: %w", ref, classify(err))
		}
		res.Bundle = true
	}
	return res, nil
}

// resolveForCosign parses ref for go-containerregistry and resolves it to a
// digest, with the transport and credentials of opts.
func resolveForCosign(ctx context.Context, ref string, opts Remote) (name.Digest, []ociremote.Option, error) {
	c, err := newClient(ref, opts)
	if err != nil {
		return name.Digest{}, nil, err
	}
	r, err := name.ParseReference(ref, c.nameOptions()...)
	if err != nil {
		return name.Digest{}, nil, fmt.Errorf("reference %q: %w", ref, err)
	}
	ociOpts := []ociremote.Option{
		ociremote.WithRemoteOptions(c.remoteOptions(ctx)...),
		ociremote.WithNameOptions(c.nameOptions()...),
	}
	d, err := ociremote.ResolveDigest(r, ociOpts...)
	if err != nil {
		return name.Digest{}, nil, classify(err)
	}
	return d, ociOpts, nil
}

// inTotoStatement is an in-toto v1 statement.
type inTotoStatement struct {
	Type          string          `json:"_type"`
	Subject       []inTotoSubject `json:"subject"`
	PredicateType string          `json:"predicateType"`
	Predicate     json.RawMessage `json:"predicate,omitempty"`
}

type inTotoSubject struct {
	Name   string            `json:"name,omitempty"`
	Digest map[string]string `json:"digest"`
}

const inTotoStatementV1 = "https://in-toto.io/Statement/v1"

func statementFor(d name.Digest, predicateType string, predicate json.RawMessage) ([]byte, error) {
	alg, hex, ok := strings.Cut(d.DigestStr(), ":")
	if !ok {
		return nil, fmt.Errorf("digest %q", d.DigestStr())
	}
	return json.Marshal(inTotoStatement{
		Type:          inTotoStatementV1,
		Subject:       []inTotoSubject{{Name: d.Repository.Name(), Digest: map[string]string{alg: hex}}},
		PredicateType: predicateType,
		Predicate:     predicate,
	})
}

// dsseSign wraps payload in a DSSE envelope signed by key.
func dsseSign(ctx context.Context, key *SigningKey, pl []byte) ([]byte, error) {
	w := dsse.WrapSigner(key.sv, ctypes.IntotoPayloadType)
	return w.SignMessage(bytes.NewReader(pl), sigopts.WithContext(ctx))
}

// writeSignBundle stores a Sigstore bundle signature (DSSE over an in-toto
// statement with cosign's sign predicate) as a referrer of d.
func writeSignBundle(ctx context.Context, d name.Digest, key *SigningKey, ociOpts []ociremote.Option) error {
	st, err := statementFor(d, ctypes.CosignSignPredicateType, nil)
	if err != nil {
		return err
	}
	return writeBundle(ctx, d, key, st, ctypes.CosignSignPredicateType, ociOpts)
}

func writeBundle(ctx context.Context, d name.Digest, key *SigningKey, statement []byte, predicateType string, ociOpts []ociremote.Option) error {
	env, err := dsseSign(ctx, key, statement)
	if err != nil {
		return err
	}
	pub, err := key.sv.PublicKey()
	if err != nil {
		return err
	}
	pubPEM, err := cryptoutils.MarshalPublicKeyToPEM(pub)
	if err != nil {
		return err
	}
	b, err := cbundle.MakeNewBundle(pub, nil, statement, env, pubPEM, nil)
	if err != nil {
		return err
	}
	return ociremote.WriteAttestationNewBundleFormat(d, b, predicateType, ociOpts...)
}

// checkCertificate checks that the first certificate of pem is for key.
func checkCertificate(pem []byte, key *SigningKey) error {
	certs, err := cryptoutils.UnmarshalCertificatesFromPEM(pem)
	if err != nil || len(certs) == 0 {
		return fmt.Errorf("certificate: no PEM certificate")
	}
	pub, err := key.sv.PublicKey()
	if err != nil {
		return err
	}
	if err := cryptoutils.EqualKeys(certs[0].PublicKey, pub); err != nil {
		return fmt.Errorf("certificate is not for the signing key: %w", err)
	}
	return nil
}
