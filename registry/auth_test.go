package registry_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/falconer-sec/falconer/registry"
	"github.com/falconer-sec/falconer/registry/registrytest"
)

// newHandler returns a fresh persisted registry handler.
func newHandler(t *testing.T) http.Handler {
	t.Helper()
	s, err := registry.NewServer(t.TempDir(), registry.ServerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// basicAuth accepts only user:pass.
func basicAuth(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != "user" || p != "pass" {
			w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
			http.Error(w, `{"errors":[{"code":"UNAUTHORIZED","message":"auth"}]}`, http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func host(u string) string {
	return strings.TrimPrefix(strings.TrimPrefix(u, "http://"), "https://")
}

func TestAuthBasic(t *testing.T) {
	ctx := context.Background()
	ts := httptest.NewServer(basicAuth(newHandler(t)))
	defer ts.Close()
	repo := host(ts.URL) + "/falco/rules"
	a := pack(t, testRuleset(t, "1.0.0"))

	dir := t.TempDir()
	dockerConfig := filepath.Join(dir, "config.json")
	auth := base64.StdEncoding.EncodeToString([]byte("user:pass"))
	writeJSON(t, dockerConfig, map[string]any{"auths": map[string]any{host(ts.URL): map[string]string{"auth": auth}}})
	helperConfig := filepath.Join(dir, "helper.json")
	writeJSON(t, helperConfig, map[string]any{"credHelpers": map[string]string{host(ts.URL): "falconertest"}})
	// A docker credential helper speaks JSON on stdin/stdout.
	bin := t.TempDir()
	helper := "#!/bin/sh\n[ \"$1\" = get ] || exit 1\nread server\necho '{\"ServerURL\":\"'$server'\",\"Username\":\"user\",\"Secret\":\"pass\"}'\n"
	if err := os.WriteFile(filepath.Join(bin, "docker-credential-falconertest"), []byte(helper), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	empty := filepath.Join(dir, "empty.json")
	writeJSON(t, empty, map[string]any{})

	tests := []struct {
		name   string
		remote registry.Remote
		want   error
	}{
		{"explicit", registry.Remote{Username: "user", Password: "pass"}, nil},
		{"docker config", registry.Remote{DockerConfig: dockerConfig}, nil},
		{"credential helper", registry.Remote{DockerConfig: helperConfig}, nil},
		{"wrong password", registry.Remote{Username: "user", Password: "nope"}, registry.ErrDenied},
		{"no credentials", registry.Remote{DockerConfig: empty}, registry.ErrDenied},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := registry.Push(ctx, repo, a, registry.PushOptions{Remote: tt.remote})
			if !errors.Is(err, tt.want) {
				t.Fatalf("Push = %v, want %v", err, tt.want)
			}
			if tt.want != nil {
				return
			}
			if _, err := registry.Pull(ctx, repo+":1.0.0", registry.PullOptions{Remote: tt.remote}); err != nil {
				t.Errorf("Pull: %v", err)
			}
		})
	}

	// cosign's side uses the same credentials.
	keys := registrytest.NewKeys(t)
	remote := registry.Remote{DockerConfig: helperConfig}
	if _, err := registry.Sign(ctx, repo+":1.0.0", keys.Signer, registry.SignOptions{Remote: remote}); err != nil {
		t.Fatalf("Sign with a credential helper: %v", err)
	}
	if _, err := registry.Verify(ctx, repo+":1.0.0", registry.VerifyOptions{Remote: remote, PublicKey: keys.PublicPEM}); err != nil {
		t.Errorf("Verify with a credential helper: %v", err)
	}
	if _, err := registry.Verify(ctx, repo+":1.0.0", registry.VerifyOptions{Remote: registry.Remote{DockerConfig: empty}, PublicKey: keys.PublicPEM}); !errors.Is(err, registry.ErrDenied) {
		t.Errorf("Verify without credentials = %v, want ErrDenied", err)
	}
}

// TestAuthToken runs the bearer token flow: the registry points to a token
// endpoint that takes basic credentials and issues a token.
func TestAuthToken(t *testing.T) {
	ctx := context.Background()
	inner := newHandler(t)
	const token = "t0k3n"
	var tokenRequests atomic.Int32
	mux := http.NewServeMux()
	var realm string
	mux.HandleFunc("/token", func(w http.ResponseWriter, r *http.Request) {
		tokenRequests.Add(1)
		if u, p, ok := r.BasicAuth(); !ok || u != "user" || p != "pass" {
			http.Error(w, "denied", http.StatusUnauthorized)
			return
		}
		json.NewEncoder(w).Encode(map[string]string{"token": token})
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+token {
			w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer realm=%q,service="test",scope="repository:falco/rules:pull,push"`, realm))
			http.Error(w, `{"errors":[{"code":"UNAUTHORIZED","message":"token"}]}`, http.StatusUnauthorized)
			return
		}
		inner.ServeHTTP(w, r)
	})
	ts := httptest.NewServer(mux)
	defer ts.Close()
	realm = ts.URL + "/token"
	repo := host(ts.URL) + "/falco/rules"
	a := pack(t, testRuleset(t, "1.0.0"))

	if _, err := registry.Push(ctx, repo, a, registry.PushOptions{Remote: registry.Remote{Username: "user", Password: "pass"}}); err != nil {
		t.Fatalf("Push with token exchange: %v", err)
	}
	if tokenRequests.Load() == 0 {
		t.Errorf("no token was requested")
	}
	if _, err := registry.Pull(ctx, repo+":1.0.0", registry.PullOptions{Remote: registry.Remote{Token: token}}); err != nil {
		t.Errorf("Pull with a token: %v", err)
	}
	if _, err := registry.Pull(ctx, repo+":1.0.0", registry.PullOptions{Remote: registry.Remote{Username: "user", Password: "bad"}}); !errors.Is(err, registry.ErrDenied) {
		t.Errorf("Pull with bad credentials = %v, want ErrDenied", err)
	}
	keys := registrytest.NewKeys(t)
	if _, err := registry.Sign(ctx, repo+":1.0.0", keys.Signer, registry.SignOptions{Remote: registry.Remote{Username: "user", Password: "pass"}}); err != nil {
		t.Errorf("Sign with token exchange: %v", err)
	}
}

func TestCAFile(t *testing.T) {
	ctx := context.Background()
	ts := httptest.NewTLSServer(newHandler(t))
	defer ts.Close()
	dir := t.TempDir()
	caFile, otherCA := filepath.Join(dir, "ca.pem"), filepath.Join(dir, "other.pem")
	for f, der := range map[string][]byte{caFile: ts.Certificate().Raw, otherCA: selfSigned(t)} {
		b := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
		if err := os.WriteFile(f, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	repo := host(ts.URL) + "/falco/rules"
	a := pack(t, testRuleset(t, "1.0.0"))
	res, err := registry.Push(ctx, repo, a, registry.PushOptions{Remote: registry.Remote{CAFile: caFile}})
	if err != nil {
		t.Fatalf("Push over TLS with a CA file: %v", err)
	}
	keys := registrytest.NewKeys(t)
	if _, err := registry.Sign(ctx, res.Ref(), keys.Signer, registry.SignOptions{Remote: registry.Remote{CAFile: caFile}}); err != nil {
		t.Fatalf("Sign over TLS: %v", err)
	}
	if _, err := registry.Verify(ctx, res.Ref(), registry.VerifyOptions{Remote: registry.Remote{CAFile: caFile}, PublicKey: keys.PublicPEM}); err != nil {
		t.Errorf("Verify over TLS: %v", err)
	}
	if _, err := registry.Pull(ctx, res.Ref(), registry.PullOptions{Remote: registry.Remote{CAFile: otherCA, Retries: -1}}); !errors.Is(err, registry.ErrUnreachable) {
		t.Errorf("Pull trusting another CA = %v, want ErrUnreachable", err)
	}
	if _, err := registry.Verify(ctx, res.Ref(), registry.VerifyOptions{Remote: registry.Remote{CAFile: otherCA, Retries: -1}, PublicKey: keys.PublicPEM}); !errors.Is(err, registry.ErrUnreachable) {
		t.Errorf("Verify trusting another CA = %v, want ErrUnreachable", err)
	}
	if _, err := registry.Pull(ctx, res.Ref(), registry.PullOptions{Remote: registry.Remote{CAFile: filepath.Join(dir, "missing.pem")}}); err == nil {
		t.Errorf("Pull with a missing CA file succeeded")
	}
}

func TestRetries(t *testing.T) {
	ctx := context.Background()
	inner := newHandler(t)
	var failures atomic.Int32
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if failures.Add(-1) >= 0 {
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		inner.ServeHTTP(w, r)
	}))
	defer ts.Close()
	repo := host(ts.URL) + "/falco/rules"
	a := pack(t, testRuleset(t, "1.0.0"))
	failures.Store(2)
	if _, err := registry.Push(ctx, repo, a, registry.PushOptions{}); err != nil {
		t.Fatalf("Push with two transient failures: %v", err)
	}
	failures.Store(1)
	if _, err := registry.Pull(ctx, repo+":1.0.0", registry.PullOptions{Remote: registry.Remote{Retries: -1}}); !errors.Is(err, registry.ErrUnreachable) {
		t.Errorf("Pull without retries after a 503 = %v, want ErrUnreachable", err)
	}
}

func writeJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// selfSigned returns a fresh self-signed CA certificate (DER) for 127.0.0.1.
func selfSigned(t *testing.T) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "other test CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return der
}
