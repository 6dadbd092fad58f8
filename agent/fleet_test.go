package agent_test

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/falconer-sec/falconer/agent"
	"github.com/falconer-sec/falconer/compiler"
	"github.com/falconer-sec/falconer/compiler/ir"
	"github.com/falconer-sec/falconer/registry"
	"github.com/falconer-sec/falconer/registry/registrytest"
)

var (
	fleetSize     = flag.Int("fleet.followers", 1000, "followers in TestFleet")
	fleetInterval = flag.Duration("fleet.interval", 4*time.Second, "their polling interval")
)

// trafficCounter counts, on the followers' side, the requests the
// registry answered and the response bytes (bodies) they read.
type trafficCounter struct {
	requests, bytes, heads atomic.Int64
}

func (c *trafficCounter) reset() {
	c.requests.Store(0)
	c.bytes.Store(0)
	c.heads.Store(0)
}

// transport returns a follower's own HTTP transport, counted.
func (c *trafficCounter) transport() http.RoundTripper {
	return &countingTransport{next: http.DefaultTransport.(*http.Transport).Clone(), c: c}
}

type countingTransport struct {
	next http.RoundTripper
	c    *trafficCounter
}

func (t *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(r)
	if err != nil {
		return resp, err // no answer (the client's HTTPS probe of a plain registry)
	}
	t.c.requests.Add(1)
	if r.Method == http.MethodHead {
		t.c.heads.Add(1)
	}
	resp.Body = &countingBody{ReadCloser: resp.Body, n: &t.c.bytes}
	return resp, nil
}

type countingBody struct {
	io.ReadCloser
	n *atomic.Int64
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.n.Add(int64(n))
	return n, err
}

// TestFleet simulates a fleet: -fleet.followers followers (goroutines
// running the real follow code, each with its own connections, driving a
// callback instead of an agent) poll one registry. It reports the polling
// load in requests/s, the time from the tag moving to a new signed
// ruleset until the last follower has it (goal: under two intervals), and
// the bytes moved per update and follower. It runs against the embedded
// registry and against the distribution registry (installed by
// .ci/tools.sh; skipped when missing, failed under CI=true).
func TestFleet(t *testing.T) {
	if testing.Short() {
		t.Skip("fleet simulation skipped in -short mode")
	}
	keys := registrytest.NewKeys(t)
	t.Run("embedded registry", func(t *testing.T) {
		reg := startTestRegistry(t, t.TempDir(), "127.0.0.1:0", nil)
		runFleet(t, reg.Host, keys)
	})
	t.Run("distribution registry", func(t *testing.T) {
		runFleet(t, registrytest.Distribution(t), keys)
	})
}

// runFleet publishes v1 at host, starts the fleet on it, then publishes
// v2.
func runFleet(t *testing.T, host string, keys *registrytest.Keys) {
	var counter trafficCounter
	c := &counter
	pushHost, followHost := host, host
	n, interval := *fleetSize, *fleetInterval
	base := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	v1Prog := compileRules(t)
	v2Prog := compileRules(t, markerRuleFile(t, "Fleet marker read", "/nonexistent/falconer-fleet-marker"))
	v1 := publish(t, pushHost+"/fleet/rules", release{version: "1.0.0", prog: v1Prog, created: base, signer: keys.Signer})
	moveTag(t, pushHost+"/fleet/rules", v1, "latest")

	var (
		mu        sync.Mutex
		v2        string
		pushed    time.Time
		activated int
		last      time.Time
		rejected  atomic.Int64
	)
	target := agent.Callbacks{
		OnActivate: func(rs *agent.Ruleset) (time.Duration, error) {
			mu.Lock()
			defer mu.Unlock()
			if rs.Digest == v2 && v2 != "" {
				activated++
				last = time.Now()
			}
			return 0, nil
		},
		OnReject: func(agent.Rejection) { rejected.Add(1) },
	}
	cfg := agent.FollowConfig{
		Refs:     []string{followHost + "/fleet/rules:latest"},
		Trust:    agent.TrustPolicy{PublicKeys: [][]byte{keys.PublicPEM}},
		Interval: interval,
		Log:      discardLog{},
	}

	// Cold start: every follower pulls and verifies v1.
	c.reset()
	start := time.Now()
	followers := make([]*agent.Follower, n)
	initTimes := make([]time.Duration, n)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 64)
	var initErr atomic.Value
	for i := range followers {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			t0 := time.Now()
			defer func() { initTimes[i] = time.Since(t0) }()
			cfg := cfg
			cfg.Remote = registry.Remote{Retries: 1, Transport: c.transport()}
			f, err := agent.NewFollower(cfg)
			if err == nil {
				var rs *agent.Ruleset
				if rs, err = f.Init(context.Background()); err == nil && rs.Digest != v1 {
					err = fmt.Errorf("follower %d started on %s, want v1 %s", i, rs.Digest, v1)
				}
			}
			if err != nil {
				initErr.Store(err)
				return
			}
			followers[i] = f
		})
	}
	wg.Wait()
	if err, _ := initErr.Load().(error); err != nil {
		t.Fatal(err)
	}
	coldTook, coldBytes, coldRequests := time.Since(start), c.bytes.Load(), c.requests.Load()
	slices.Sort(initTimes)

	ctx, cancel := context.WithCancel(context.Background())
	var running sync.WaitGroup
	for _, f := range followers {
		running.Go(func() { f.Run(ctx, target) })
	}
	defer func() {
		cancel()
		running.Wait()
	}()

	// Steady state: only HEAD checks, one per follower and interval.
	time.Sleep(interval) // every follower has started polling
	c.reset()
	window := interval
	time.Sleep(window)
	steadyRequests, steadyHeads := c.requests.Load(), c.heads.Load()
	steadyRate := float64(steadyRequests) / window.Seconds()

	// The update: v2 pushed and signed under its own tag, then "latest"
	// moved to it; the clock runs from the move.
	d := publish(t, pushHost+"/fleet/rules", release{version: "2.0.0", prog: v2Prog, created: base.Add(time.Hour), signer: keys.Signer})
	c.reset()
	mu.Lock()
	v2, pushed = d, time.Now()
	mu.Unlock()
	moveTag(t, pushHost+"/fleet/rules", v2, "latest")
	deadline := time.Now().Add(10 * interval)
	for {
		mu.Lock()
		done, took := activated, last.Sub(pushed)
		mu.Unlock()
		if done == n {
			// Bytes and requests of the update: after the last follower
			// is done, the rest is polling again.
			updBytes, updRequests := c.bytes.Load(), c.requests.Load()
			t.Logf("%s, %d followers, interval %s:", followHost, n, interval)
			t.Logf("  cold start: %d followers on v1 in %s (init p50 %s, max %s), %d requests, %.1f KiB per follower",
				n, coldTook.Round(time.Millisecond), initTimes[n/2].Round(time.Millisecond), initTimes[n-1].Round(time.Millisecond),
				coldRequests, float64(coldBytes)/float64(n)/1024)
			t.Logf("  steady state: %.0f requests/s (%d, %d of them HEAD, in %s; %.0f/s expected)",
				steadyRate, steadyRequests, steadyHeads, window, float64(n)/interval.Seconds())
			t.Logf("  update: last follower on v2 %s after the tag moved (%.2f intervals); %d requests, %.1f KiB moved per follower (%.1f MiB in all)",
				took.Round(time.Millisecond), took.Seconds()/interval.Seconds(), updRequests, float64(updBytes)/float64(n)/1024, float64(updBytes)/(1<<20))
			// The goal (under two intervals) is a performance figure:
			// reported above, not asserted, since a loaded machine
			// stretches it. Convergence itself is asserted below (all
			// followers on v2 within ten intervals).
			goal := "met"
			if took > 2*interval {
				goal = "NOT met on this run"
			}
			t.Logf("  goal under two intervals (%s): %s", 2*interval, goal)
			if r := rejected.Load(); r != 0 {
				t.Errorf("%d rejections during the update", r)
			}
			// Polling is one HEAD per follower and interval (jitter and
			// the window's edges allow some slack), nothing else.
			if want := float64(n) * window.Seconds() / interval.Seconds(); float64(steadyHeads) < 0.5*want || float64(steadyHeads) > 1.5*want || steadyHeads != steadyRequests {
				t.Errorf("steady state: %d requests (%d HEAD) in %s, want about %.0f HEAD only", steadyRequests, steadyHeads, window, want)
			}
			// An update moves the artifact once per follower: about what
			// the cold start moved.
			if per, cold := float64(updBytes)/float64(n), float64(coldBytes)/float64(n); per > 1.5*cold {
				t.Errorf("update moved %.0f bytes per follower, the cold start %.0f: downloads repeated", per, cold)
			}
			return
		}
		if time.Now().After(deadline) {
			errs := map[string]int{}
			for _, f := range followers {
				if st := f.Status().Sources[0]; st.Digest != v2 {
					errs[st.LastError]++
				}
			}
			t.Fatalf("%d of %d followers on v2 after %s; the others' last errors: %v", done, n, 10*interval, errs)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// discardLog drops the followers' messages (a thousand of each).
type discardLog struct{}

func (discardLog) Write(p []byte) (int, error) { return len(p), nil }

// BenchmarkFollowerInit measures what a follower does for a new ruleset:
// one HEAD, the signature check, the pull and the decode (here of the
// default ruleset from the embedded registry), without a cache.
func BenchmarkFollowerInit(b *testing.B) {
	keys := registrytest.NewKeys(b)
	reg := startTestRegistry(b, b.TempDir(), "127.0.0.1:0", nil)
	repo := reg.Host + "/bench/rules"
	d := publish(b, repo, release{version: "1.0.0", prog: compileDefault(b), signer: keys.Signer})
	cfg := agent.FollowConfig{Refs: []string{repo + ":1.0.0"}, Trust: agent.TrustPolicy{PublicKeys: [][]byte{keys.PublicPEM}}, Remote: registry.Remote{Retries: -1}, Log: discardLog{}}
	b.ResetTimer()
	for b.Loop() {
		f, err := agent.NewFollower(cfg)
		if err != nil {
			b.Fatal(err)
		}
		rs, err := f.Init(context.Background())
		if err != nil || rs.Digest != d {
			b.Fatalf("Init = %v, %v", rs, err)
		}
	}
}

// BenchmarkFollowerOfflineStart measures an agent's start from its
// last-known-good cache with the registry down: the cached artifact is
// verified and decoded again.
func BenchmarkFollowerOfflineStart(b *testing.B) {
	keys := registrytest.NewKeys(b)
	reg := startTestRegistry(b, b.TempDir(), "127.0.0.1:0", nil)
	repo := reg.Host + "/bench/rules"
	d := publish(b, repo, release{version: "1.0.0", prog: compileDefault(b), signer: keys.Signer})
	cfg := agent.FollowConfig{Refs: []string{repo + ":1.0.0"}, Trust: agent.TrustPolicy{PublicKeys: [][]byte{keys.PublicPEM}},
		Remote: registry.Remote{Retries: -1}, CacheDir: b.TempDir(), Log: discardLog{}}
	f, err := agent.NewFollower(cfg)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := f.Init(context.Background()); err != nil {
		b.Fatal(err)
	}
	reg.stop()
	b.ResetTimer()
	for b.Loop() {
		f, err := agent.NewFollower(cfg)
		if err != nil {
			b.Fatal(err)
		}
		rs, err := f.Init(context.Background())
		if err != nil || rs.Digest != d || f.Status().Sources[0].From != "cache" {
			b.Fatalf("Init = %v, %v", rs, err)
		}
	}
}

// compileDefault compiles the default ruleset for a benchmark.
func compileDefault(tb testing.TB) *ir.Program {
	tb.Helper()
	p, diags, err := compiler.Compile(compiler.OSFS{}, []string{"../rulesets/default"}, compiler.Options{})
	if err != nil {
		tb.Fatalf("compile: %v\n%s", err, diags.Errors())
	}
	return p
}
