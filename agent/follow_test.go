package agent_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/falconer-sec/falconer/agent"
	"github.com/falconer-sec/falconer/compiler/ir"
	"github.com/falconer-sec/falconer/registry"
	"github.com/falconer-sec/falconer/registry/registrytest"
)

// testRegistry is the embedded registry on a fixed loopback address, so
// that a test can stop it and start it again where followers look.
type testRegistry struct {
	t      testing.TB
	root   string
	Host   string
	cancel context.CancelFunc
	done   chan error
	// handler wraps the registry's handler (counting requests, say);
	// nil serves it as is.
	handler func(http.Handler) http.Handler
}

// startTestRegistry starts a registry persisted under root, on addr
// ("127.0.0.1:0" for any port).
func startTestRegistry(t testing.TB, root, addr string, wrap func(http.Handler) http.Handler) *testRegistry {
	t.Helper()
	r := &testRegistry{t: t, root: root, handler: wrap}
	r.start(addr)
	t.Cleanup(r.stop)
	return r
}

func (r *testRegistry) start(addr string) {
	r.t.Helper()
	srv, err := registry.NewServer(r.root, registry.ServerOptions{})
	if err != nil {
		r.t.Fatal(err)
	}
	var ln net.Listener
	for try := 0; ; try++ {
		if ln, err = net.Listen("tcp", addr); err == nil || try == 50 {
			break
		}
		time.Sleep(20 * time.Millisecond) // the old socket may linger
	}
	if err != nil {
		r.t.Fatal(err)
	}
	r.Host = ln.Addr().String()
	var h http.Handler = srv
	if r.handler != nil {
		h = r.handler(srv)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel, r.done = cancel, make(chan error, 1)
	hs := &http.Server{Handler: h}
	go func() {
		go func() { <-ctx.Done(); hs.Close() }()
		r.done <- hs.Serve(ln)
	}()
}

// stop stops the registry (its content stays on disk).
func (r *testRegistry) stop() {
	if r.cancel == nil {
		return
	}
	r.cancel()
	<-r.done
	r.cancel = nil
}

// restart starts the registry again on the same address.
func (r *testRegistry) restart() { r.start(r.Host) }

// tamperer rewrites the body of one blob as a registry serves it: a
// registry (or a proxy) that hands out content not matching its digest.
type tamperer struct {
	mu               sync.Mutex
	digest, old, new string
}

func (tp *tamperer) set(digest, old, new string) {
	tp.mu.Lock()
	tp.digest, tp.old, tp.new = digest, old, new
	tp.mu.Unlock()
}

func (tp *tamperer) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tp.mu.Lock()
		d, old, new := tp.digest, tp.old, tp.new
		tp.mu.Unlock()
		if d == "" || r.Method != http.MethodGet || !strings.HasSuffix(r.URL.Path, "/blobs/"+d) {
			h.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		body := bytes.Replace(rec.Body.Bytes(), []byte(old), []byte(new), 1)
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		w.Write(body)
	})
}

// release is one ruleset to publish.
type release struct {
	version string
	prog    *ir.Program // nil: no compiled layer
	files   []registry.File
	created time.Time
	engine  string               // required engine version; "" takes the program's
	signer  *registry.SigningKey // nil: not signed
}

// publish pushes rel to repo under the tag of its version and signs it;
// the followed tag is moved separately (moveTag), so that a follower never
// sees an artifact half-published.
func publish(t testing.TB, repo string, rel release) string {
	t.Helper()
	rs := registry.Ruleset{Name: "rules", Version: rel.version, RuleFiles: rel.files, Created: rel.created, RequiredEngineVersion: rel.engine}
	if len(rs.RuleFiles) == 0 {
		rs.RuleFiles = []registry.File{{Name: "rules.yaml", Data: []byte("# " + rel.version + "\n")}}
	}
	if rel.prog != nil {
		data, err := ir.Encode(rel.prog)
		if err != nil {
			t.Fatal(err)
		}
		rs.Compiled, rs.CompiledDigest, rs.RuleCount = data, ir.Digest(data), len(rel.prog.Rules)
		if rs.RequiredEngineVersion == "" {
			rs.RequiredEngineVersion = rel.prog.RequiredEngineVersion
		}
	}
	a, err := registry.Pack(rs)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	res, err := registry.Push(ctx, repo, a, registry.PushOptions{Remote: registry.Remote{Retries: -1}, Tags: []string{rel.version}})
	if err != nil {
		t.Fatal(err)
	}
	if rel.signer != nil {
		if _, err := registry.Sign(ctx, res.Ref(), rel.signer, registry.SignOptions{Remote: registry.Remote{Retries: -1}}); err != nil {
			t.Fatal(err)
		}
	}
	return res.Digest
}

// moveTag points tag of repo (host/name) at the manifest digest.
func moveTag(t testing.TB, repo, digest, tag string) {
	t.Helper()
	host, name, _ := strings.Cut(repo, "/")
	m, ct := getManifest(t, host, name, digest)
	putManifest(t, host, name, tag, ct, m)
}

func getManifest(t testing.TB, host, name, ref string) ([]byte, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, "http://"+host+"/v2/"+name+"/manifests/"+ref, nil)
	req.Header.Set("Accept", registry.MediaTypeImageManifest)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET manifest %s: %d %s", ref, resp.StatusCode, b)
	}
	return b, resp.Header.Get("Content-Type")
}

func putManifest(t testing.TB, host, name, ref, contentType string, m []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPut, "http://"+host+"/v2/"+name+"/manifests/"+ref, bytes.NewReader(m))
	req.Header.Set("Content-Type", contentType)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("PUT manifest %s: %d %s", ref, resp.StatusCode, b)
	}
}

// signatureTag is cosign's classic signature tag of a digest.
func signatureTag(digest string) string { return strings.Replace(digest, ":", "-", 1) + ".sig" }

// layerOf returns the digest of the compiled layer of a pushed manifest.
func layerOf(t testing.TB, repo, digest string) string {
	t.Helper()
	host, name, _ := strings.Cut(repo, "/")
	b, _ := getManifest(t, host, name, digest)
	var m struct {
		Layers []struct{ MediaType, Digest string }
	}
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for _, l := range m.Layers {
		if l.MediaType == registry.MediaTypeCompiledRuleset {
			return l.Digest
		}
	}
	t.Fatalf("%s has no compiled layer", digest)
	return ""
}

// targetRecorder is a follow Target that records what it is handed.
type targetRecorder struct {
	mu          sync.Mutex
	active      *agent.Ruleset
	activations int
	rejections  []agent.Rejection
	fail        error // returned by Activate when set
	notify      chan struct{}
}

func newTargetRecorder(initial *agent.Ruleset) *targetRecorder {
	return &targetRecorder{active: initial, notify: make(chan struct{}, 1)}
}

func (r *targetRecorder) Activate(rs *agent.Ruleset) (time.Duration, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail != nil {
		return 0, r.fail
	}
	r.active = rs
	r.activations++
	r.poke()
	return time.Microsecond, nil
}

func (r *targetRecorder) Rejected(rj agent.Rejection) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.rejections = append(r.rejections, rj)
	r.poke()
}

func (r *targetRecorder) poke() {
	select {
	case r.notify <- struct{}{}:
	default:
	}
}

func (r *targetRecorder) digest() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.active.Digest
}

// until waits for cond (checked under the lock) or fails after timeout.
func (r *targetRecorder) until(t testing.TB, what string, timeout time.Duration, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	deadline := time.After(timeout)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		r.mu.Lock()
		ok := cond()
		r.mu.Unlock()
		if ok {
			return time.Since(start)
		}
		select {
		case <-r.notify:
		case <-tick.C:
		case <-deadline:
			t.Fatalf("%s: not within %s", what, timeout)
		}
	}
}

func (r *targetRecorder) rejectionsOf(digest string) []agent.Rejection {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []agent.Rejection
	for _, rj := range r.rejections {
		if rj.Digest == digest {
			out = append(out, rj)
		}
	}
	return out
}

// runFollower runs f.Run with t until the test ends.
func runFollower(t testing.TB, f *agent.Follower, target agent.Target) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.Run(ctx, target) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("Follower.Run: %v", err)
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

// followRules are the rule files of the test rulesets: v1 is the default
// ruleset, v2 adds followMarkerRule.
func followRules(t testing.TB, extra ...string) []registry.File {
	t.Helper()
	var files []registry.File
	for _, p := range append([]string{"../rulesets/default/falconer_rules.yaml"}, extra...) {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, registry.File{Name: filepath.Base(p), Data: b})
	}
	return files
}

// markerRuleFile writes a rule detecting reads of marker and returns its
// path.
func markerRuleFile(t testing.TB, name, marker string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "follow_marker.yaml")
	rule := fmt.Sprintf(`
- rule: %s
  desc: a read of the follow test's marker file
  condition: open_read and fd.name = %q
  output: follow marker read (file=%%fd.name proc=%%proc.name)
  priority: NOTICE
`, name, marker)
	if err := os.WriteFile(p, []byte(rule), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func statusOf(f *agent.Follower) agent.SourceStatus { return f.Status().Sources[0] }

// TestFollowLifecycle walks the scenario without eBPF, with a
// recording Target: publish v1 and start on it; publish v2 and get it
// within the interval; refuse every bad v3 (keeping v2, saying why, one
// report per bad digest); survive the registry going away and pick up v3
// when it is back; restart offline from the verified cache; refuse a
// rollback.
func TestFollowLifecycle(t *testing.T) {
	keys := registrytest.NewKeys(t)
	other := registrytest.NewKeys(t)
	var tamper tamperer
	reg := startTestRegistry(t, t.TempDir(), "127.0.0.1:0", tamper.wrap)
	repo := reg.Host + "/acme/rules"
	ref := repo + ":latest"
	base := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

	v1Prog := compileRules(t)
	marker := markerRuleFile(t, "Follow marker read", "/nonexistent/falconer-follow-marker")
	v2Prog := compileRules(t, marker)
	v1 := publish(t, repo, release{version: "1.0.0", prog: v1Prog, files: followRules(t), created: base, signer: keys.Signer})
	moveTag(t, repo, v1, "latest")

	const interval = 150 * time.Millisecond
	cacheDir := t.TempDir()
	cfg := agent.FollowConfig{
		Refs:     []string{ref},
		Trust:    agent.TrustPolicy{Keys: []string{keys.PublicPath}},
		Remote:   registry.Remote{Retries: -1},
		Interval: interval,
		CacheDir: cacheDir,
		Log:      testLog{t},
	}
	f, err := agent.NewFollower(cfg)
	if err != nil {
		t.Fatal(err)
	}
	rs, err := f.Init(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if rs.Digest != v1 || rs.Version != "1.0.0" || len(rs.Program.Rules) != len(v1Prog.Rules) {
		t.Fatalf("Init = %s %s (%d rules), want %s 1.0.0 (%d rules)", rs.Digest, rs.Version, len(rs.Program.Rules), v1, len(v1Prog.Rules))
	}
	if st := statusOf(f); st.From != "registry" || st.VerifiedBy != "key "+keys.PublicPath {
		t.Errorf("status after Init: from %q, verified by %q", st.From, st.VerifiedBy)
	}
	target := newTargetRecorder(rs)
	stopFollower := runFollower(t, f, target)

	var v2 string
	t.Run("v2 active within the interval", func(t *testing.T) {
		v2 = publish(t, repo, release{version: "2.0.0", prog: v2Prog, files: followRules(t, marker), created: base.Add(time.Hour), signer: keys.Signer})
		moveTag(t, repo, v2, "latest")
		took := target.until(t, "v2 active", 20*interval, func() bool { return target.active.Digest == v2 })
		t.Logf("v2 active %s after the tag moved (interval %s)", took.Round(time.Millisecond), interval)
		if took > 2*interval+time.Second {
			t.Errorf("v2 took %s, want about one interval (%s)", took, interval)
		}
		target.mu.Lock()
		rules := target.active.Program.Rules
		target.mu.Unlock()
		if len(rules) != len(v1Prog.Rules)+1 || rules[len(rules)-1].Name != "Follow marker read" {
			t.Errorf("v2 has %d rules, want the %d of v1 and the marker rule", len(rules), len(v1Prog.Rules))
		}
		st := statusOf(f)
		if st.Digest != v2 || st.Version != "2.0.0" || st.LastError != "" || st.Updates != 2 {
			t.Errorf("status = %+v, want v2 active, no error, 2 updates", st)
		}
		if a := f.Status().Active; a == nil || a.Digest != v2 || a.Swaps != 1 {
			t.Errorf("active status = %+v, want v2 after one swap", a)
		}
	})

	// Every bad v3: published under its own tag, then made "latest".
	bad := []struct {
		name   string
		make   func(t *testing.T) string
		reason string
	}{
		{"unsigned", func(t *testing.T) string {
			return publish(t, repo, release{version: "3.0.0-unsigned", prog: v2Prog, created: base.Add(2 * time.Hour)})
		}, agent.ReasonNotSigned},
		{"signed by another key", func(t *testing.T) string {
			return publish(t, repo, release{version: "3.0.0-other", prog: v2Prog, created: base.Add(2 * time.Hour), signer: other.Signer})
		}, agent.ReasonSignatureInvalid},
		{"v2's signature copied onto it", func(t *testing.T) string {
			d := publish(t, repo, release{version: "3.0.0-copied", prog: v2Prog, created: base.Add(2 * time.Hour)})
			host, name, _ := strings.Cut(repo, "/")
			sig, ct := getManifest(t, host, name, signatureTag(v2))
			putManifest(t, host, name, signatureTag(d), ct, sig)
			return d
		}, agent.ReasonSignatureInvalid},
		{"compiled layer tampered with on the way", func(t *testing.T) string {
			d := publish(t, repo, release{version: "3.0.0-tampered", prog: v1Prog, files: followRules(t), created: base.Add(2 * time.Hour), signer: keys.Signer})
			// Same size, one rule renamed: the signature still matches the
			// manifest, the content no longer matches its digest.
			tamper.set(layerOf(t, repo, d), "Read sensitive file untrusted", "Read sensitive file UNTRUSTED")
			t.Cleanup(func() { tamper.set("", "", "") })
			return d
		}, agent.ReasonInvalidArtifact},
		{"needs a newer engine", func(t *testing.T) string {
			return publish(t, repo, release{version: "3.0.0-engine", prog: v2Prog, engine: "0.99.0", created: base.Add(2 * time.Hour), signer: keys.Signer})
		}, agent.ReasonEngineVersion},
		{"no compiled ruleset", func(t *testing.T) string {
			return publish(t, repo, release{version: "3.0.0-rules-only", created: base.Add(2 * time.Hour), signer: keys.Signer})
		}, agent.ReasonNoCompiled},
		{"rollback to v1", func(t *testing.T) string { return v1 }, agent.ReasonRollback},
		{"same version, created earlier", func(t *testing.T) string {
			return publish(t, repo, release{version: "2.0.0", prog: v1Prog, files: followRules(t), created: base.Add(-time.Hour), signer: keys.Signer})
		}, agent.ReasonRollback},
	}
	for _, tt := range bad {
		t.Run("rejected: "+tt.name, func(t *testing.T) {
			d := tt.make(t)
			moveTag(t, repo, d, "latest")
			target.until(t, "rejection of "+d, 20*interval, func() bool {
				for _, rj := range target.rejections {
					if rj.Digest == d {
						return true
					}
				}
				return false
			})
			// A few more checks see the same digest: still one report.
			time.Sleep(4 * interval)
			rjs := target.rejectionsOf(d)
			if len(rjs) != 1 {
				t.Errorf("%d reports for %s, want 1", len(rjs), d)
			}
			if rjs[0].Reason != tt.reason || rjs[0].ActiveDigest != v2 || rjs[0].Ref != ref {
				t.Errorf("rejection = %+v, want reason %s, active %s", rjs[0], tt.reason, v2)
			}
			if got := target.digest(); got != v2 {
				t.Errorf("active = %s, want v2 %s", got, v2)
			}
			st := statusOf(f)
			if st.Digest != v2 || st.LastRejection == nil || st.LastRejection.Reason != tt.reason || !strings.HasPrefix(st.LastError, "rejected: ") {
				t.Errorf("status = digest %s, last error %q, last rejection %+v; want v2 and the reason %s", st.Digest, st.LastError, st.LastRejection, tt.reason)
			}
			t.Logf("%s: %s", tt.reason, rjs[0].Err)
		})
	}

	var v3, v3Layer string
	t.Run("registry stopped, then back", func(t *testing.T) {
		moveTag(t, repo, v2, "latest")
		waitStatus(t, f, "a clean check", 20*interval, func(st agent.SourceStatus) bool { return st.LastError == "" })
		reg.stop()
		waitStatus(t, f, "two failed checks", 20*interval, func(st agent.SourceStatus) bool {
			return st.Failures >= 2 && strings.Contains(st.LastError, "unreachable")
		})
		if got := target.digest(); got != v2 {
			t.Errorf("active while the registry is down = %s, want v2", got)
		}
		st := statusOf(f)
		if wait := time.Until(st.NextCheck); st.Failures >= 3 && wait < interval {
			t.Logf("next check in %s after %d failures", wait, st.Failures)
		}
		reg.restart()
		v3 = publish(t, repo, release{version: "3.0.0", prog: v1Prog, files: followRules(t), created: base.Add(3 * time.Hour), signer: keys.Signer})
		moveTag(t, repo, v3, "latest")
		v3Layer = layerOf(t, repo, v3)
		// Backed off at most MaxBackoff (8 intervals) plus jitter.
		target.until(t, "v3 active after the registry returned", 20*interval, func() bool { return target.active.Digest == v3 })
		if st := statusOf(f); st.LastError != "" || st.Failures != 0 || st.Digest != v3 {
			t.Errorf("status after recovery = %+v", st)
		}
	})

	t.Run("status endpoint", func(t *testing.T) {
		srv := httptest.NewServer(agent.StatusHandler(nil, f))
		defer srv.Close()
		resp, err := http.Get(srv.URL + "/status")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var got agent.Status
		if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
			t.Fatal(err)
		}
		if got.Follow == nil || len(got.Follow.Sources) != 1 {
			t.Fatalf("status = %+v", got)
		}
		s := got.Follow.Sources[0]
		if s.Ref != ref || s.Digest != v3 || s.Version != "3.0.0" || s.ActivatedAt.IsZero() || s.LastCheck.IsZero() || s.LastRejection == nil {
			t.Errorf("status source = %+v", s)
		}
		if got.Follow.Active == nil || got.Follow.Active.Digest != v3 {
			t.Errorf("status active = %+v, want %s", got.Follow.Active, v3)
		}
	})

	stopFollower()
	reg.stop()

	t.Run("restart offline from the verified cache", func(t *testing.T) {
		f2, err := agent.NewFollower(cfg)
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		rs, err := f2.Init(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if rs.Digest != v3 || rs.Version != "3.0.0" {
			t.Errorf("Init offline = %s %s, want v3 %s", rs.Digest, rs.Version, v3)
		}
		st := statusOf(f2)
		if st.From != "cache" || !strings.Contains(st.LastError, "unreachable") {
			t.Errorf("status = from %q, last error %q; want cache, unreachable", st.From, st.LastError)
		}
		t.Logf("started offline from the cache in %s", time.Since(start).Round(time.Millisecond))
	})

	t.Run("cache not trusted under another key", func(t *testing.T) {
		c := cfg
		c.Trust = agent.TrustPolicy{Keys: []string{other.PublicPath}}
		f3, err := agent.NewFollower(c)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*interval)
		defer cancel()
		if rs, err := f3.Init(ctx); err == nil {
			t.Fatalf("Init with another key and the registry down = %s, want an error", rs.Digest)
		}
	})

	t.Run("tampered cache file refused", func(t *testing.T) {
		files, _ := filepath.Glob(filepath.Join(cacheDir, "lkg-*.json"))
		if len(files) != 1 {
			t.Fatalf("cache files %v, want one", files)
		}
		b, err := os.ReadFile(files[0])
		if err != nil {
			t.Fatal(err)
		}
		var e map[string]any
		if err := json.Unmarshal(b, &e); err != nil {
			t.Fatal(err)
		}
		// Rename a rule in the recorded compiled layer (same size): the
		// file is well-formed, the layer no longer matches its digest.
		layer := v3Layer
		tampered := false
		for _, ex := range e["exchanges"].([]any) {
			ex := ex.(map[string]any)
			if strings.HasSuffix(ex["url"].(string), layer) {
				body := string(mustDecode(t, ex["body"].(string)))
				ex["body"] = mustEncode(strings.Replace(body, "Read sensitive file untrusted", "Read sensitive file UNTRUSTED", 1))
				tampered = true
			}
		}
		if !tampered {
			t.Fatal("the compiled layer is not in the cache file")
		}
		b, _ = json.Marshal(e)
		if err := os.WriteFile(files[0], b, 0o600); err != nil {
			t.Fatal(err)
		}
		f4, err := agent.NewFollower(cfg)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*interval)
		defer cancel()
		if rs, err := f4.Init(ctx); err == nil {
			t.Fatalf("Init with a tampered cache and the registry down = %s, want an error", rs.Digest)
		}
	})
}

func mustDecode(t testing.TB, s string) []byte {
	var b []byte
	if err := json.Unmarshal([]byte(`"`+s+`"`), &b); err != nil {
		t.Fatal(err)
	}
	return b
}

func mustEncode(s string) string {
	b, _ := json.Marshal([]byte(s))
	return strings.Trim(string(b), `"`)
}

// waitStatus waits until the first source's status satisfies cond.
func waitStatus(t testing.TB, f *agent.Follower, what string, timeout time.Duration, cond func(agent.SourceStatus) bool) agent.SourceStatus {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		st := statusOf(f)
		if cond(st) {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s (status %+v)", what, timeout, st)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestFollowAllowRollback checks that --allow-rollback lets an older
// version through, and that a failing activation keeps the old ruleset
// and is reported.
func TestFollowAllowRollback(t *testing.T) {
	keys := registrytest.NewKeys(t)
	reg := startTestRegistry(t, t.TempDir(), "127.0.0.1:0", nil)
	repo := reg.Host + "/acme/rules"
	prog := compileRules(t)
	now := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	v2 := publish(t, repo, release{version: "2.0.0", prog: prog, created: now, signer: keys.Signer})
	v1 := publish(t, repo, release{version: "1.0.0", prog: prog, created: now.Add(-time.Hour), signer: keys.Signer})
	v3 := publish(t, repo, release{version: "3.0.0", prog: prog, created: now.Add(time.Hour), signer: keys.Signer})
	moveTag(t, repo, v2, "stable")
	f, err := agent.NewFollower(agent.FollowConfig{
		Refs: []string{repo + ":stable"}, Trust: agent.TrustPolicy{PublicKeys: [][]byte{keys.PublicPEM}},
		Remote: registry.Remote{Retries: -1}, Interval: 50 * time.Millisecond, AllowRollback: true, Log: testLog{t},
	})
	if err != nil {
		t.Fatal(err)
	}
	rs, err := f.Init(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	target := newTargetRecorder(rs)
	runFollower(t, f, target)
	moveTag(t, repo, v1, "stable")
	target.until(t, "rollback to v1 accepted", 5*time.Second, func() bool { return target.active.Digest == v1 })

	target.mu.Lock()
	target.fail = errors.New("the evaluator refuses it")
	target.mu.Unlock()
	moveTag(t, repo, v3, "stable")
	target.until(t, "failed activation reported", 5*time.Second, func() bool { return len(target.rejections) > 0 })
	rj := target.rejectionsOf(v3)
	if len(rj) != 1 || rj[0].Reason != agent.ReasonActivate || !strings.Contains(rj[0].Err, "the evaluator refuses it") {
		t.Errorf("rejections of v3 = %+v, want one activate failure", rj)
	}
	if st := statusOf(f); st.Digest != v1 {
		t.Errorf("active after a failed activation = %s, want v1 %s", st.Digest, v1)
	}
	// Fixed: the same digest is tried again at the next check.
	target.mu.Lock()
	target.fail = nil
	target.mu.Unlock()
	target.until(t, "v3 active once activation works", 5*time.Second, func() bool { return target.active.Digest == v3 })
}

// TestFollowRefs follows two references (one a digest) and checks the
// merge order and that the digest reference never polls.
func TestFollowRefs(t *testing.T) {
	keys := registrytest.NewKeys(t)
	var mu sync.Mutex
	heads := map[string]int{}
	reg := startTestRegistry(t, t.TempDir(), "127.0.0.1:0", func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodHead {
				mu.Lock()
				heads[r.URL.Path]++
				mu.Unlock()
			}
			h.ServeHTTP(w, r)
		})
	})
	base := reg.Host + "/acme/base"
	extra := reg.Host + "/acme/extra"
	prog := compileRules(t)
	marker := markerRuleFile(t, "Follow marker read", "/nonexistent/falconer-follow-marker")
	more := compileRules(t, marker)
	now := time.Now().UTC().Truncate(time.Second)
	bd := publish(t, base, release{version: "1.0.0", prog: prog, created: now, signer: keys.Signer})
	ed := publish(t, extra, release{version: "1.0.0", prog: more, created: now, signer: keys.Signer})
	moveTag(t, extra, ed, "latest")

	f, err := agent.NewFollower(agent.FollowConfig{
		Refs:  []string{base + "@" + bd, extra + ":latest"},
		Trust: agent.TrustPolicy{Keys: []string{keys.PublicPath}}, Remote: registry.Remote{Retries: -1},
		Interval: 30 * time.Millisecond, Log: testLog{t},
	})
	if err != nil {
		t.Fatal(err)
	}
	rs, err := f.Init(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if want := bd + "," + ed; rs.Digest != want || rs.Version != "1.0.0,1.0.0" {
		t.Errorf("merged digest %q version %q, want %q", rs.Digest, rs.Version, want)
	}
	// The second ruleset repeats every rule of the first and adds one: the
	// merge keeps the first's order and appends the new rule.
	if len(rs.Program.Rules) != len(more.Rules) || rs.Program.Rules[len(rs.Program.Rules)-1].Name != "Follow marker read" {
		t.Errorf("merged %d rules, want %d ending with the marker rule", len(rs.Program.Rules), len(more.Rules))
	}
	mu.Lock()
	clear(heads) // count the polling only
	mu.Unlock()
	stop := runFollower(t, f, newTargetRecorder(rs))
	time.Sleep(300 * time.Millisecond)
	stop()
	mu.Lock()
	defer mu.Unlock()
	if n := heads["/v2/acme/base/manifests/"+bd]; n != 0 {
		t.Errorf("%d HEAD requests for the digest reference, want 0", n)
	}
	if n := heads["/v2/acme/extra/manifests/latest"]; n < 3 {
		t.Errorf("%d HEAD requests for the tag in 300ms at a 30ms interval, want several", n)
	}
}

func TestNewFollowerErrors(t *testing.T) {
	tests := []struct {
		name    string
		cfg     agent.FollowConfig
		wantErr string
	}{
		{"nothing", agent.FollowConfig{}, "nothing to follow"},
		{"no trust", agent.FollowConfig{Refs: []string{"127.0.0.1:5000/r:1"}}, "no trust policy"},
		{"identity without issuer", agent.FollowConfig{Refs: []string{"127.0.0.1:5000/r:1"}, Trust: agent.TrustPolicy{CertIdentity: "me"}}, "issuer"},
		{"bad reference", agent.FollowConfig{Refs: []string{"r:1"}, Trust: agent.TrustPolicy{InsecureSkipVerify: true}}, "explicit registry host"},
		{"twice", agent.FollowConfig{Refs: []string{"127.0.0.1:5000/r", "127.0.0.1:5000/r:latest"}, Trust: agent.TrustPolicy{InsecureSkipVerify: true}}, "twice"},
		{"bad engine", agent.FollowConfig{Watch: []string{"."}, EngineVersion: "x"}, "engine version"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := agent.NewFollower(tt.cfg)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("NewFollower = %v, want error containing %q", err, tt.wantErr)
			}
		})
	}
}

// TestFollowInsecureSkipVerify checks that an unsigned ruleset is taken
// only with verification explicitly disabled.
func TestFollowInsecureSkipVerify(t *testing.T) {
	reg := startTestRegistry(t, t.TempDir(), "127.0.0.1:0", nil)
	repo := reg.Host + "/acme/rules"
	d := publish(t, repo, release{version: "1.0.0", prog: compileRules(t)})
	f, err := agent.NewFollower(agent.FollowConfig{Refs: []string{repo + ":1.0.0"}, Trust: agent.TrustPolicy{InsecureSkipVerify: true}, Remote: registry.Remote{Retries: -1}, Log: testLog{t}})
	if err != nil {
		t.Fatal(err)
	}
	rs, err := f.Init(context.Background())
	if err != nil || rs.Digest != d {
		t.Fatalf("Init = %v, %v; want %s", rs, err, d)
	}
	if st := statusOf(f); !strings.Contains(st.VerifiedBy, "not verified") || !strings.Contains(f.Status().Trust, "disabled") {
		t.Errorf("status says verified by %q, trust %q", st.VerifiedBy, f.Status().Trust)
	}
}

func TestMerge(t *testing.T) {
	rule := func(name, evt string) ir.Rule {
		return ir.Rule{Name: name, Priority: ir.Notice, Source: "syscall", Condition: &ir.Expr{Kind: ir.KindCheck,
			Check: &ir.Check{Left: ir.Operand{Field: "evt.type"}, Op: "=", Values: []string{evt}}}}
	}
	prog := func(engine string, syscalls []string, disabled []string, rules ...ir.Rule) *ir.Program {
		return &ir.Program{Format: ir.FormatVersion, RequiredEngineVersion: engine, Syscalls: syscalls, Disabled: disabled, Rules: rules,
			Sources: []ir.Source{{Name: fmt.Sprint(len(rules)) + ".yaml"}}}
	}
	type summary struct {
		Rules    []string // name=evt
		Disabled []string
		Syscalls []string
		Engine   string
	}
	sum := func(p *ir.Program) summary {
		s := summary{Disabled: p.Disabled, Syscalls: p.Syscalls, Engine: p.RequiredEngineVersion}
		for _, r := range p.Rules {
			s.Rules = append(s.Rules, r.Name+"="+r.Condition.Check.Values[0])
		}
		return s
	}
	tests := []struct {
		name  string
		progs []*ir.Program
		want  summary
	}{
		{
			name: "concatenated in order, syscalls united",
			progs: []*ir.Program{
				prog("0.50.0", []string{"open", "read"}, nil, rule("a", "open"), rule("b", "read")),
				prog("", []string{"execve", "open"}, nil, rule("c", "execve")),
			},
			want: summary{Rules: []string{"a=open", "b=read", "c=execve"}, Syscalls: []string{"execve", "open", "read"}, Engine: "0.50.0"},
		},
		{
			name: "a later definition replaces in place",
			progs: []*ir.Program{
				prog("0.50.0", nil, nil, rule("a", "open"), rule("b", "read")),
				prog("0.57.0", nil, nil, rule("c", "execve"), rule("a", "openat")),
			},
			want: summary{Rules: []string{"a=openat", "b=read", "c=execve"}, Engine: "0.57.0"},
		},
		{
			name: "a later ruleset disables a rule",
			progs: []*ir.Program{
				prog("", nil, nil, rule("a", "open"), rule("b", "read")),
				prog("", nil, []string{"a"}, rule("c", "execve")),
			},
			want: summary{Rules: []string{"b=read", "c=execve"}, Disabled: []string{"a"}},
		},
		{
			name: "and a still later one enables it again",
			progs: []*ir.Program{
				prog("", nil, nil, rule("a", "open")),
				prog("", nil, []string{"a"}),
				prog("", nil, nil, rule("a", "openat")),
			},
			want: summary{Rules: []string{"a=openat"}},
		},
		{
			name: "integer engine versions compare as 0.N.0",
			progs: []*ir.Program{
				prog("0.9.0", nil, nil, rule("a", "open")),
				prog("11", nil, nil, rule("b", "open")),
			},
			want: summary{Rules: []string{"a=open", "b=open"}, Engine: "11"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := agent.Merge(tt.progs...)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, sum(got)); diff != "" {
				t.Errorf("Merge (-want +got):\n%s", diff)
			}
		})
	}
	if _, err := agent.Merge(); err == nil {
		t.Error("Merge() of nothing: no error")
	}
	one := prog("", nil, nil, rule("a", "open"))
	if got, _ := agent.Merge(one); got != one {
		t.Error("Merge of one ruleset did not return it as is")
	}
}
