// Package kms resolves signing and verification keys named by URIs through
// cosign's key providers: k8s://namespace/secret, and the KMS providers
// (awskms://, gcpkms://, azurekms://, hashivault://) linked into the
// binary. It lives apart from package registry so that programs that only
// use key files, such as falconer-agent, do not link cosign's provider
// dependencies (the Kubernetes client among them).
package kms

import (
	"context"

	sigs "github.com/sigstore/cosign/v2/pkg/signature"
	"github.com/sigstore/sigstore/pkg/signature"
)

// Resolver implements registry.KeyResolver with cosign's providers.
type Resolver struct{}

// SignerVerifier loads the private key ref names; password is called when
// the provider needs one.
func (Resolver) SignerVerifier(ctx context.Context, ref string, password func() ([]byte, error)) (signature.SignerVerifier, error) {
	return sigs.SignerVerifierFromKeyRef(ctx, ref, func(bool) ([]byte, error) { return password() }, nil)
}

// Verifier loads the public key ref names.
func (Resolver) Verifier(ctx context.Context, ref string) (signature.Verifier, error) {
	return sigs.PublicKeyFromKeyRef(ctx, ref)
}
