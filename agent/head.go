package agent

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/falconer-sec/falconer/registry"
)

// reference is a parsed registry/repository[:tag|@digest].
type reference struct {
	Host, Repository string
	// Tag is set for a tag reference (latest when none is given), Digest
	// for a digest reference.
	Tag, Digest string
}

var (
	repositoryRE = regexp.MustCompile(`^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$`)
	tagRE        = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$`)
	digestRE     = regexp.MustCompile(`^sha256:[a-f0-9]{64}$`)
)

// parseReference parses a followed reference. The registry host must be
// explicit (there is no default registry).
func parseReference(s string) (reference, error) {
	var r reference
	host, rest, ok := strings.Cut(s, "/")
	if !ok || host == "" || rest == "" || !(strings.ContainsAny(host, ".:") || host == "localhost") {
		return r, fmt.Errorf("reference %q: want REGISTRY/REPOSITORY[:TAG|@DIGEST] with an explicit registry host", s)
	}
	r.Host = host
	if repo, d, ok := strings.Cut(rest, "@"); ok {
		if !digestRE.MatchString(d) {
			return r, fmt.Errorf("reference %q: digest %q is not sha256:<64 hex>", s, d)
		}
		rest, r.Digest = repo, d
	}
	if i := strings.LastIndex(rest, ":"); i >= 0 {
		if r.Digest != "" {
			// repo:tag@digest: the digest decides.
			rest = rest[:i]
		} else {
			rest, r.Tag = rest[:i], rest[i+1:]
			if !tagRE.MatchString(r.Tag) {
				return r, fmt.Errorf("reference %q: invalid tag %q", s, r.Tag)
			}
		}
	}
	if r.Digest == "" && r.Tag == "" {
		r.Tag = registry.TagLatest
	}
	if !repositoryRE.MatchString(rest) {
		return r, fmt.Errorf("reference %q: invalid repository %q", s, rest)
	}
	r.Repository = rest
	return r, nil
}

// String returns the reference in canonical form.
func (r reference) String() string {
	if r.Digest != "" {
		return r.Host + "/" + r.Repository + "@" + r.Digest
	}
	return r.Host + "/" + r.Repository + ":" + r.Tag
}

// at returns the immutable reference to digest d in r's repository.
func (r reference) at(d string) string { return r.Host + "/" + r.Repository + "@" + d }

// RetryAfterError reports a registry that asked the follower to slow down
// (HTTP 429). It wraps registry.ErrUnreachable.
type RetryAfterError struct {
	// Wait is how long the registry asked to wait (0 if it did not say).
	Wait time.Duration
}

// Error implements error.
func (e *RetryAfterError) Error() string {
	if e.Wait > 0 {
		return fmt.Sprintf("rate limited by the registry: retry after %s", e.Wait)
	}
	return "rate limited by the registry"
}

// Unwrap makes a RetryAfterError match registry.ErrUnreachable.
func (e *RetryAfterError) Unwrap() error { return registry.ErrUnreachable }

// headClient finds the digest a tag points at with one HEAD request, the
// cheapest way to notice a change. It speaks the OCI distribution API
// itself, with anonymous, basic and bearer-token authentication, so that it
// can honour 429 and Retry-After instead of retrying blindly.
type headClient struct {
	remote registry.Remote
	client *http.Client

	mu     sync.Mutex
	tokens map[string]bearerToken // by host + scope
}

type bearerToken struct {
	value   string
	expires time.Time
}

// maxManifest bounds a manifest read when the registry sends no digest
// header.
const maxManifest = 4 << 20

// newHeadClient builds the client and the HTTP transport shared with the
// pulls: the remote's transport, with the CA file's roots when one is
// given.
func newHeadClient(remote registry.Remote) (*headClient, http.RoundTripper, error) {
	base := remote.Transport
	if base == nil {
		base = http.DefaultTransport.(*http.Transport).Clone()
	}
	if remote.CAFile != "" {
		pem, err := os.ReadFile(remote.CAFile)
		if err != nil {
			return nil, nil, fmt.Errorf("ca file: %w", err)
		}
		pool, err := x509.SystemCertPool()
		if err != nil || pool == nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, nil, fmt.Errorf("ca file %s: no PEM certificates", remote.CAFile)
		}
		t, ok := base.(*http.Transport)
		if !ok {
			return nil, nil, errors.New("ca file: a custom transport that is not *http.Transport cannot take a CA file")
		}
		t = t.Clone()
		if t.TLSClientConfig == nil {
			t.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
		}
		t.TLSClientConfig.RootCAs = pool
		base = t
	}
	return &headClient{
		remote: remote,
		client: &http.Client{Transport: base, Timeout: 30 * time.Second},
		tokens: map[string]bearerToken{},
	}, base, nil
}

// plainHTTP reports whether host is spoken to over plain HTTP, by the rule
// the registry package applies.
func (h *headClient) plainHTTP(host string) bool {
	return h.remote.PlainHTTP || (h.remote.CAFile == "" && registry.IsLoopback(host))
}

// digest returns the manifest digest r's tag points at. Its errors wrap
// registry.ErrUnreachable (with a *RetryAfterError for 429),
// registry.ErrNotFound or registry.ErrDenied.
func (h *headClient) digest(ctx context.Context, r reference) (string, error) {
	if r.Digest != "" {
		return r.Digest, nil
	}
	scheme := "https"
	if h.plainHTTP(r.Host) {
		scheme = "http"
	}
	u := scheme + "://" + r.Host + "/v2/" + r.Repository + "/manifests/" + r.Tag
	resp, err := h.do(ctx, http.MethodHead, u, r)
	if err != nil {
		return "", err
	}
	resp.Body.Close()
	if d := resp.Header.Get("Docker-Content-Digest"); d != "" {
		if !digestRE.MatchString(d) {
			return "", fmt.Errorf("head %s: registry sent digest %q", r, d)
		}
		return d, nil
	}
	// No digest header (allowed by the spec): read the manifest.
	resp, err = h.do(ctx, http.MethodGet, u, r)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxManifest+1))
	if err != nil {
		return "", fmt.Errorf("get %s: %w: %v", r, registry.ErrUnreachable, err)
	}
	if len(b) > maxManifest {
		return "", fmt.Errorf("get %s: manifest over %d bytes", r, maxManifest)
	}
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:]), nil
}

// do sends one request for a manifest, authenticating when challenged, and
// returns a 200 response or an error.
func (h *headClient) do(ctx context.Context, method, u string, r reference) (*http.Response, error) {
	scope := "repository:" + r.Repository + ":pull"
	var authz string
	switch {
	case h.remote.Token != "":
		authz = "Bearer " + h.remote.Token
	default:
		authz = h.cachedToken(r.Host, scope)
	}
	for attempt := 0; ; attempt++ {
		req, err := http.NewRequestWithContext(ctx, method, u, nil)
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", strings.ToLower(method), r, err)
		}
		req.Header.Set("Accept", registry.MediaTypeImageManifest)
		if h.remote.UserAgent != "" {
			req.Header.Set("User-Agent", h.remote.UserAgent)
		}
		if authz != "" {
			req.Header.Set("Authorization", authz)
		}
		resp, err := h.client.Do(req)
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return nil, fmt.Errorf("%s %s: %w: %v", strings.ToLower(method), r, registry.ErrUnreachable, err)
		}
		if resp.StatusCode == http.StatusOK {
			return resp, nil
		}
		io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		what := strings.ToLower(method) + " " + r.String()
		switch {
		case resp.StatusCode == http.StatusUnauthorized && attempt == 0 && h.remote.Token == "":
			authz, err = h.authenticate(ctx, r.Host, scope, resp.Header.Get("WWW-Authenticate"))
			if err != nil {
				return nil, fmt.Errorf("%s: %w", what, err)
			}
			continue
		case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
			return nil, fmt.Errorf("%s: %w (HTTP %d)", what, registry.ErrDenied, resp.StatusCode)
		case resp.StatusCode == http.StatusNotFound:
			return nil, fmt.Errorf("%s: %w", what, registry.ErrNotFound)
		case resp.StatusCode == http.StatusTooManyRequests:
			return nil, fmt.Errorf("%s: %w", what, &RetryAfterError{Wait: parseRetryAfter(resp.Header.Get("Retry-After"), time.Now())})
		case resp.StatusCode >= 500:
			e := fmt.Errorf("%s: %w (HTTP %d)", what, registry.ErrUnreachable, resp.StatusCode)
			if wait := parseRetryAfter(resp.Header.Get("Retry-After"), time.Now()); wait > 0 {
				e = fmt.Errorf("%s: %w (HTTP %d)", what, &RetryAfterError{Wait: wait}, resp.StatusCode)
			}
			return nil, e
		default:
			return nil, fmt.Errorf("%s: unexpected HTTP %d", what, resp.StatusCode)
		}
	}
}

func (h *headClient) cachedToken(host, scope string) string {
	h.mu.Lock()
	defer h.mu.Unlock()
	t, ok := h.tokens[host+" "+scope]
	if !ok || time.Now().After(t.expires) {
		return ""
	}
	return "Bearer " + t.value
}

// authenticate answers a WWW-Authenticate challenge: basic credentials, or
// a bearer token from the challenge's realm.
func (h *headClient) authenticate(ctx context.Context, host, scope, challenge string) (string, error) {
	scheme, params := parseChallenge(challenge)
	switch scheme {
	case "basic":
		if h.remote.Username == "" && h.remote.Password == "" {
			return "", fmt.Errorf("%w: registry wants credentials", registry.ErrDenied)
		}
		return "Basic " + base64.StdEncoding.EncodeToString([]byte(h.remote.Username+":"+h.remote.Password)), nil
	case "bearer":
	default:
		return "", fmt.Errorf("%w: unsupported authentication challenge %q", registry.ErrDenied, challenge)
	}
	realm, err := url.Parse(params["realm"])
	if err != nil || realm.Host == "" || (realm.Scheme != "https" && realm.Scheme != "http") {
		return "", fmt.Errorf("%w: bad token realm %q", registry.ErrDenied, params["realm"])
	}
	if realm.Scheme == "http" && !h.plainHTTP(host) {
		return "", fmt.Errorf("%w: token realm %s is not HTTPS", registry.ErrDenied, realm)
	}
	q := realm.Query()
	if s := params["service"]; s != "" {
		q.Set("service", s)
	}
	q.Set("scope", scope)
	realm.RawQuery = q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, realm.String(), nil)
	if err != nil {
		return "", err
	}
	if h.remote.Username != "" || h.remote.Password != "" {
		req.SetBasicAuth(h.remote.Username, h.remote.Password)
	}
	if h.remote.UserAgent != "" {
		req.Header.Set("User-Agent", h.remote.UserAgent)
	}
	resp, err := h.client.Do(req)
	if err != nil {
		return "", fmt.Errorf("token: %w: %v", registry.ErrUnreachable, err)
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusTooManyRequests:
		return "", fmt.Errorf("token: %w", &RetryAfterError{Wait: parseRetryAfter(resp.Header.Get("Retry-After"), time.Now())})
	case resp.StatusCode >= 500:
		return "", fmt.Errorf("token: %w (HTTP %d)", registry.ErrUnreachable, resp.StatusCode)
	case resp.StatusCode != http.StatusOK:
		return "", fmt.Errorf("token: %w (HTTP %d)", registry.ErrDenied, resp.StatusCode)
	}
	var tok struct {
		Token       string `json:"token"`
		AccessToken string `json:"access_token"`
		ExpiresIn   int    `json:"expires_in"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&tok); err != nil {
		return "", fmt.Errorf("token: %w: %v", registry.ErrDenied, err)
	}
	value := tok.Token
	if value == "" {
		value = tok.AccessToken
	}
	if value == "" {
		return "", fmt.Errorf("token: %w: empty token", registry.ErrDenied)
	}
	life := time.Duration(tok.ExpiresIn) * time.Second
	if life <= 0 {
		life = 60 * time.Second // the distribution spec's default
	}
	h.mu.Lock()
	h.tokens[host+" "+scope] = bearerToken{value: value, expires: time.Now().Add(life - life/10)}
	h.mu.Unlock()
	return "Bearer " + value, nil
}

// parseChallenge splits a WWW-Authenticate header into its lowercased
// scheme and its parameters.
func parseChallenge(h string) (string, map[string]string) {
	scheme, rest, _ := strings.Cut(strings.TrimSpace(h), " ")
	params := map[string]string{}
	for rest != "" {
		rest = strings.TrimLeft(rest, " ,")
		k, v, ok := strings.Cut(rest, "=")
		if !ok {
			break
		}
		k = strings.ToLower(strings.TrimSpace(k))
		if strings.HasPrefix(v, `"`) {
			end := strings.Index(v[1:], `"`)
			if end < 0 {
				params[k] = v[1:]
				break
			}
			params[k], rest = v[1:1+end], v[2+end:]
		} else {
			val, r, _ := strings.Cut(v, ",")
			params[k], rest = strings.TrimSpace(val), r
		}
	}
	return strings.ToLower(scheme), params
}

// parseRetryAfter reads a Retry-After value: seconds, or an HTTP date. It
// returns 0 when absent or unreadable, and caps the wait at an hour.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	var d time.Duration
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n <= 0 {
			return 0
		}
		d = time.Duration(min(n, 3600)) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now)
	}
	return min(max(d, 0), time.Hour)
}
