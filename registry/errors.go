package registry

import (
	"crypto/x509"
	"errors"
	"net"
	"net/http"
	"net/url"

	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"oras.land/oras-go/v2/errdef"
	"oras.land/oras-go/v2/registry/remote/auth"
	"oras.land/oras-go/v2/registry/remote/errcode"
)

// Sentinel errors callers branch on. Errors returned by this package wrap at
// most one of them; test with errors.Is.
var (
	// ErrUnreachable reports a registry that could not be talked to: no
	// connection, a failed TLS handshake, or server errors after retries.
	ErrUnreachable = errors.New("registry unreachable")
	// ErrNotFound reports a repository, tag or manifest that does not exist.
	ErrNotFound = errors.New("not found")
	// ErrDenied reports credentials the registry refused.
	ErrDenied = errors.New("access denied")
	// ErrNotSigned reports an artifact with no signature at all.
	ErrNotSigned = errors.New("not signed")
	// ErrSignatureInvalid reports signatures of which none verifies with
	// the given key or identity: signed by someone else, or tampered with.
	ErrSignatureInvalid = errors.New("signature invalid")
	// ErrAttestationMissing reports a required attestation that is absent
	// or does not verify.
	ErrAttestationMissing = errors.New("attestation missing")
	// ErrInvalidArtifact reports pulled content that is not a well-formed
	// falconer artifact: wrong media types, sizes over the limits, digest
	// mismatches or unsafe archive entries.
	ErrInvalidArtifact = errors.New("invalid artifact")
)

// classified is an error tagged with one of the sentinels.
type classified struct {
	kind error
	err  error
}

func (c *classified) Error() string   { return c.kind.Error() + ": " + c.err.Error() }
func (c *classified) Unwrap() []error { return []error{c.kind, c.err} }

// classify tags a transport or registry error with the matching sentinel.
func classify(err error) error {
	if err == nil {
		return nil
	}
	for _, s := range []error{ErrUnreachable, ErrNotFound, ErrDenied, ErrNotSigned, ErrSignatureInvalid, ErrAttestationMissing, ErrInvalidArtifact} {
		if errors.Is(err, s) {
			return err
		}
	}
	if kind := kindOf(err); kind != nil {
		return &classified{kind: kind, err: err}
	}
	return err
}

func kindOf(err error) error {
	status := 0
	var ec *errcode.ErrorResponse
	var te *transport.Error
	switch {
	case errors.As(err, &ec):
		status = ec.StatusCode
	case errors.As(err, &te):
		status = te.StatusCode
	}
	switch {
	case status == http.StatusNotFound:
		return ErrNotFound
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return ErrDenied
	case status >= 500 || status == http.StatusTooManyRequests:
		return ErrUnreachable
	case status != 0:
		return nil
	}
	if errors.Is(err, errdef.ErrNotFound) {
		return ErrNotFound
	}
	if errors.Is(err, auth.ErrBasicCredentialNotFound) {
		return ErrDenied
	}
	var ne net.Error
	var oe *net.OpError
	var de *net.DNSError
	var ue *url.Error
	var ua x509.UnknownAuthorityError
	var hn x509.HostnameError
	var ci x509.CertificateInvalidError
	if errors.As(err, &oe) || errors.As(err, &de) || errors.As(err, &ne) ||
		errors.As(err, &ua) || errors.As(err, &hn) || errors.As(err, &ci) {
		return ErrUnreachable
	}
	if errors.As(err, &ue) {
		return ErrUnreachable
	}
	return nil
}
