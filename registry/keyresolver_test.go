package registry_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/sigstore/sigstore/pkg/signature"

	"github.com/falconer-sec/falconer/registry"
)

// fakeResolver counts the key URIs it was asked for.
type fakeResolver struct{ asked []string }

func (f *fakeResolver) SignerVerifier(_ context.Context, ref string, _ func() ([]byte, error)) (signature.SignerVerifier, error) {
	f.asked = append(f.asked, ref)
	return nil, errors.New("no such key")
}

func (f *fakeResolver) Verifier(_ context.Context, ref string) (signature.Verifier, error) {
	f.asked = append(f.asked, ref)
	return nil, errors.New("no such key")
}

// TestKeyURIsNeedAResolver checks that key URIs go to the resolver the
// caller supplies, and are refused clearly without one (binaries that link
// no KMS providers).
func TestKeyURIsNeedAResolver(t *testing.T) {
	ctx := context.Background()
	none := func() ([]byte, error) { return nil, nil }
	if _, err := registry.LoadSigningKey(ctx, "k8s://ns/secret", none); err == nil || !strings.Contains(err.Error(), "key URIs are not supported here") {
		t.Errorf("LoadSigningKey(k8s://) error = %v", err)
	}
	f := &fakeResolver{}
	if _, err := registry.LoadSigningKeyFrom(ctx, "awskms:///alias/x", none, f); err == nil || len(f.asked) != 1 || f.asked[0] != "awskms:///alias/x" {
		t.Errorf("LoadSigningKeyFrom = %v, resolver asked %v", err, f.asked)
	}
	_, err := registry.Verify(ctx, "127.0.0.1:1/x/y:1", registry.VerifyOptions{KeyRef: "k8s://ns/secret"})
	if err == nil || !strings.Contains(err.Error(), "not supported here") {
		t.Errorf("Verify with a key URI and no resolver: %v", err)
	}
	_, err = registry.Verify(ctx, "127.0.0.1:1/x/y:1", registry.VerifyOptions{KeyRef: "k8s://ns/secret", Keys: f})
	if err == nil || len(f.asked) != 2 {
		t.Errorf("Verify with a resolver: %v, resolver asked %v", err, f.asked)
	}
}
