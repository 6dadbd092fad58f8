package agent

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/falconer-sec/falconer/compiler/ir"
	"github.com/falconer-sec/falconer/registry"
)

const testDigest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

func TestParseReference(t *testing.T) {
	tests := []struct {
		in      string
		want    reference
		wantErr string
	}{
		{in: "127.0.0.1:5000/rules/default:1", want: reference{Host: "127.0.0.1:5000", Repository: "rules/default", Tag: "1"}},
		{in: "ghcr.io/acme/rules", want: reference{Host: "ghcr.io", Repository: "acme/rules", Tag: "latest"}},
		{in: "localhost/r@" + testDigest, want: reference{Host: "localhost", Repository: "r", Digest: testDigest}},
		{in: "reg.example:443/a/b:v1@" + testDigest, want: reference{Host: "reg.example:443", Repository: "a/b", Digest: testDigest}},
		{in: "rules/default:1", wantErr: "explicit registry host"},
		{in: "ghcr.io/", wantErr: "explicit registry host"},
		{in: "ghcr.io/Acme/rules", wantErr: "invalid repository"},
		{in: "ghcr.io/acme/rules:bad/tag", wantErr: "invalid"},
		{in: "ghcr.io/acme/rules@sha256:abc", wantErr: "digest"},
		{in: "ghcr.io/acme/rules:" + strings.Repeat("x", 129), wantErr: "invalid tag"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := parseReference(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("parseReference(%q) = %+v, %v; want error containing %q", tt.in, got, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("parseReference(%q): %v", tt.in, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("parseReference(%q) (-want +got):\n%s", tt.in, diff)
			}
			// The canonical form parses back to the same reference.
			again, err := parseReference(got.String())
			if err != nil || again != got {
				t.Errorf("parseReference(%q) = %+v, %v; want %+v", got.String(), again, err, got)
			}
		})
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"", 0},
		{"7", 7 * time.Second},
		{"0", 0},
		{"-3", 0},
		{"999999", time.Hour},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0},
		{"soon", 0},
	}
	for _, tt := range tests {
		if got := parseRetryAfter(tt.in, now); got != tt.want {
			t.Errorf("parseRetryAfter(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestParseChallenge(t *testing.T) {
	tests := []struct {
		in         string
		wantScheme string
		wantParams map[string]string
	}{
		{`Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull"`, "bearer",
			map[string]string{"realm": "https://auth.example/token", "service": "registry.example", "scope": "repository:a/b:pull"}},
		{`Basic realm="Registry Realm"`, "basic", map[string]string{"realm": "Registry Realm"}},
		{`Bearer realm=https://a/t, service=s`, "bearer", map[string]string{"realm": "https://a/t", "service": "s"}},
		{`Bearer realm="unterminated`, "bearer", map[string]string{"realm": "unterminated"}},
		{``, "", map[string]string{}},
	}
	for _, tt := range tests {
		scheme, params := parseChallenge(tt.in)
		if scheme != tt.wantScheme {
			t.Errorf("parseChallenge(%q) scheme = %q, want %q", tt.in, scheme, tt.wantScheme)
		}
		if diff := cmp.Diff(tt.wantParams, params); diff != "" {
			t.Errorf("parseChallenge(%q) params (-want +got):\n%s", tt.in, diff)
		}
	}
}

// fakeRegistry answers manifest requests of repository "acme/rules" the
// way the test sets up.
type fakeRegistry struct {
	srv      *httptest.Server
	requests atomic.Int64
	handle   func(w http.ResponseWriter, r *http.Request)
}

func newFakeRegistry(t testing.TB, handle func(w http.ResponseWriter, r *http.Request)) *fakeRegistry {
	f := &fakeRegistry{handle: handle}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.requests.Add(1)
		f.handle(w, r)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeRegistry) ref(t testing.TB, tag string) reference {
	t.Helper()
	r, err := parseReference(strings.TrimPrefix(f.srv.URL, "http://") + "/acme/rules:" + tag)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestHeadDigest(t *testing.T) {
	manifest := []byte(`{"schemaVersion":2}`)
	sum := sha256.Sum256(manifest)
	bodyDigest := "sha256:" + hex.EncodeToString(sum[:])
	tests := []struct {
		name    string
		remote  registry.Remote
		handle  func(w http.ResponseWriter, r *http.Request)
		want    string
		wantErr error
		wantRA  time.Duration
	}{
		{
			name: "digest header",
			handle: func(w http.ResponseWriter, r *http.Request) {
				if r.Method != http.MethodHead || r.URL.Path != "/v2/acme/rules/manifests/1" || r.Header.Get("Accept") != registry.MediaTypeImageManifest {
					http.Error(w, "unexpected "+r.Method+" "+r.URL.Path, http.StatusBadRequest)
					return
				}
				w.Header().Set("Docker-Content-Digest", testDigest)
			},
			want: testDigest,
		},
		{
			name: "no digest header: the manifest is read and hashed",
			handle: func(w http.ResponseWriter, r *http.Request) {
				if r.Method == http.MethodGet {
					w.Write(manifest)
				}
			},
			want: bodyDigest,
		},
		{
			name:    "not found",
			handle:  func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) },
			wantErr: registry.ErrNotFound,
		},
		{
			name: "rate limited",
			handle: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Retry-After", "3")
				w.WriteHeader(http.StatusTooManyRequests)
			},
			wantErr: registry.ErrUnreachable,
			wantRA:  3 * time.Second,
		},
		{
			name:    "server error",
			handle:  func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusBadGateway) },
			wantErr: registry.ErrUnreachable,
		},
		{
			name:   "basic auth",
			remote: registry.Remote{Username: "u", Password: "p"},
			handle: func(w http.ResponseWriter, r *http.Request) {
				if u, p, ok := r.BasicAuth(); !ok || u != "u" || p != "p" {
					w.Header().Set("WWW-Authenticate", `Basic realm="r"`)
					w.WriteHeader(http.StatusUnauthorized)
					return
				}
				w.Header().Set("Docker-Content-Digest", testDigest)
			},
			want: testDigest,
		},
		{
			name: "basic auth without credentials",
			handle: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("WWW-Authenticate", `Basic realm="r"`)
				w.WriteHeader(http.StatusUnauthorized)
			},
			wantErr: registry.ErrDenied,
		},
		{
			name:   "static token",
			remote: registry.Remote{Token: "tok"},
			handle: func(w http.ResponseWriter, r *http.Request) {
				if r.Header.Get("Authorization") != "Bearer tok" {
					w.WriteHeader(http.StatusForbidden)
					return
				}
				w.Header().Set("Docker-Content-Digest", testDigest)
			},
			want: testDigest,
		},
		{
			name: "registry sends a malformed digest",
			handle: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Docker-Content-Digest", "md5:abc")
			},
			wantErr: errAny,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fr := newFakeRegistry(t, tt.handle)
			h, _, err := newHeadClient(tt.remote)
			if err != nil {
				t.Fatal(err)
			}
			got, err := h.digest(context.Background(), fr.ref(t, "1"))
			if tt.wantErr != nil {
				if err == nil || (tt.wantErr != errAny && !errors.Is(err, tt.wantErr)) {
					t.Fatalf("digest = %q, %v; want error %v", got, err, tt.wantErr)
				}
				var ra *RetryAfterError
				if tt.wantRA > 0 && (!errors.As(err, &ra) || ra.Wait != tt.wantRA) {
					t.Errorf("digest error %v: want a RetryAfterError of %v", err, tt.wantRA)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("digest = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

// errAny stands for "some error" in test tables.
var errAny = errors.New("any error")

// TestHeadBearerToken checks the token dance: a 401 with a Bearer
// challenge, a token fetched from the realm with the repository's pull
// scope and the basic credentials, the retry with it, and the token reused
// by the next check without a new challenge.
func TestHeadBearerToken(t *testing.T) {
	var tokenRequests atomic.Int64
	var fr *fakeRegistry
	fr = newFakeRegistry(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/token":
			tokenRequests.Add(1)
			u, p, _ := r.BasicAuth()
			if r.URL.Query().Get("scope") != "repository:acme/rules:pull" || r.URL.Query().Get("service") != "fake" || u != "bob" || p != "pw" {
				http.Error(w, "bad token request "+r.URL.RawQuery, http.StatusUnauthorized)
				return
			}
			w.Write([]byte(`{"token":"t0k3n","expires_in":300}`))
		default:
			if r.Header.Get("Authorization") != "Bearer t0k3n" {
				w.Header().Set("WWW-Authenticate", `Bearer realm="`+fr.srv.URL+`/token",service="fake",scope="repository:acme/rules:pull"`)
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
			w.Header().Set("Docker-Content-Digest", testDigest)
		}
	})
	h, _, err := newHeadClient(registry.Remote{Username: "bob", Password: "pw"})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		got, err := h.digest(context.Background(), fr.ref(t, "latest"))
		if err != nil || got != testDigest {
			t.Fatalf("check %d: digest = %q, %v; want %q", i, got, err, testDigest)
		}
	}
	if n := tokenRequests.Load(); n != 1 {
		t.Errorf("%d token requests for 3 checks, want 1 (the token is reused)", n)
	}
	// 3 checks: one challenged HEAD, then one HEAD each, plus the token.
	if n := fr.requests.Load(); n != 5 {
		t.Errorf("%d requests to the registry, want 5", n)
	}
}

// TestHeadDigestReference checks that a digest reference needs no request.
func TestHeadDigestReference(t *testing.T) {
	fr := newFakeRegistry(t, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusInternalServerError) })
	h, _, _ := newHeadClient(registry.Remote{})
	r, err := parseReference(strings.TrimPrefix(fr.srv.URL, "http://") + "/acme/rules@" + testDigest)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := h.digest(context.Background(), r); err != nil || got != testDigest {
		t.Errorf("digest = %q, %v; want %q", got, err, testDigest)
	}
	if n := fr.requests.Load(); n != 0 {
		t.Errorf("%d requests for a digest reference, want 0", n)
	}
}

func TestDelay(t *testing.T) {
	f := &Follower{cfg: FollowConfig{Interval: time.Second, MaxBackoff: 8 * time.Second, Jitter: 0.1}}
	tests := []struct {
		failures   int
		retryAfter time.Duration
		lo, hi     time.Duration
	}{
		{0, 0, 900 * time.Millisecond, 1100 * time.Millisecond},
		{1, 0, 900 * time.Millisecond, 1100 * time.Millisecond},
		{2, 0, 1800 * time.Millisecond, 2200 * time.Millisecond},
		{3, 0, 3600 * time.Millisecond, 4400 * time.Millisecond},
		{10, 0, 7200 * time.Millisecond, 8800 * time.Millisecond},
		{1000, 0, 7200 * time.Millisecond, 8800 * time.Millisecond},
		{0, 30 * time.Second, 30 * time.Second, 30 * time.Second},
	}
	for _, tt := range tests {
		seen := map[time.Duration]bool{}
		for range 50 {
			d := f.delay(tt.failures, tt.retryAfter)
			if d < tt.lo || d > tt.hi {
				t.Fatalf("delay(%d, %v) = %v, want within [%v, %v]", tt.failures, tt.retryAfter, d, tt.lo, tt.hi)
			}
			seen[d] = true
		}
		if tt.lo != tt.hi && len(seen) < 10 {
			t.Errorf("delay(%d, %v) took %d distinct values in 50 draws: not jittered", tt.failures, tt.retryAfter, len(seen))
		}
	}
}

// TestFollowHonoursRetryAfter runs the poll loop against a registry that
// answers 429 with Retry-After: the loop, at a 20ms interval, waits what
// the registry asked before asking again.
func TestFollowHonoursRetryAfter(t *testing.T) {
	var first atomic.Int64
	fr := newFakeRegistry(t, func(w http.ResponseWriter, r *http.Request) {
		if first.CompareAndSwap(0, time.Now().UnixNano()) {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		w.Header().Set("Docker-Content-Digest", testDigest)
	})
	f, err := NewFollower(FollowConfig{
		Refs:     []string{fr.ref(t, "1").String()},
		Trust:    TrustPolicy{InsecureSkipVerify: true},
		Interval: 20 * time.Millisecond,
		Log:      io.Discard,
	})
	if err != nil {
		t.Fatal(err)
	}
	// Started as if Init had found testDigest.
	s := f.sources[0]
	s.cur = &candidate{digest: testDigest, version: "1.0.0", program: &ir.Program{}}
	f.inited = true
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- f.Run(ctx, Callbacks{}) }()
	time.Sleep(1500 * time.Millisecond)
	cancel()
	<-done
	if n := fr.requests.Load(); n < 2 {
		t.Fatalf("%d requests, want the 429 and checks after it", n)
	}
	// The second request came no sooner than a second after the first.
	st := f.Status().Sources[0]
	if st.LastError != "" || st.Checks != uint64(fr.requests.Load()) {
		t.Errorf("status = %+v after %d requests", st, fr.requests.Load())
	}
	// At a 20ms interval 1.5s holds about 75 checks; a second of it was
	// the registry's.
	if n := fr.requests.Load(); n > 40 {
		t.Errorf("%d requests in 1.5s: the Retry-After of 1s was not honoured", n)
	}
}

// FuzzRegistryAnswers feeds arbitrary references, WWW-Authenticate
// challenges and Retry-After values (what a registry or a user hands the
// follower) to their parsers: errors, never panics; a parsed reference
// prints to a form that parses back to it; a wait is never negative nor
// over an hour.
func FuzzRegistryAnswers(f *testing.F) {
	f.Add("127.0.0.1:5000/rules/default:1", `Bearer realm="https://auth/token",service="reg",scope="repository:a:pull"`, "120")
	f.Add("ghcr.io/acme/rules@"+testDigest, `Basic realm="x"`, "Wed, 21 Oct 2015 07:28:00 GMT")
	f.Add("localhost/a:b@"+testDigest, `Bearer realm="unterminated`, "-1")
	f.Fuzz(func(t *testing.T, ref, challenge, retryAfter string) {
		if r, err := parseReference(ref); err == nil {
			again, err := parseReference(r.String())
			if err != nil || again != r {
				t.Fatalf("parseReference(%q) = %+v; its form %q parses to %+v, %v", ref, r, r.String(), again, err)
			}
		}
		scheme, params := parseChallenge(challenge)
		if scheme != strings.ToLower(scheme) || params == nil {
			t.Fatalf("parseChallenge(%q) = %q, %v", challenge, scheme, params)
		}
		if d := parseRetryAfter(retryAfter, time.Now()); d < 0 || d > time.Hour {
			t.Fatalf("parseRetryAfter(%q) = %v", retryAfter, d)
		}
	})
}

// BenchmarkCheckUnchanged measures a steady-state check: one HEAD request
// finding the active digest.
func BenchmarkCheckUnchanged(b *testing.B) {
	fr := newFakeRegistry(b, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Docker-Content-Digest", testDigest)
	})
	f, err := NewFollower(FollowConfig{Refs: []string{fr.ref(b, "1").String()}, Trust: TrustPolicy{InsecureSkipVerify: true}, Log: io.Discard})
	if err != nil {
		b.Fatal(err)
	}
	s := f.sources[0]
	s.cur = &candidate{digest: testDigest, version: "1.0.0", program: &ir.Program{}}
	ctx := context.Background()
	for b.Loop() {
		if wait := f.poll(ctx, s, nil); wait != 0 || s.failures != 0 {
			b.Fatalf("poll: wait %v, %d failures: %s", wait, s.failures, s.st.LastError)
		}
	}
	b.ReportMetric(float64(fr.requests.Load())/float64(b.N), "requests/op")
}
