package registry

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	ggcrremote "github.com/google/go-containerregistry/pkg/v1/remote"
	"oras.land/oras-go/v2/registry"
	"oras.land/oras-go/v2/registry/remote"
	"oras.land/oras-go/v2/registry/remote/auth"
	"oras.land/oras-go/v2/registry/remote/credentials"
	"oras.land/oras-go/v2/registry/remote/retry"
)

// Remote says how to reach a registry. The zero value uses HTTPS with the
// system's roots (plain HTTP for loopback hosts), the credentials of the
// docker config file and its credential helpers, and five retries of
// transient failures.
type Remote struct {
	// PlainHTTP uses plain HTTP for any host. Without it, plain HTTP is used
	// only for loopback hosts (127.0.0.0/8, ::1, localhost) when no CAFile
	// is given.
	PlainHTTP bool
	// CAFile is a PEM file of extra root certificates trusted for TLS.
	CAFile string
	// Username and Password are basic credentials for the registry; they
	// are also used for the token exchange of registries that issue
	// bearer tokens.
	Username, Password string
	// Token is a registry access token sent as a bearer token. It replaces
	// Username and Password.
	Token string
	// DockerConfig is the docker config.json to read credentials from
	// (auths, credsStore, credHelpers). Empty means docker's default:
	// $DOCKER_CONFIG/config.json or ~/.docker/config.json.
	DockerConfig string
	// Retries is how often a request failing with a 5xx, 429, 408, a reset
	// connection or a dial timeout is retried with exponential backoff: 0
	// means 5, a negative value means never.
	Retries int
	// Transport is the base HTTP transport; nil means a clone of
	// http.DefaultTransport.
	Transport http.RoundTripper
	// UserAgent is sent with every request when not empty.
	UserAgent string
}

// client is a resolved Remote: the pieces oras and go-containerregistry need.
type client struct {
	ref       registry.Reference
	plainHTTP bool
	transport http.RoundTripper // with retries
	cred      auth.CredentialFunc
	userAgent string
}

// newClient resolves opts for the registry of ref.
func newClient(ref string, opts Remote) (*client, error) {
	r, err := registry.ParseReference(ref)
	if err != nil {
		return nil, fmt.Errorf("reference %q: %w", ref, err)
	}
	base, err := baseTransport(opts)
	if err != nil {
		return nil, err
	}
	retries := opts.Retries
	if retries == 0 {
		retries = 5
	}
	var rt http.RoundTripper = base
	if retries > 0 {
		t := retry.NewTransport(base)
		policy := &retry.GenericPolicy{
			Retryable: retry.DefaultPredicate,
			Backoff:   retry.DefaultBackoff,
			MinWait:   200 * time.Millisecond,
			MaxWait:   3 * time.Second,
			MaxRetry:  retries,
		}
		t.Policy = func() retry.Policy { return policy }
		rt = t
	}
	cred, err := credentialFunc(r.Registry, opts)
	if err != nil {
		return nil, err
	}
	plain := opts.PlainHTTP || (opts.CAFile == "" && IsLoopback(r.Registry))
	if !plain {
		// go-containerregistry falls back to plain HTTP for loopback
		// hosts on its own; refuse that downgrade.
		rt = httpsOnly{rt}
	}
	return &client{
		ref:       r,
		plainHTTP: plain,
		transport: rt,
		cred:      cred,
		userAgent: opts.UserAgent,
	}, nil
}

func baseTransport(opts Remote) (http.RoundTripper, error) {
	if opts.CAFile == "" {
		if opts.Transport != nil {
			return opts.Transport, nil
		}
		return http.DefaultTransport.(*http.Transport).Clone(), nil
	}
	pem, err := os.ReadFile(opts.CAFile)
	if err != nil {
		return nil, fmt.Errorf("ca file: %w", err)
	}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("ca file %s: no PEM certificates", opts.CAFile)
	}
	var t *http.Transport
	switch bt := opts.Transport.(type) {
	case nil:
		t = http.DefaultTransport.(*http.Transport).Clone()
	case *http.Transport:
		t = bt.Clone()
	default:
		return nil, errors.New("ca file: a custom transport that is not *http.Transport cannot take a CA file")
	}
	if t.TLSClientConfig == nil {
		t.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	t.TLSClientConfig.RootCAs = pool
	return t, nil
}

// credentialFunc returns where credentials come from: the explicit ones of
// opts for host, else the docker config and its helpers.
func credentialFunc(host string, opts Remote) (auth.CredentialFunc, error) {
	switch {
	case opts.Token != "":
		return auth.StaticCredential(host, auth.Credential{AccessToken: opts.Token}), nil
	case opts.Username != "" || opts.Password != "":
		return auth.StaticCredential(host, auth.Credential{Username: opts.Username, Password: opts.Password}), nil
	}
	var store credentials.Store
	var err error
	if opts.DockerConfig != "" {
		store, err = credentials.NewStore(opts.DockerConfig, credentials.StoreOptions{})
	} else {
		store, err = credentials.NewStoreFromDocker(credentials.StoreOptions{})
	}
	if err != nil {
		return nil, fmt.Errorf("docker credentials: %w", err)
	}
	return credentials.Credential(store), nil
}

// repository returns an oras repository client for c's reference.
func (c *client) repository() (*remote.Repository, error) {
	repo, err := remote.NewRepository(c.ref.Registry + "/" + c.ref.Repository)
	if err != nil {
		return nil, err
	}
	repo.PlainHTTP = c.plainHTTP
	hdr := http.Header{}
	if c.userAgent != "" {
		hdr.Set("User-Agent", c.userAgent)
	}
	repo.Client = &auth.Client{
		Client:     &http.Client{Transport: c.transport},
		Header:     hdr,
		Credential: c.cred,
		Cache:      auth.NewCache(),
	}
	return repo, nil
}

// nameOptions are the go-containerregistry reference options for c.
func (c *client) nameOptions() []name.Option {
	if c.plainHTTP {
		return []name.Option{name.Insecure}
	}
	return nil
}

// remoteOptions are the go-containerregistry remote options for c: the same
// transport and credentials as the oras client, and no retries of its own.
func (c *client) remoteOptions(ctx context.Context) []ggcrremote.Option {
	opts := []ggcrremote.Option{
		ggcrremote.WithContext(ctx),
		ggcrremote.WithTransport(c.transport),
		ggcrremote.WithAuthFromKeychain(keychain{cred: c.cred}),
		ggcrremote.WithRetryBackoff(ggcrremote.Backoff{Steps: 1}),
	}
	if c.userAgent != "" {
		opts = append(opts, ggcrremote.WithUserAgent(c.userAgent))
	}
	return opts
}

// keychain serves the oras credentials to go-containerregistry.
type keychain struct {
	cred auth.CredentialFunc
}

// Resolve implements authn.Keychain.
func (k keychain) Resolve(r authn.Resource) (authn.Authenticator, error) {
	return k.ResolveContext(context.Background(), r)
}

// ResolveContext implements authn.ContextKeychain.
func (k keychain) ResolveContext(ctx context.Context, r authn.Resource) (authn.Authenticator, error) {
	c, err := k.cred(ctx, r.RegistryStr())
	if err != nil {
		return nil, err
	}
	if c == auth.EmptyCredential {
		return authn.Anonymous, nil
	}
	return authn.FromConfig(authn.AuthConfig{
		Username:      c.Username,
		Password:      c.Password,
		IdentityToken: c.RefreshToken,
		RegistryToken: c.AccessToken,
	}), nil
}

// IsLoopback reports whether a registry host (with optional port) is a
// loopback address or localhost.
func IsLoopback(host string) bool {
	h := host
	if hh, _, err := net.SplitHostPort(host); err == nil {
		h = hh
	}
	h = strings.Trim(h, "[]")
	if strings.EqualFold(h, "localhost") {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// ErrPlainHTTP reports a plain HTTP request to a registry that was not
// allowed one.
var ErrPlainHTTP = errors.New("plain HTTP is allowed only for loopback registries or with PlainHTTP")

// httpsOnly refuses requests that are not HTTPS.
type httpsOnly struct{ next http.RoundTripper }

// RoundTrip implements http.RoundTripper.
func (h httpsOnly) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Scheme != "https" {
		return nil, fmt.Errorf("%s: %w", r.URL.Redacted(), ErrPlainHTTP)
	}
	return h.next.RoundTrip(r)
}
