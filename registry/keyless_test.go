package registry_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sigstore/sigstore/pkg/cryptoutils"

	"github.com/falconer-sec/falconer/registry"
	"github.com/falconer-sec/falconer/registry/registrytest"
)

// oidcIssuerV1 is Fulcio's certificate extension naming the OIDC issuer.
var oidcIssuerV1 = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1, 1}

// testCA is a private CA issuing signing certificates the way Fulcio does:
// an email SAN and the OIDC issuer extension.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pem  []byte
}

func newTestCA(t *testing.T) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "test signing CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return &testCA{cert: cert, key: key, pem: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
}

func (ca *testCA) issue(t *testing.T, pubPEM []byte, email, issuer string) []byte {
	t.Helper()
	pub, err := cryptoutils.UnmarshalPEMToPublicKey(pubPEM)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:    big.NewInt(2),
		NotBefore:       time.Now().Add(-time.Hour),
		NotAfter:        time.Now().Add(time.Hour),
		EmailAddresses:  []string{email},
		KeyUsage:        x509.KeyUsageDigitalSignature,
		ExtKeyUsage:     []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning},
		ExtraExtensions: []pkix.Extension{{Id: oidcIssuerV1, Value: []byte(issuer)}},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, pub, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// TestVerifyKeyless signs with a certificate from a private CA and checks
// the identity and issuer flags against it, offline.
func TestVerifyKeyless(t *testing.T) {
	ctx := context.Background()
	srv := registrytest.New(t)
	keys, other := registrytest.NewKeys(t), registrytest.NewKeys(t)
	ca, otherCA := newTestCA(t), newTestCA(t)
	const who, issuer = "release@example.com", "https://issuer.example.com"
	cert := ca.issue(t, keys.PublicPEM, who, issuer)
	ref := pushed(t, srv.Host, "falco/rules", "1.0.0")

	if _, err := registry.Sign(ctx, ref, other.Signer, registry.SignOptions{Certificate: cert}); err == nil {
		t.Errorf("Sign with another key's certificate succeeded")
	}
	if _, err := registry.Sign(ctx, ref, keys.Signer, registry.SignOptions{Certificate: cert, CertificateChain: ca.pem}); err != nil {
		t.Fatalf("Sign: %v", err)
	}
	dir := t.TempDir()
	roots, otherRoots := filepath.Join(dir, "ca.pem"), filepath.Join(dir, "other.pem")
	if err := os.WriteFile(roots, ca.pem, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(otherRoots, otherCA.pem, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		opts registry.VerifyOptions
		want error
	}{
		{"identity and issuer", registry.VerifyOptions{CertIdentity: who, CertOIDCIssuer: issuer, CARoots: roots}, nil},
		{"regexps", registry.VerifyOptions{CertIdentityRegexp: `@example\.com$`, CertOIDCIssuerRegexp: `^https://issuer\.`, CARoots: roots}, nil},
		{"other identity", registry.VerifyOptions{CertIdentity: "someone@example.com", CertOIDCIssuer: issuer, CARoots: roots}, registry.ErrSignatureInvalid},
		{"other issuer", registry.VerifyOptions{CertIdentity: who, CertOIDCIssuer: "https://other.example.com", CARoots: roots}, registry.ErrSignatureInvalid},
		{"other CA", registry.VerifyOptions{CertIdentity: who, CertOIDCIssuer: issuer, CARoots: otherRoots}, registry.ErrSignatureInvalid},
		{"the key still works", registry.VerifyOptions{PublicKey: keys.PublicPEM}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := registry.Verify(ctx, ref, tt.opts)
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Errorf("Verify = %v, want %v", err, tt.want)
			}
		})
	}
	if _, err := registry.Verify(ctx, ref, registry.VerifyOptions{CertIdentity: who, CARoots: roots}); err == nil {
		t.Errorf("Verify without an issuer succeeded")
	}
}
