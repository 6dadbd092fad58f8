package agent_test

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/falconer-sec/falconer/agent"
	"github.com/falconer-sec/falconer/bpf/bpftest"
	"github.com/falconer-sec/falconer/compiler/eval"
	"github.com/falconer-sec/falconer/registry"
	"github.com/falconer-sec/falconer/registry/registrytest"
)

// runAgent runs an agent with cfg until the test ends or stop is called;
// it returns once the probe is attached. With f it also follows f.
func runAgent(t testing.TB, cfg agent.Config, f ...*agent.Follower) (a *agent.Agent, stop func()) {
	t.Helper()
	ready := make(chan struct{})
	cfg.OnReady = func() { close(ready) }
	if cfg.Stdout == nil {
		cfg.Stdout = &strings.Builder{}
	}
	if cfg.Log == nil {
		cfg.Log = testLog{t.(*testing.T)}
	}
	a, err := agent.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1+len(f))
	go func() { done <- a.Run(ctx) }()
	for _, fl := range f {
		go func() { done <- a.Follow(ctx, fl) }()
	}
	select {
	case <-ready:
	case err := <-done:
		cancel()
		t.Fatalf("agent stopped before it was ready: %v", err)
	case <-time.After(20 * time.Second):
		cancel()
		t.Fatal("agent not ready after 20s")
	}
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			for range 1 + len(f) {
				if err := <-done; err != nil {
					t.Errorf("agent: %v", err)
				}
			}
		})
	}
	t.Cleanup(stop)
	return a, stop
}

// alertLog counts alerts by a predicate, for waiting on the n-th one.
type alertLog struct {
	mu     sync.Mutex
	alerts []*eval.Alert
}

func (l *alertLog) add(a *eval.Alert) {
	l.mu.Lock()
	l.alerts = append(l.alerts, a)
	l.mu.Unlock()
}

func (l *alertLog) count(pred func(*eval.Alert) bool) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, a := range l.alerts {
		if pred(a) {
			n++
		}
	}
	return n
}

// trigger runs cmd and waits until one more alert matches pred.
func (l *alertLog) trigger(t *testing.T, what string, pred func(*eval.Alert) bool, name string, args ...string) {
	t.Helper()
	before := l.count(pred)
	if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
		t.Logf("%s %v: %v\n%s", name, args, err, out)
	}
	deadline := time.Now().Add(10 * time.Second)
	for l.count(pred) <= before {
		if time.Now().After(deadline) {
			t.Fatalf("no alert for %s within 10s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func ruleIs(name string) func(*eval.Alert) bool {
	return func(a *eval.Alert) bool { return a.Rule == name }
}

func shadowRead(a *eval.Alert) bool {
	return a.Rule == "Read sensitive file untrusted" && fieldOf(a, "fd.name") == "/etc/shadow"
}

// TestFollowEndToEnd is the end-to-end test on this machine's
// kernel: the agent follows a registry and detects with what it pulled.
func TestFollowEndToEnd(t *testing.T) {
	bpftest.Privileged(t)
	keys := registrytest.NewKeys(t)
	other := registrytest.NewKeys(t)
	reg := startTestRegistry(t, t.TempDir(), "127.0.0.1:0", nil)
	repo := reg.Host + "/acme/rules"
	base := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	marker := t.TempDir() + "/falconer-follow-marker"
	if err := os.WriteFile(marker, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	markerRule := markerRuleFile(t, "Follow marker read", marker)
	v1Prog, v2Prog := compileRules(t), compileRules(t, markerRule)
	v1 := publish(t, repo, release{version: "1.0.0", prog: v1Prog, files: followRules(t), created: base, signer: keys.Signer})
	moveTag(t, repo, v1, "latest")

	const interval = 200 * time.Millisecond
	cacheDir := t.TempDir()
	cfg := agent.FollowConfig{
		Refs:     []string{repo + ":latest"},
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
	alerts := &alertLog{}
	a, stopAgent := runAgent(t, agent.Config{Program: rs.Program, Digest: rs.Digest, Version: rs.Version, OnAlert: alerts.add, AllMatches: true}, f)
	activeIs := func(d string) func() bool { return func() bool { return a.Active().Digest == d } }
	waitUntil := func(what string, timeout time.Duration, cond func() bool) time.Duration {
		t.Helper()
		start := time.Now()
		for !cond() {
			if time.Since(start) > timeout {
				t.Fatalf("%s: not within %s", what, timeout)
			}
			time.Sleep(10 * time.Millisecond)
		}
		return time.Since(start)
	}

	// v1 active and detecting.
	if got := a.Active(); got.Digest != v1 || got.Version != "1.0.0" {
		t.Fatalf("active = %+v, want v1 %s", got, v1)
	}
	alerts.trigger(t, "cat /etc/shadow on v1", shadowRead, "cat", "/etc/shadow")

	// v2 (a rule added) active within the interval, detecting the new rule.
	v2 := publish(t, repo, release{version: "2.0.0", prog: v2Prog, files: followRules(t, markerRule), created: base.Add(time.Hour), signer: keys.Signer})
	moveTag(t, repo, v2, "latest")
	took := waitUntil("v2 active", 10*interval, activeIs(v2))
	t.Logf("v2 active %s after the tag moved (interval %s)", took.Round(time.Millisecond), interval)
	alerts.trigger(t, "the marker read on v2", ruleIs("Follow marker read"), "cat", marker)
	alerts.trigger(t, "cat /etc/shadow on v2", shadowRead, "cat", "/etc/shadow")
	if st := a.Stats(); st.Swaps != 1 {
		t.Errorf("agent swaps = %d, want 1", st.Swaps)
	}

	// Bad v3s: refused with an internal alert through the agent's alert
	// path; v2 stays active and detecting; the status says why.
	for _, bad := range []struct {
		name, reason string
		make         func() string
	}{
		{"unsigned", agent.ReasonNotSigned, func() string {
			return publish(t, repo, release{version: "3.0.0-unsigned", prog: v1Prog, created: base.Add(2 * time.Hour)})
		}},
		{"signed by another key", agent.ReasonSignatureInvalid, func() string {
			return publish(t, repo, release{version: "3.0.0-other", prog: v1Prog, created: base.Add(2 * time.Hour), signer: other.Signer})
		}},
		{"v2's signature copied onto it", agent.ReasonSignatureInvalid, func() string {
			d := publish(t, repo, release{version: "3.0.0-copied", prog: v1Prog, created: base.Add(2 * time.Hour)})
			host, name, _ := strings.Cut(repo, "/")
			sig, ct := getManifest(t, host, name, signatureTag(v2))
			putManifest(t, host, name, signatureTag(d), ct, sig)
			return d
		}},
		{"rollback to v1", agent.ReasonRollback, func() string { return v1 }},
	} {
		d := bad.make()
		moveTag(t, repo, d, "latest")
		isReject := func(al *eval.Alert) bool {
			return al.Rule == agent.RejectRule && fieldOf(al, "digest") == d && fieldOf(al, "reason") == bad.reason
		}
		waitUntil("internal alert for "+bad.name, 10*interval, func() bool { return alerts.count(isReject) == 1 })
		if got := a.Active().Digest; got != v2 {
			t.Errorf("%s: active = %s, want v2", bad.name, got)
		}
		st := f.Status().Sources[0]
		if st.LastRejection == nil || st.LastRejection.Digest != d || st.LastRejection.Reason != bad.reason {
			t.Errorf("%s: status last rejection = %+v", bad.name, st.LastRejection)
		}
		alerts.trigger(t, "the marker read after "+bad.name, ruleIs("Follow marker read"), "cat", marker)
	}

	// Registry stopped: the agent keeps running and detecting; it
	// recovers when the registry is back.
	moveTag(t, repo, v2, "latest")
	reg.stop()
	waitUntil("a failed check", 10*interval, func() bool { return f.Status().Sources[0].Failures > 0 })
	alerts.trigger(t, "cat /etc/shadow with the registry down", shadowRead, "cat", "/etc/shadow")
	reg.restart()
	v3 := publish(t, repo, release{version: "3.0.0", prog: v2Prog, files: followRules(t, markerRule), created: base.Add(3 * time.Hour), signer: keys.Signer})
	moveTag(t, repo, v3, "latest")
	waitUntil("v3 active after the registry returned", 20*interval, activeIs(v3))
	if st := f.Status().Sources[0]; st.LastError != "" {
		t.Errorf("status after recovery: last error %q", st.LastError)
	}

	// Agent restarted with the registry down: it starts from its
	// verified cache and detects.
	stopAgent()
	reg.stop()
	f2, err := agent.NewFollower(cfg)
	if err != nil {
		t.Fatal(err)
	}
	rs2, err := f2.Init(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if rs2.Digest != v3 || f2.Status().Sources[0].From != "cache" {
		t.Fatalf("restarted offline on %s from %q, want v3 %s from the cache", rs2.Digest, f2.Status().Sources[0].From, v3)
	}
	alerts2 := &alertLog{}
	a2, _ := runAgent(t, agent.Config{Program: rs2.Program, Digest: rs2.Digest, Version: rs2.Version, OnAlert: alerts2.add, AllMatches: true}, f2)
	if got := a2.Active().Digest; got != v3 {
		t.Errorf("restarted agent active = %s, want v3", got)
	}
	alerts2.trigger(t, "the marker read after an offline restart", ruleIs("Follow marker read"), "cat", marker)
}
